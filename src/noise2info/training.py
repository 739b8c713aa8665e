"""Algorithm 2 of Noise2Info: train k_t steps, then estimate sigma and lower sigma_loss.

One trainer for every method; the method only picks the objective and whether sigma rounds
run (``noise2info``). The estimator's history is returned as data.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from tqdm.auto import tqdm

from .config import Config
from .data import PatchSampler, normalise
from .masking import Masker
from .models import UNet, build_model
from .objectives import Batch, make_objective
from .runtime import flush_denormals, resolve_device
from .sigma import sigma_round


class TrainingError(RuntimeError):
    """Training cannot go on (for example a NaN or Inf loss)."""


@dataclass
class History:
    """Loss terms per logged step and one entry per sigma round."""

    steps: list[dict] = field(default_factory=list)
    sigma_rounds: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"steps": self.steps, "sigma_rounds": self.sigma_rounds}


@dataclass
class TrainResult:
    model: UNet
    config: Config
    history: History
    sigma_loss: float | None
    seconds: float


def _seeds(seed: int) -> tuple[int, ...]:
    # Independent streams: init, training patches, training masks, estimation patches,
    # estimation masks, Monte-Carlo draws. Estimation never shifts the training stream, so
    # methods compared at one seed see the same training patches.
    return tuple(int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(6))


def make_batch(noisy, clean, masker: Masker, device: torch.device) -> Batch:
    x = torch.from_numpy(np.ascontiguousarray(noisy)).to(device)
    y = None if clean is None else torch.from_numpy(np.ascontiguousarray(clean)).to(device)
    masked, mask = masker(x)
    return Batch(noisy=x, masked=masked, mask=mask, clean=y)


def check_images(images: list[np.ndarray], dims: int) -> int:
    """Check that all ``(C, *spatial)`` images agree; return the channel count."""
    if not images:
        raise ValueError("no training images")
    for i, im in enumerate(images):
        if im.ndim != dims + 1:
            raise ValueError(
                f"image {i} has shape {im.shape}; expected (C, *spatial) with {dims} spatial axes"
            )
    channels = {im.shape[0] for im in images}
    if len(channels) > 1:
        raise ValueError(f"training images have mixed channel counts {sorted(channels)}")
    return channels.pop()


@flush_denormals()
def train(
    images: list[np.ndarray],
    config: Config,
    *,
    clean: list[np.ndarray] | None = None,
    device: str = "auto",
    progress: bool = True,
    on_round: Callable[[dict], None] | None = None,
) -> TrainResult:
    """Train a denoiser on noisy images alone (Algorithm 2).

    Parameters
    ----------
    images : list of np.ndarray
        Noisy images, each ``(C, *spatial)``; each is normalised on its own per channel.
    config : Config
        Model, masking and training settings (``config.training.method`` picks the variant).
    clean : list of np.ndarray, optional
        Clean images aligned with ``images`` (only for ``method='supervised'``).
    device : str
        ``'auto'``, ``'cpu'`` or ``'cuda'``.
    progress : bool
        Show a progress bar with step, loss and sigma_loss.
    on_round : callable, optional
        Called with each sigma round's record.

    Returns
    -------
    TrainResult
        The model (eval mode), config, history, final sigma_loss (None for methods without
        one) and the wall time in seconds.
    """
    t0 = time.perf_counter()
    tc = config.training
    if check_images(images, config.model.dims) != config.model.channels:
        raise ValueError(
            f"images have {images[0].shape[0]} channels but the model expects {config.model.channels}"
        )
    if tc.method == "supervised" and clean is None:
        raise ValueError("method 'supervised' needs clean images")
    dev = resolve_device(device)
    s_init, s_patch, s_mask, s_est_patch, s_est_mask, s_mc = _seeds(tc.seed)

    normed, targets = [], []
    for i, im in enumerate(images):
        x, mean, std = normalise(im)
        normed.append(x)
        if clean is not None:  # targets live in the same normalised units as their input
            targets.append(((np.asarray(clean[i], np.float64) - mean) / std).astype(np.float32))
    targets = targets or None

    torch.manual_seed(s_init)
    model = build_model(config.model).to(dev)
    model.train()
    objective = make_objective(tc.method, tc.sigma)
    estimate = tc.method == "noise2info"

    sampler = PatchSampler(normed, tc.patch_size, s_patch, tc.augment, targets)
    masker = Masker(config.masking, torch.Generator().manual_seed(s_mask))
    est_sampler = PatchSampler(normed, tc.patch_size, s_est_patch, tc.augment)
    est_masker = Masker(config.masking, torch.Generator().manual_seed(s_est_mask))
    mc_gen = torch.Generator().manual_seed(s_mc)

    optimiser = torch.optim.Adam(model.parameters(), lr=tc.lr)
    scheduler = torch.optim.lr_scheduler.StepLR(optimiser, tc.resolved_lr_decay_every(), gamma=0.5)
    k_t, k_u = tc.resolved_k_t(), tc.resolved_k_u()

    history = History()
    running: dict[str, float] = {}
    n_running = 0
    bar = tqdm(total=tc.steps, disable=not progress, desc=tc.method, unit="step", dynamic_ncols=True)
    for step in range(1, tc.steps + 1):
        batch = make_batch(*sampler.sample(tc.batch_size), masker, dev)
        terms = objective(model, batch)
        loss = terms["loss"]
        loss_value = float(loss.detach())
        if not math.isfinite(loss_value):
            bar.close()
            raise TrainingError(f"loss became {loss_value} at step {step}; lower --lr or check the input")
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        scheduler.step()

        for name, value in terms.items():
            running[name] = running.get(name, 0.0) + float(value.detach())
        n_running += 1
        sigma_loss = getattr(objective, "sigma_loss", None)
        if step % tc.log_every == 0 or step == tc.steps:
            record = {"step": step, **{k: v / n_running for k, v in running.items()}}
            record["lr"] = optimiser.param_groups[0]["lr"]
            if sigma_loss is not None:
                record["sigma_loss"] = sigma_loss
            history.steps.append(record)
            running, n_running = {}, 0
            bar.set_postfix(
                loss=f"{record['loss']:.4f}",
                **({"sigma_loss": f"{sigma_loss:.4f}"} if sigma_loss is not None else {}),
            )

        if estimate and step % k_t == 0:
            batches = (make_batch(*est_sampler.sample(tc.batch_size), est_masker, dev) for _ in range(k_u))
            result = sigma_round(model, batches, tc.k_mc, mc_gen)
            star = result["sigma_star"]
            # Algorithm 2: sigma_loss only ever goes down; a round without an estimate
            # (negative radicand) leaves it as it is, and says so in the record.
            updated = star is not None and math.isfinite(star) and star < objective.sigma_loss
            if updated:
                objective.sigma_loss = star
            record = {
                "step": step,
                "sigma_star": star,
                "sigma_loss": objective.sigma_loss,
                "updated": updated,
                "L_in": result["L_in"],
                "inv": result["inv"],
            }
            history.sigma_rounds.append(record)
            if on_round is not None:
                on_round(record)
            bar.set_postfix(loss=f"{loss_value:.4f}", sigma_loss=f"{objective.sigma_loss:.4f}")
        bar.update(1)
    bar.close()
    model.eval()
    return TrainResult(
        model=model,
        config=config,
        history=history,
        sigma_loss=getattr(objective, "sigma_loss", None),
        seconds=time.perf_counter() - t0,
    )
