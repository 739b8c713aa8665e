"""Algorithm 2 of Noise2Info: train k_t steps, then estimate sigma and lower sigma_loss.

One trainer for every method: the method's settings build its objective, and the objective
says what the trainer must do (clean targets, masks, sigma rounds on its schedule). The run's
plan (noise2info.pipeline) says how the network sees the images; the estimator's history is
returned as data.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from tqdm.auto import tqdm

from ..config import MIN_ESTIMATION_PATCHES, Config, MaskingConfig
from ..data import PatchSampler, channel_stats
from ..data.loader import training_batches
from ..errors import ConfigError, ImageError, Noise2InfoWarning
from ..io import check_samples
from ..masking import Masker
from ..models import UNet, build_model
from ..models.pretrained import load_pretrained
from ..noise_level import direct_noise_std, plan_image_noise_std, plan_noise_std
from ..objectives import make_batch
from ..pipeline import STAGE_NAMES, Planning, apply_plan, make_plan
from ..plan import Plan
from ..readout import noise_readout
from ..run import TrainingState, load_checkpoint, save_checkpoint
from ..runtime import all_ranks_agree, flush_denormals, rank_and_world, resolve_device
from ..sigma import estimation_batches, sigma_round
from . import refine, state

log = logging.getLogger("noise2info")


class TrainingError(RuntimeError):
    """Training cannot go on (for example a NaN or Inf loss)."""


class TrainingInterrupted(RuntimeError):
    """Training stopped on request (Ctrl-C, SIGTERM); a checkpoint was saved if a path was given."""

    def __init__(self, step: int, checkpoint: Path | None):
        self.step, self.checkpoint = step, checkpoint
        self.signal: int | None = None  # set by whoever caught the signal
        where = f"; checkpoint saved to {checkpoint}" if checkpoint else ""
        super().__init__(f"training interrupted at step {step}{where}")


def data_fingerprint(images, stats) -> str:
    """A digest of the training images, so a resumed run can check it sees the same data.

    Shapes and per-channel statistics (already computed for normalisation) rather than the
    pixels, so a stack of hundreds of GB is not read again.
    """
    h = hashlib.sha256()
    for im, (mean, std) in zip(images, stats, strict=True):
        h.update(str(tuple(im.shape)).encode())
        h.update(np.asarray(mean, np.float64).tobytes() + np.asarray(std, np.float64).tobytes())
    return h.hexdigest()[:16]


@dataclass
class History:
    """Loss terms per logged step, one entry per sigma round, and what the pipeline's stages
    read on the data, by stage name (``correlation``, ``lines``; ``refine``: what refine
    "auto" chose, when, on which estimate)."""

    steps: list[dict] = field(default_factory=list)
    sigma_rounds: list[dict] = field(default_factory=list)
    readings: dict[str, dict] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"steps": self.steps, "sigma_rounds": self.sigma_rounds, **self.readings}

    @classmethod
    def from_dict(cls, data: dict) -> History:
        """What :meth:`to_dict` wrote (a checkpoint's history, or history.json)."""
        readings = {k: data[k] for k in STAGE_NAMES if data.get(k) is not None}
        return cls(list(data.get("steps", [])), list(data.get("sigma_rounds", [])), readings)


@dataclass
class TrainResult:
    """What :func:`train` returns; :func:`noise2info.save_run` writes it. ``config`` holds the
    settings, ``plan`` what the run decided from its images (:mod:`noise2info.plan`): pass the
    result itself to :func:`noise2info.denoise`, which predicts with both.

    ``sigma_loss`` is the loss's noise-std weight at the end (Noise2Info's bound; None for
    methods without one); ``sigma`` is the run's noise-std estimate, measured on the training
    images themselves (:func:`noise2info.noise_level.direct_noise_std`, the readout where the
    images are too small for it; for correlated noise with the bound:
    :func:`noise2info.noise_level.run_noise_std`); ``sigma_readout`` the noise readout of the trained F
    (:mod:`noise2info.readout`, every method). The bound over-counts while F is under-trained
    (+10-17 % on the short CPU runs of docs/notes/benchmarks.md), the readout is off by 1-12 %, the
    images' own estimate by at most 3.2 % on the sets measured there ("Noise readout"). All
    in normalised units (of the stabilised images under ``vst`` 'gat').
    """

    model: UNet
    config: Config
    plan: Plan
    history: History
    sigma_loss: float | None
    sigma: float | None
    seconds: float
    sigma_readout: float | None = None
    # Set by noise2info.api.train_files: the expected PSNR gain on a few training images.
    expected_gain: dict | None = None


class Trainer:
    """Algorithm 2 as explicit phases: :meth:`step` trains F once with
    loss = L_in + 2 sigma_loss L_ex (or the method's objective); :meth:`sigma_round` runs
    Algorithm 1 with F fixed and lowers sigma_loss. :meth:`run` alternates them, k_t steps per
    round. All state (model, optimiser, samplers, generators, plan, history) lives here.

    Parameters are those of :func:`train`, and ``plan``: the run's plan when it is already
    known (a :class:`~noise2info.pipeline.Planning` from :func:`~noise2info.pipeline.make_plan`,
    or a resumed run's :class:`~noise2info.plan.Plan`); by default the stages decide it here.
    """

    def __init__(
        self,
        images: list[np.ndarray],
        config: Config,
        *,
        clean=None,
        device: str = "auto",
        stats=None,
        workers: int = 0,
        names: list[str] | None = None,
        plan: Plan | Planning | None = None,
    ):
        names = names or [f"image {i}" for i in range(len(images))]
        check_samples(images, config.model.dims, config.model.channels, names)
        self.objective = config.method.build_objective()
        if self.objective.needs_clean and clean is None:
            raise ConfigError(f"method {config.method.name} needs clean images")
        if workers < 0:
            raise ConfigError(f"workers must be 0 or more, not {workers}")
        self.rank, self.world = rank_and_world()
        self.device = resolve_device(device) if self.world == 1 else _rank_device(device)
        self.seeds = state.seeds(config.training.seed, self.rank)

        # Each image is normalised by its own statistics, patch by patch as patches are drawn:
        # a memory-mapped stack stays on disk.
        stats = list(stats) if stats is not None else [channel_stats(im) for im in images]
        _check_not_constant(stats, names)
        if isinstance(plan, Plan):  # decided before (a resumed run): the images as it saw them
            seen, seen_stats = apply_plan(images, plan, stats)
            plan = Planning(config, seen, self.objective.needs_clean, seen_stats, plan)
        elif plan is None:
            plan = make_plan(images, config, stats=stats)
        self.plan = plan.plan
        # The network's shape follows the plan's start: channels apart or together.
        config = config.model_copy(
            update={"model": config.model.model_copy(update={"channels_apart": self.plan.channels_apart})}
        )
        images, stats = plan.images, plan.image_stats()
        if self.plan.channels_apart:
            names = [f"{name} (channel {c})" for name in names for c in range(config.model.channels)]
        if self.plan.pd_stride > 1:
            names = [f"{name} (PD sub-image {k})" for name in names for k in range(self.plan.pd_stride**2)]
        self.config = config
        tc = config.training
        self.fingerprint = data_fingerprint(images, stats)
        self.images, self.stats = images, stats  # as the network sees them
        if plan.noise is not None:  # the noise stage read every image: the run's sigma reuses it
            self.direct = plan.noise

        torch.manual_seed(self.seeds.init)
        model = build_model(config.model)
        if self.plan.init == "pretrained":  # fine-tune the shipped starting point
            load_pretrained(model, config.model, self.plan.start)
        self.model = model.to(self.device).train()
        # Several processes: DistributedDataParallel averages the gradients (each rank trains
        # on its own patches); estimation and checkpoints use the plain module.
        cuda = self.device.type == "cuda"
        if config.model.dims == 2:  # faster convs on GPUs, and 1.15-1.2x with oneDNN on CPUs
            self.model = self.model.to(memory_format=torch.channels_last)  # (benchmarks/channels_last.py)
        self.amp = cuda and tc.amp and torch.cuda.is_bf16_supported()
        self.net = torch.compile(self.model) if tc.compile else self.model
        if self.world > 1:
            ids = [self.device] if self.device.type == "cuda" else None
            self.net = DistributedDataParallel(self.net, device_ids=ids)
        targets = clean if self.objective.needs_clean else None
        self.sampler = PatchSampler(images, tc.patch_size, self.seeds.patch, tc.augment, targets, stats)
        self.workers = workers
        self._batches = None  # the training stream, started at the first step
        masking = config.masking
        if masking is not None:  # the block the plan chose
            masking = masking.model_copy(update={"block": self.plan.mask_block})
        self.masker = (
            Masker(masking, torch.Generator().manual_seed(self.seeds.mask))
            if self.objective.needs_mask
            else None
        )
        # Estimation draws its own patches, masks and Monte-Carlo samples: it never shifts the
        # training stream, so methods compared at one seed see the same training batches.
        self.est_sampler = PatchSampler(images, tc.patch_size, self.seeds.est_patch, tc.augment, stats=stats)
        self.est_masker = Masker(
            masking or MaskingConfig(), torch.Generator().manual_seed(self.seeds.est_mask)
        )
        self.mc_generator = torch.Generator().manual_seed(self.seeds.mc)
        self.probe_generator = torch.Generator().manual_seed(self.seeds.probe)
        self.train_probe_generator = torch.Generator().manual_seed(self.seeds.train_probe)
        self._sigma: float | None = None  # the run's noise std, set at the end of run()
        self._readout: float | None = None  # the final noise readout of F
        self.optimiser = torch.optim.Adam(self.model.parameters(), lr=tc.lr)
        self.scheduler = torch.optim.lr_scheduler.StepLR(self.optimiser, tc.lr_decay_every, gamma=0.5)
        self.history = History(readings=dict(plan.readings))
        self.steps_done = 0
        self._running: dict[str, float] = {}  # loss terms summed since the last log record
        self._n_running = 0
        self._stop_requested = False

    @functools.cached_property
    def direct(self) -> dict:
        """Each training image's own noise reading (:func:`noise2info.noise_level.direct_noise_std`):
        the run's sigma at the end, and the std the refinement's estimate reads each image with."""
        return direct_noise_std(self.images, [std for _, std in self.stats])

    @property
    def schedule(self):
        """The objective's sigma rounds (None for a method without them)."""
        return self.objective.sigma_schedule

    @property
    def sigma_loss(self) -> float | None:
        return self.objective.sigma_loss

    @property
    def sigma(self) -> float | None:
        """The run's noise-std estimate, from the images themselves (None until :meth:`run` has
        finished)."""
        return self._sigma

    def readout(self) -> float | None:
        """The noise readout of F now, on fresh estimation patches (k_u batches, or enough
        for MIN_ESTIMATION_PATCHES for a method without rounds)."""
        b = self.config.training.batch_size
        count = readout_batches(self.schedule, b)
        batches = estimation_batches(self.est_sampler, None, b, count, self.device)
        return noise_readout(self.model, (batch.noisy for batch in batches), self.probe_generator)

    def step(self) -> dict[str, float]:
        """One optimisation step on a fresh batch; returns the loss terms as floats."""
        if self._batches is None:
            self._batches = training_batches(
                self.sampler,
                self.config.training.batch_size,
                self.steps_done,
                workers=self.workers,
                pin_memory=self.device.type == "cuda",
            )
        if self._refine_pending() and self.steps_done >= self.config.method.refine_after:
            self.choose_refinement()
        objective = self.objective.stage(self.steps_done + 1)
        if objective is not self.objective.stage(self.steps_done) and self._n_running:
            self._log_record()  # a new stage logs other terms: close the record of the last
        batch = make_batch(
            *next(self._batches),
            self.masker if objective.needs_mask else None,
            self.device,
            self.train_probe_generator if objective.needs_probe else None,
        )
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=self.amp):
            terms = objective(self.net, batch)
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
        batches = list(
            estimation_batches(
                self.est_sampler,
                self.est_masker,
                self.config.training.batch_size,
                self.schedule.k_u,
                self.device,
            )
        )
        if self.world > 1:  # one F on every rank: BN running statistics as on rank 0
            for buffer in self.model.buffers():
                dist.broadcast(buffer, 0)
        result = sigma_round(self.model, batches, self.schedule.k_mc, self.mc_generator)
        star = result["sigma_star"]
        updated = star is not None and math.isfinite(star) and star < self.objective.sigma_loss
        if updated:
            self.objective.sigma_loss = star
        elif star is None or not math.isfinite(star):
            log.info(
                "step %d: sigma round gave no estimate; sigma_loss stays %.4f",
                self.steps_done,
                self.objective.sigma_loss,
            )
        record = {
            "step": self.steps_done,
            "sigma_star": star,
            "sigma_loss": self.objective.sigma_loss,
            "updated": updated,
            "L_in": result["L_in"],
            "inv": result["inv"],
            # The readout of the same F on the same patches: where the noise level stands.
            "sigma_readout": noise_readout(self.model, (b.noisy for b in batches), self.probe_generator),
        }
        self.history.sigma_rounds.append(record)
        return record

    def image_sigmas(self) -> np.ndarray:
        """``(images, C)``: each training image's noise std per channel in normalised units as
        prediction reads it (:func:`noise2info.noise_level.image_noise_std`: its own reading
        shrunk toward the run's prior, the prior for an image not read); NaN where none."""
        entries = {e["index"]: e for e in self.direct["per_image"]}
        out = np.full((len(self.images), self.images[0].shape[0]), np.nan)  # channels as seen
        for i, (_, std) in enumerate(self.stats):
            found = plan_image_noise_std(entries.get(i), std, self.plan)
            if found is not None:
                out[i] = found
        return out

    def posterior_gain(self) -> dict:
        """What the posterior step would gain on F now (:func:`noise2info.training.refine.risk_sums`
        on fresh estimation patches, all ranks' together, each image read with
        :meth:`image_sigmas`): ``{"step", "risk_network", "risk_posterior", "gain_db"}``."""
        batches = readout_batches(self.schedule, self.config.training.batch_size)
        sums = refine.risk_sums(
            self.model,
            self.est_sampler,
            batches,
            self.config.training.batch_size,
            self.image_sigmas(),
            self.probe_generator,
            self.device,
        )
        if self.world > 1:
            sums = sums.to(self.device)
            dist.all_reduce(sums)
            sums = sums.cpu()
        return refine.gain_record(self.steps_done, sums)

    def _refine_pending(self) -> bool:
        return self.plan.refine is None  # refine "auto" has not chosen yet

    def choose_refinement(self, final: bool = False) -> dict:
        """refine "auto": choose from :meth:`posterior_gain` (:func:`noise2info.training.refine.choose`;
        ``final``: at the end of a run, no stage left to train). The choice is kept in the
        history, so a resumed run makes the same one, and in the plan."""
        self.calibrate_noise()  # the choice reads each image's noise as prediction will
        if self.plan.noise_scale is not None:
            # JPEG'd correlated noise: a risk estimate for white noise reads it 10x off and the
            # SURE stage's loss assumes white noise too; the posterior step with the scaled
            # readings gained 1.2 dB on polyu-dev (docs/notes/benchmarks.md, "Real camera photos").
            record = {"step": self.steps_done, "risk_network": None, "risk_posterior": None, "gain_db": None}
            record["why"] = "the noise is correlated and JPEG'd: no risk estimate for white noise holds"
            choice = "posterior"
        else:
            record = self.posterior_gain()
            choice = refine.choose(record["gain_db"], final)
        self.history.readings["refine"] = {**record, "choice": choice}
        self.apply_refinement()
        gain = record["gain_db"]
        log.info(
            "step %d: the posterior step's estimated gain is %s; refine: %s",
            self.steps_done,
            "unknown" if gain is None else f"{gain:+.2f} dB",
            choice,
        )
        return self.history.readings["refine"]

    def calibrate_noise(self) -> None:
        """Where the noise reads correlated and JPEG'd, scale each image's noise reading so the
        training images' readings match Noise2Info's estimate sigma_loss (``plan.noise_scale``).

        JPEG and in-camera noise reduction leave the finest scale nearly clean where the image
        is smooth, which is where an image's own reading looks, so it reads such noise far
        low (a ninth of the truth on polyu-dev's camera photos), while sigma_loss, read
        through the network's blind spot, holds (docs/notes/benchmarks.md, "Real camera
        photos"). Each image keeps its own reading's share; only readings that are low are
        scaled (a factor of at least 1). The target is sigma_loss itself, an upper bound that
        sits above the noise by the network's own error: the posterior step weighs with it
        (keeping at least ``plan.posterior_floor`` of each pixel's residual, as for any
        correlated noise), while the run reports
        :data:`~noise2info.noise_level.BOUND_SHARE` of it as the noise std."""
        reading = self.history.readings.get("correlation")
        jpeg = reading is not None and reading.get("correlated") and self.plan.noise_lags is None
        if not jpeg or self.sigma_loss is None:
            return
        read = self.image_sigmas() / (self.plan.noise_scale or 1.0)  # the readings unscaled
        values = read[np.isfinite(read) & (read > 0)]
        if values.size == 0:
            return
        scale = max(1.0, self.sigma_loss / float(np.sqrt(np.mean(values**2))))
        self.plan = self.plan.model_copy(update={"noise_scale": scale})

    def request_stop(self) -> None:
        """Ask :meth:`run` to stop after the current step (safe to call from a signal handler)."""
        self._stop_requested = True

    # -- resumable state (training/state.py) ------------------------------------------
    def state(self) -> TrainingState:
        """Everything needed to continue exactly (:func:`noise2info.training.state.capture`)."""
        return state.capture(self)

    def load_state(self, saved: TrainingState) -> None:
        """Restore what :meth:`state` returned (same settings, plan, data and processes
        required: :func:`noise2info.training.state.restore`)."""
        state.restore(self, saved)

    def generators(self) -> dict[str, torch.Generator | None]:
        """The run's torch generators by stream name (None: a stream the method does not use)."""
        return {
            "mask": self.masker.generator if self.masker is not None else None,
            "est_mask": self.est_masker.generator,
            "mc": self.mc_generator,
            "probe": self.probe_generator,
            "train_probe": self.train_probe_generator,
        }

    def apply_refinement(self) -> None:
        """Train and predict with the choice in the history's ``refine`` reading."""
        record = self.history.readings["refine"]
        if record["choice"] == "sure":
            self.objective.refine_with_sure(record["step"])
        self.plan = self.plan.model_copy(update={"refine": record["choice"]})

    def save_checkpoint(self, path: str | Path) -> Path:
        """Write the state (rank 0 only; every rank takes part in gathering it)."""
        state = self.state()
        if self.rank == 0:
            save_checkpoint(path, state)
        if self.world > 1:
            dist.barrier()  # no rank exits (say, on Ctrl-C) before the file is complete
        return Path(path)

    def resume(self, path: str | Path) -> None:
        self.load_state(load_checkpoint(path))

    # -- the loop ---------------------------------------------------------------------
    def run(
        self,
        progress: bool = True,
        on_round: Callable[[dict], None] | None = None,
        checkpoint: str | Path | None = None,
        on_step: Callable[[int, dict | None], None] | None = None,
    ) -> TrainResult:
        """Alternate k_t training steps and a sigma round until ``steps`` are done.

        With ``checkpoint``, a resumable state is written there every ``checkpoint_every``
        steps, at the end, and when a stop is requested (then :class:`TrainingInterrupted`).
        ``on_step(step, record)`` is called after every step, ``record`` the logged losses on
        the steps that log them (else None): a progress display (the napari widget).
        """
        t0 = time.perf_counter()
        tc = self.config.training
        bar = tqdm(
            total=tc.steps,
            initial=self.steps_done,
            disable=not progress or self.rank > 0,
            desc=self.config.method.name,
            unit="step",
            dynamic_ncols=True,
        )
        try:
            while self.steps_done < tc.steps:
                for name, value in self.step().items():
                    self._running[name] = self._running.get(name, 0.0) + value
                self._n_running += 1
                step = self.steps_done
                logged = step % tc.log_every == 0 or step == tc.steps
                if logged:
                    self._log_record()
                    bar.set_postfix(
                        loss=f"{self.history.steps[-1]['loss']:.4f}",
                        **({"sigma_loss": f"{self.sigma_loss:.4f}"} if self.sigma_loss else {}),
                    )
                if self.schedule is not None and self.schedule.is_round(step):
                    record = self.sigma_round()
                    if on_round is not None:
                        on_round(record)
                    bar.set_postfix(sigma_loss=f"{self.sigma_loss:.4f}")
                bar.update(1)
                if on_step is not None:
                    on_step(step, self.history.steps[-1] if logged else None)
                if checkpoint is not None and (step % tc.checkpoint_every == 0 or step == tc.steps):
                    self.save_checkpoint(checkpoint)
                if all_ranks_agree(self._stop_requested) and step < tc.steps:
                    self._stop_requested = False
                    if checkpoint is not None:
                        self.save_checkpoint(checkpoint)
                    raise TrainingInterrupted(step, Path(checkpoint) if checkpoint else None)
        finally:
            bar.close()
            self._batches = None  # stops the DataLoader workers, if any
        if self.world > 1:  # one F on every rank: BN running statistics as on rank 0
            for buffer in self.model.buffers():
                dist.broadcast(buffer, 0)
        if self._refine_pending():  # refine_after >= steps: choose for prediction alone
            self.choose_refinement(final=True)
        self._readout = self.readout()
        self.calibrate_noise()  # with the final sigma_loss
        # The run's sigma: from the images themselves, which at CPU budgets is closer to the
        # truth than any readout of a not fully trained F (docs/notes/benchmarks.md, "Noise
        # readout"); for correlated noise with the bound (noise_level.run_noise_std).
        self._sigma, rule = plan_noise_std(
            self.direct["sigma"], self._readout, self.sigma_loss, self.plan, self.direct.get("coarse")
        )
        self.history.readings["noise"] = {"sigma_rule": rule}
        # The plain layout again: the trained model predicts exactly as the saved one reloaded.
        self.model.to(memory_format=torch.contiguous_format).eval()
        return TrainResult(
            self.model,
            self.config,
            self.plan,
            self.history,
            self.sigma_loss,
            self.sigma,
            time.perf_counter() - t0,
            sigma_readout=self._readout,
        )

    def _log_record(self) -> None:
        record = {
            "step": self.steps_done,
            **{k: v / self._n_running for k, v in self._running.items()},
            "lr": self.optimiser.param_groups[0]["lr"],
        }
        if self.sigma_loss is not None:
            record["sigma_loss"] = self.sigma_loss
        self.history.steps.append(record)
        self._running, self._n_running = {}, 0


def readout_batches(schedule, batch_size: int) -> int:
    """Batches of the final readout: a round's k_u, or enough for MIN_ESTIMATION_PATCHES for a
    method without rounds."""
    return schedule.k_u if schedule is not None else math.ceil(MIN_ESTIMATION_PATCHES / batch_size)


def _check_not_constant(stats, names: list[str]) -> None:
    """Warn for each constant image (nothing to learn from it); refuse when all are."""
    constant = [name for name, (_, std) in zip(names, stats, strict=True) if not (std > 0).any()]
    if constant and len(constant) == len(names):
        listed = ", ".join(constant[:3]) + (", ..." if len(constant) > 3 else "")
        raise ImageError(f"every training image is constant ({listed}); there is no noise to learn from")
    for name in constant:
        warnings.warn(f"{name} is constant; it adds nothing to training", Noise2InfoWarning, stacklevel=3)


def _rank_device(device: str) -> torch.device:
    """This rank's device: its own GPU under nccl, else the CPU."""
    if dist.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return resolve_device("cpu" if device == "auto" else device)


@flush_denormals()
def train(
    images: list[np.ndarray],
    config: Config,
    *,
    clean: list[np.ndarray] | None = None,
    device: str = "auto",
    progress: bool = True,
    on_round: Callable[[dict], None] | None = None,
    workers: int = 0,
    stats: list | None = None,
    names: list[str] | None = None,
) -> TrainResult:
    """Train a denoiser on noisy images alone (Algorithm 2).

    Parameters
    ----------
    images : list of array-like
        Noisy images, each ``(C, *spatial)``; each is normalised on its own per channel.
        NumPy arrays or lazy views (:func:`noise2info.io.sample_views`): only the patches
        drawn are read.
    config : Config
        Model, method and training settings (``config.method`` picks the variant).
    clean : list of np.ndarray, optional
        Clean images aligned with ``images`` (for a method that needs them: ``supervised``).
    device : str
        ``'auto'``, ``'cpu'`` or ``'cuda'``.
    progress : bool
        Show a progress bar with step, loss and sigma_loss.
    on_round : callable, optional
        Called with each sigma round's record.
    workers : int
        DataLoader processes drawing training patches ahead of the network (0: in this
        process). The result does not depend on it.
    stats : list of (mean, std), optional
        Each image's :func:`noise2info.data.channel_stats`, if already computed.
    names : list of str, optional
        The images' names for messages (e.g. which image is constant).

    Returns
    -------
    TrainResult
        The model (eval mode), config, history, final sigma_loss and sigma estimate (None
        for methods without them) and the wall time in seconds.

    Raises
    ------
    Noise2InfoError
        Images that do not fit the config (dimensions, channels), all constant, or a method
        that needs clean images without them.

    References
    ----------
    Wang, Di, Chen, Ng, "Noise2Info", ICCV 2023, Algorithm 2.
    """
    trainer = Trainer(images, config, clean=clean, device=device, stats=stats, workers=workers, names=names)
    return trainer.run(progress, on_round)
