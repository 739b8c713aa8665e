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


class Trainer:
    """Algorithm 2 as explicit phases: :meth:`step` trains F once with
    loss = L_in + 2 sigma_loss L_ex (or the method's objective); :meth:`sigma_round` runs
    Algorithm 1 with F fixed and lowers sigma_loss. :meth:`run` alternates them, k_t steps per
    round. All state (model, optimiser, samplers, generators, history) lives here.

    Parameters are those of :func:`train`.
    """

    def __init__(self, images: list[np.ndarray], config: Config, *, clean=None, device: str = "auto"):
        tc = config.training
        if check_images(images, config.model.dims) != config.model.channels:
            raise ValueError(
                f"images have {images[0].shape[0]} channels but the model expects {config.model.channels}"
            )
        if tc.method == "supervised" and clean is None:
            raise ValueError("method 'supervised' needs clean images")
        self.config = config
        self.device = resolve_device(device)
        s_init, s_patch, s_mask, s_est_patch, s_est_mask, s_mc = _seeds(tc.seed)

        normed, targets = [], []
        for i, im in enumerate(images):
            x, mean, std = normalise(im)
            normed.append(x)
            if clean is not None:  # targets live in the same normalised units as their input
                targets.append(((np.asarray(clean[i], np.float64) - mean) / std).astype(np.float32))

        torch.manual_seed(s_init)
        self.model = build_model(config.model).to(self.device).train()
        self.objective = make_objective(tc.method, tc.sigma)
        self.estimates_sigma = tc.method == "noise2info"
        self.sampler = PatchSampler(normed, tc.patch_size, s_patch, tc.augment, targets or None)
        self.masker = Masker(config.masking, torch.Generator().manual_seed(s_mask))
        # Estimation draws its own patches, masks and Monte-Carlo samples: it never shifts the
        # training stream, so methods compared at one seed see the same training batches.
        self.est_sampler = PatchSampler(normed, tc.patch_size, s_est_patch, tc.augment)
        self.est_masker = Masker(config.masking, torch.Generator().manual_seed(s_est_mask))
        self.mc_generator = torch.Generator().manual_seed(s_mc)
        self.optimiser = torch.optim.Adam(self.model.parameters(), lr=tc.lr)
        self.scheduler = torch.optim.lr_scheduler.StepLR(
            self.optimiser, tc.resolved_lr_decay_every(), gamma=0.5
        )
        self.history = History()
        self.steps_done = 0

    @property
    def sigma_loss(self) -> float | None:
        return getattr(self.objective, "sigma_loss", None)

    def step(self) -> dict[str, float]:
        """One optimisation step on a fresh batch; returns the loss terms as floats."""
        tc = self.config.training
        batch = make_batch(*self.sampler.sample(tc.batch_size), self.masker, self.device)
        terms = self.objective(self.model, batch)
        values = {k: float(v.detach()) for k, v in terms.items()}
        if not math.isfinite(values["loss"]):
            raise TrainingError(
                f"loss became {values['loss']} at step {self.steps_done + 1}; lower --lr or check the input"
            )
        self.optimiser.zero_grad(set_to_none=True)
        terms["loss"].backward()
        self.optimiser.step()
        self.scheduler.step()
        self.steps_done += 1
        return values

    def sigma_round(self) -> dict:
        """Algorithm 1 on k_u fresh batches with F fixed; sigma_loss = min(sigma_loss, sigma*).

        A round without an estimate (negative radicand) leaves sigma_loss as it is; the
        record says whether it changed.
        """
        tc = self.config.training
        batches = (
            make_batch(*self.est_sampler.sample(tc.batch_size), self.est_masker, self.device)
            for _ in range(tc.resolved_k_u())
        )
        result = sigma_round(self.model, batches, tc.k_mc, self.mc_generator)
        star = result["sigma_star"]
        updated = star is not None and math.isfinite(star) and star < self.objective.sigma_loss
        if updated:
            self.objective.sigma_loss = star
        record = {
            "step": self.steps_done,
            "sigma_star": star,
            "sigma_loss": self.objective.sigma_loss,
            "updated": updated,
            "L_in": result["L_in"],
            "inv": result["inv"],
        }
        self.history.sigma_rounds.append(record)
        return record

    def run(self, progress: bool = True, on_round: Callable[[dict], None] | None = None) -> TrainResult:
        """Alternate k_t training steps and a sigma round until ``steps`` are done."""
        t0 = time.perf_counter()
        tc = self.config.training
        k_t = tc.resolved_k_t()
        running: dict[str, float] = {}
        n_running = 0
        bar = tqdm(
            total=tc.steps,
            initial=self.steps_done,
            disable=not progress,
            desc=tc.method,
            unit="step",
            dynamic_ncols=True,
        )
        try:
            while self.steps_done < tc.steps:
                for name, value in self.step().items():
                    running[name] = running.get(name, 0.0) + value
                n_running += 1
                step = self.steps_done
                if step % tc.log_every == 0 or step == tc.steps:
                    record = {
                        "step": step,
                        **{k: v / n_running for k, v in running.items()},
                        "lr": self.optimiser.param_groups[0]["lr"],
                    }
                    if self.sigma_loss is not None:
                        record["sigma_loss"] = self.sigma_loss
                    self.history.steps.append(record)
                    running, n_running = {}, 0
                    bar.set_postfix(
                        loss=f"{record['loss']:.4f}",
                        **({"sigma_loss": f"{self.sigma_loss:.4f}"} if self.sigma_loss else {}),
                    )
                if self.estimates_sigma and step % k_t == 0:
                    record = self.sigma_round()
                    if on_round is not None:
                        on_round(record)
                    bar.set_postfix(sigma_loss=f"{self.sigma_loss:.4f}")
                bar.update(1)
        finally:
            bar.close()
        self.model.eval()
        return TrainResult(self.model, self.config, self.history, self.sigma_loss, time.perf_counter() - t0)


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

    References
    ----------
    Wang, Di, Chen, Ng, "Noise2Info", ICCV 2023, Algorithm 2.
    """
    return Trainer(images, config, clean=clean, device=device).run(progress, on_round)
