"""Algorithm 2 of Noise2Info: train k_t steps, then estimate sigma and lower sigma_loss.

One trainer for every method: the method's settings build its objective, and the objective
says what the trainer must do (clean targets, masks, sigma rounds on its schedule). The
estimator's history is returned as data.
"""

from __future__ import annotations

import base64
import dataclasses
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

from .config import MIN_ESTIMATION_PATCHES, Config, MaskingConfig, config_diff, rescheduled
from .correlation import difference_scale, noise_correlation
from .data import PatchSampler, channel_stats
from .data.loader import training_batches
from .data.shuffle import pd_split
from .data.variance import SIGNAL_DEPENDENT_SHARE, Stabilised, fit_stabiliser
from .errors import ConfigError, ImageError, ModelFileError, Noise2InfoWarning
from .io import check_samples
from .lines import line_noise
from .masking import Masker
from .models import UNet, build_model
from .models.pretrained import load_pretrained, resolve_init
from .noise_level import direct_noise_std, image_noise_stds, noise_priors
from .objectives import make_batch
from .objectives.base import to_device
from .posterior import posterior_risk
from .readout import PROBE_STEP, noise_readout
from .run import TrainingState, load_checkpoint, save_checkpoint
from .runtime import all_ranks_agree, flush_denormals, rank_and_world, resolve_device
from .sigma import estimation_batches, sigma_round

log = logging.getLogger("noise2info")

# refine "auto" keeps Algorithm 2 and predicts with the posterior step where the step is
# estimated to gain at least this much on the half-trained F, and trains the SURE stage
# otherwise (measured: docs/benchmarks.md, "Posterior step or SURE stage").
POSTERIOR_MIN_GAIN_DB = 0.5


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
    """Loss terms per logged step and one entry per sigma round."""

    steps: list[dict] = field(default_factory=list)
    sigma_rounds: list[dict] = field(default_factory=list)
    refine: dict | None = None  # refine "auto": what was chosen, when, on which estimate
    correlation: dict | None = None  # pd_stride auto: the noise correlation it was chosen on
    lines: dict | None = None  # line_noise auto: the row / column offsets it read

    def to_dict(self) -> dict:
        out = {"steps": self.steps, "sigma_rounds": self.sigma_rounds}
        for name in ("refine", "correlation", "lines"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        return out


@dataclass
class TrainResult:
    """What :func:`train` returns; :func:`noise2info.save_run` writes it.

    ``sigma_loss`` is the loss's noise-std weight at the end (Noise2Info's bound; None for
    methods without one); ``sigma`` is the run's noise-std estimate, measured on the training
    images themselves (:func:`noise2info.noise_level.direct_noise_std`, the readout where the
    images are too small for it); ``sigma_readout`` the noise readout of the trained F
    (:mod:`noise2info.readout`, every method). The bound over-counts while F is under-trained
    (+10-17 % on the short CPU runs of docs/benchmarks.md), the readout is off by 1-12 %, the
    images' own estimate by at most 3.2 % on the sets measured there ("Noise readout"). All
    in normalised units (of the stabilised images under ``vst`` 'gat').
    """

    model: UNet
    config: Config
    history: History
    sigma_loss: float | None
    sigma: float | None
    seconds: float
    sigma_readout: float | None = None
    # Set by noise2info.api.train_files: the expected PSNR gain on a few training images.
    expected_gain: dict | None = None


def _seeds(seed: int, rank: int = 0) -> tuple[int, ...]:
    # Independent streams: init, training patches, training masks, estimation patches,
    # estimation masks, Monte-Carlo draws, readout probes, training probes (the second stage).
    # Estimation never shifts the training stream, so methods compared at one seed see the
    # same training patches. Other ranks draw their own patches, masks and training probes;
    # init and Monte-Carlo streams are shared so all ranks agree on sigma*.
    streams = [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(8)]
    if rank:
        own = [
            int(s.generate_state(1)[0])
            for s in np.random.SeedSequence(seed, spawn_key=(1000 + rank,)).spawn(8)
        ]
        streams[1:5] = own[1:5]
        streams[7] = own[7]
    return tuple(streams)


def _generator_state(g: torch.Generator) -> str:
    return base64.b64encode(g.get_state().numpy().tobytes()).decode()


def _set_generator_state(g: torch.Generator, text: str) -> None:
    g.set_state(torch.frombuffer(bytearray(base64.b64decode(text)), dtype=torch.uint8).clone())


def resolve_vst(config: Config, images: list, supervised: bool = False) -> tuple[Config, list, bool]:
    """``config`` with ``vst`` 'auto' made 'gat' or 'none' and a missing gain / offset fitted
    from the noisy images, and the images as the network sees them (generalized Anscombe
    transformed under 'gat'); the third item says whether they were transformed. A method
    with clean targets (``supervised``) learns the noise as it is: 'auto' is 'none' there."""
    tc = config.training
    if tc.vst == "gat" and supervised:
        raise ConfigError(f"vst gat is for self-supervised training, not method {config.method.name}")
    as_is = {"vst": "none", "vst_a": None, "vst_b": None}
    if tc.vst == "none" or supervised:
        return config.model_copy(update={"training": tc.model_copy(update=as_is)}), images, False
    a, b = tc.vst_a, tc.vst_b
    if a is None or b is None:
        fit = fit_stabiliser(images) if config.model.channels == 1 else None
        dependent = fit is not None and fit[2] >= SIGNAL_DEPENDENT_SHARE
        if tc.vst == "auto" and not dependent:
            return config.model_copy(update={"training": tc.model_copy(update=as_is)}), images, False
        if fit is None:
            why = (
                f"the images have {config.model.channels} channels"
                if config.model.channels != 1
                else "the noise level of these images does not grow with intensity"
            )
            raise ConfigError(f"vst gat: no gain and offset could be fitted ({why}); give vst_a and vst_b")
        a = a if a is not None else fit[0]
        b = b if b is not None else fit[1]
    vst = {"vst": "gat", "vst_a": float(a), "vst_b": float(b)}
    config = config.model_copy(update={"training": tc.model_copy(update=vst)})
    return config, [Stabilised(im, a, b) for im in images], True


def resolve_lines(config: Config, images: list, supervised: bool = False) -> tuple[Config, dict | None]:
    """``config`` with ``line_noise`` 'auto' made the directions whose row / column offsets
    the noisy images carry (:func:`noise2info.lines.line_noise`), and that reading (None when
    not measured). A method with clean targets learns the offsets away: 'auto' is 'none' there."""
    tc = config.training
    if tc.line_noise != "auto":
        return config, None
    reading = None if supervised else line_noise(images)
    found = [] if reading is None else reading["found"]
    value = {0: "none", 2: "both"}.get(len(found)) or found[0]
    return config.model_copy(update={"training": tc.model_copy(update={"line_noise": value})}), reading


# The pixel-shuffle stride advised when the noise reads correlated: bilinear demosaicing
# correlates the noise of pixels 1 and 2 apart (0.60 and 0.15 on the real-sim camera), but the
# sub-images of every third pixel lose more detail than the leftover correlation at 2 costs
# (docs/benchmarks.md, "The real-sim suite": stride 2 +1.9 dB, stride 3 +1.4 dB on strong
# demosaiced noise). Not switched on by auto: on a phone's mild JPEG noise stride 2 cost
# 0.17 dB and stride 3 1.1 dB, and the correlation readout does not tell the two apart.
PD_STRIDE = 2
# The masked block where the noise reads correlated: demosaiced and JPEG noise is correlated
# over 1-2 pixels; blocks of 3 keep the masked pass blind to its nearest neighbours
# (docs/benchmarks.md, "The real-sim suite").
MASK_BLOCK = 3
PD_MAX_VALUES = 2**30  # 4 GB of float32 sub-images at most


def resolve_correlation(
    config: Config, images: list, supervised: bool = False
) -> tuple[Config, list, dict | None]:
    """``config`` with ``pd_stride`` None (auto) made 1 after measuring the noise's spatial
    correlation on the images (:func:`noise2info.correlation.noise_correlation`; the summary
    advises :data:`PD_STRIDE` where it reads correlated), and where it reads correlated the
    masked block (``masking.block`` None: :data:`MASK_BLOCK`, else 1) and the correlation
    each image's noise std is read with (``noise_lags``); the images as the network sees them
    (under PD every image's s x s sub-images, :func:`noise2info.data.shuffle.pd_split`); and
    the correlation reading (None when not measured). A method with clean targets learns the
    noise as it is: auto is 1 there without measuring."""
    tc = config.training
    stride, reading = tc.pd_stride, None
    if supervised:
        if stride not in (None, 1):
            raise ConfigError(f"pd_stride is for self-supervised training, not method {config.method.name}")
        stride = 1
    elif stride is None:
        reading = noise_correlation(images)
        stride = 1
    smallest = min(min(im.shape[-2:]) for im in images)
    if stride > smallest:
        raise ConfigError(f"pd_stride {stride} is larger than the smallest image ({smallest} pixels a side)")
    values = sum(int(np.prod(im.shape)) for im in images)
    if stride > 1 and values > PD_MAX_VALUES:  # the sub-images are copies held in memory
        message = (
            f"pixel shuffle (pd_stride {stride}) holds the images in memory: {values / 1e9:.1f} G values "
            f"is more than {PD_MAX_VALUES / 1e9:.1f} G"
        )
        raise ConfigError(f"{message}; train on fewer images or with pd_stride 1")
    update = {"pd_stride": stride}
    correlated = reading is not None and reading["correlated"]
    # The std denoise reads is corrected for the correlation, but not for JPEG's: its noise is
    # gone where the image is smooth, which is where the std is read, and the posterior step
    # measured worse with the correction there (docs/benchmarks.md, "The real-sim suite").
    if tc.noise_lags is None and correlated and not reading["jpeg"]:
        update["noise_lags"] = reading["lags"]
    config = config.model_copy(update={"training": tc.model_copy(update=update)})
    masking = config.masking
    if masking is not None and masking.block is None:  # auto: blocks where the noise is correlated
        if reading is None and stride == 1:
            reading = noise_correlation(images)
        block = MASK_BLOCK if stride == 1 and reading["correlated"] else 1
        method = config.method.model_copy(update={"masking": masking.model_copy(update={"block": block})})
        config = config.model_copy(update={"method": method})
    return config, (pd_split(images, stride) if stride > 1 else images), reading


class Trainer:
    """Algorithm 2 as explicit phases: :meth:`step` trains F once with
    loss = L_in + 2 sigma_loss L_ex (or the method's objective); :meth:`sigma_round` runs
    Algorithm 1 with F fixed and lowers sigma_loss. :meth:`run` alternates them, k_t steps per
    round. All state (model, optimiser, samplers, generators, history) lives here.

    Parameters are those of :func:`train`.
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
    ):
        config = resolve_init(config)
        names = names or [f"image {i}" for i in range(len(images))]
        check_samples(images, config.model.dims, config.model.channels, names)
        tc = config.training
        self.objective = config.method.build_objective()
        if self.objective.needs_clean and clean is None:
            raise ConfigError(f"method {config.method.name} needs clean images")
        if workers < 0:
            raise ConfigError(f"workers must be 0 or more, not {workers}")
        self.rank, self.world = rank_and_world()
        self.device = resolve_device(device) if self.world == 1 else _rank_device(device)
        s_init, s_patch, s_mask, s_est_patch, s_est_mask, s_mc, s_probe, s_train_probe = _seeds(
            tc.seed, self.rank
        )

        # Each image is normalised by its own statistics, patch by patch as patches are drawn:
        # a memory-mapped stack stays on disk.
        stats = list(stats) if stats is not None else [channel_stats(im) for im in images]
        _check_not_constant(stats, names)
        config, lines = resolve_lines(config, images, self.objective.needs_clean)  # as given
        config, images, stabilised = resolve_vst(config, images, self.objective.needs_clean)
        config, images, correlation = resolve_correlation(config, images, self.objective.needs_clean)
        if stabilised or config.training.pd_stride > 1:  # as the network sees them: own statistics
            stats = [channel_stats(im) for im in images]
        if config.training.pd_stride > 1:
            names = [
                f"{name} (PD sub-image {k})" for name in names for k in range(config.training.pd_stride**2)
            ]
        self.config, tc = config, config.training
        self.fingerprint = data_fingerprint(images, stats)
        self.images, self.stats = images, stats  # as the network sees them
        # Each image's own noise reading, once: the run's sigma at the end, and the prior that
        # the posterior step reads every image against (noise_level.shrink_noise_variance).
        self.direct = direct_noise_std(images, [std for _, std in stats])
        if tc.noise_prior is None:
            tc = tc.model_copy(update={"noise_prior": noise_priors(self.direct)})
            self.config = config = config.model_copy(update={"training": tc})

        torch.manual_seed(s_init)
        model = build_model(config.model)
        if tc.init == "pretrained":  # fine-tune the shipped starting point (models/pretrained.py)
            load_pretrained(model, config.model)
        self.model = model.to(self.device).train()
        # The transform travels with the network, so denoise() applies and inverts it.
        self.model.vst = (tc.vst_a, tc.vst_b) if tc.vst == "gat" else None
        self.model.posterior = config.method.posterior  # so is the posterior step
        self.model.noise_prior = tc.noise_prior  # and the noise it reads images against
        self.model.pd_stride = tc.pd_stride  # and the pixel shuffle
        self.model.line_noise = tc.line_noise  # and the line offsets it removes after
        self.model.noise_lags = tc.noise_lags  # and the noise correlation its std is read with
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
        self.sampler = PatchSampler(images, tc.patch_size, s_patch, tc.augment, targets, stats)
        self.workers = workers
        self._batches = None  # the training stream, started at the first step
        masking = config.masking
        self.masker = (
            Masker(masking, torch.Generator().manual_seed(s_mask)) if self.objective.needs_mask else None
        )
        # Estimation draws its own patches, masks and Monte-Carlo samples: it never shifts the
        # training stream, so methods compared at one seed see the same training batches.
        self.est_sampler = PatchSampler(images, tc.patch_size, s_est_patch, tc.augment, stats=stats)
        self.est_masker = Masker(masking or MaskingConfig(), torch.Generator().manual_seed(s_est_mask))
        self.mc_generator = torch.Generator().manual_seed(s_mc)
        self.probe_generator = torch.Generator().manual_seed(s_probe)
        self.train_probe_generator = torch.Generator().manual_seed(s_train_probe)
        self._sigma: float | None = None  # the run's noise std, set at the end of run()
        self._readout: float | None = None  # the final noise readout of F
        self.optimiser = torch.optim.Adam(self.model.parameters(), lr=tc.lr)
        self.scheduler = torch.optim.lr_scheduler.StepLR(self.optimiser, tc.lr_decay_every, gamma=0.5)
        self.history = History(correlation=correlation, lines=lines)
        self.steps_done = 0
        self._running: dict[str, float] = {}  # loss terms summed since the last log record
        self._n_running = 0
        self._stop_requested = False

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
        count = _readout_batches(self.schedule, b)
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
        """``(images, C)``: each training image's noise std per channel in normalised units,
        its own reading shrunk toward the run's prior as prediction reads it; the pooled
        value for an image not read (or not measurable), NaN where there is none."""
        priors = self.config.training.noise_prior or []
        out = np.full((len(self.images), self.config.model.channels), np.nan)
        for i, (_, std) in enumerate(self.stats):
            std = np.ravel(std)
            for c, p in enumerate(priors):
                if p is not None and std[c] > 0:
                    out[i, c] = math.exp(p[0] / 2) / std[c]
        shrunk = image_noise_stds(self.direct, priors or None)
        for entry, stds in zip(self.direct["per_image"], shrunk, strict=True):
            for c, s in enumerate(stds):
                if s is not None:
                    out[entry["index"], c] = s
        return out * difference_scale(self.config.training.noise_lags)  # as denoise reads it

    @torch.no_grad()
    def posterior_gain(self) -> dict:
        """What the posterior step would gain on F now: the SURE estimates of the error of F
        and of the step (:func:`noise2info.posterior.posterior_risk`) summed over fresh
        estimation patches, each with its image's noise std as prediction reads it
        (:meth:`image_sigmas`: a per-patch reading is too noisy, docs/benchmarks.md
        "Posterior step or SURE stage"); all ranks' patches together.

        Returns ``{"step", "risk_network", "risk_posterior", "gain_db"}``, the gain
        10 log10(risk_network / risk_posterior) (None where a risk is not positive).
        """
        b = self.config.training.batch_size
        count = _readout_batches(self.schedule, b)
        sigmas = self.image_sigmas()
        was_training = self.model.training
        self.model.eval()
        sums = torch.zeros(2, dtype=torch.float64)
        try:
            for _ in range(count):
                noisy, _, index = self.est_sampler.sample(b, index=True)
                x = to_device(noisy, self.device)
                f_x = self.model(x).float()
                z = torch.randn(tuple(x.shape), generator=self.probe_generator).to(x.device, x.dtype)
                jz = (self.model(x + PROBE_STEP * z).float() - f_x) / PROBE_STEP
                xs, fs, zs, js = (t.double().cpu().numpy() for t in (x, f_x, z, jz))
                for i, image in enumerate(index):
                    if np.isfinite(sigmas[image]).all():
                        risks = posterior_risk(xs[i], fs[i], sigmas[image], zs[i], js[i])
                        sums += torch.tensor(risks, dtype=torch.float64)
        finally:
            self.model.train(was_training)
        if self.world > 1:
            sums = sums.to(self.device)
            dist.all_reduce(sums)
            sums = sums.cpu()
        network, step = (float(v) for v in sums)
        gain = 10 * math.log10(network / step) if network > 0 and step > 0 else None
        return {"step": self.steps_done, "risk_network": network, "risk_posterior": step, "gain_db": gain}

    def _refine_pending(self) -> bool:
        return getattr(self.config.method, "refine", None) == "auto" and self.history.refine is None

    def choose_refinement(self, final: bool = False) -> dict:
        """refine "auto": the posterior step where :meth:`posterior_gain` is at least
        POSTERIOR_MIN_GAIN_DB, else the SURE stage from the next step on; at the end of a run
        (``final``, no stage left to train) the step where it gains at all, else nothing.
        The choice is kept in the history, so a resumed run makes the same one."""
        record = self.posterior_gain()
        gain = record["gain_db"]
        if gain is not None and gain >= POSTERIOR_MIN_GAIN_DB:
            choice = "posterior"
        elif final:
            choice = "posterior" if gain is not None and gain > 0 else "none"
        else:
            choice = "sure"
        self.history.refine = {**record, "choice": choice}
        self._apply_refinement()
        log.info(
            "step %d: the posterior step's estimated gain is %s; refine: %s",
            self.steps_done,
            "unknown" if gain is None else f"{gain:+.2f} dB",
            choice,
        )
        return self.history.refine

    def _apply_refinement(self) -> None:
        record = self.history.refine
        if record["choice"] == "sure":
            self.objective.refine_with_sure(record["step"])
        self.model.posterior = record["choice"] == "posterior"

    def request_stop(self) -> None:
        """Ask :meth:`run` to stop after the current step (safe to call from a signal handler)."""
        self._stop_requested = True

    # -- resumable state --------------------------------------------------------------
    def state(self) -> TrainingState:
        """Everything needed to continue exactly: weights, optimiser, scheduler, sigma_loss,
        history, log accumulators and every random state."""
        rng = {
            "mask": _generator_state(self.masker.generator) if self.masker is not None else None,
            "est_mask": _generator_state(self.est_masker.generator),
            "mc": _generator_state(self.mc_generator),
            "probe": _generator_state(self.probe_generator),
            "train_probe": _generator_state(self.train_probe_generator),
            "torch": base64.b64encode(torch.get_rng_state().numpy().tobytes()).decode(),
            "est_sampler": self.est_sampler.rng.bit_generator.state,
        }
        rngs = [rng]
        if self.world > 1:  # every rank's random state, so each resumes its own stream
            rngs = [None] * self.world
            dist.all_gather_object(rngs, rng)
        meta = {
            "config": self.config.model_dump(mode="json"),
            "fingerprint": self.fingerprint,
            "steps_done": self.steps_done,
            "sigma_loss": self.sigma_loss,
            "history": self.history.to_dict(),
            "running": self._running,
            "n_running": self._n_running,
            "scheduler": self.scheduler.state_dict(),
            "world_size": self.world,
            "rng": rngs,
        }
        return TrainingState(self.model.state_dict(), self.optimiser.state_dict(), meta)

    def check_resumable(self, state: TrainingState) -> None:
        """Refuse a state written with another configuration, other data or another number
        of processes, before anything is restored."""
        meta = state.meta
        if meta["fingerprint"] != self.fingerprint:  # first: what is measured on them differs too
            raise ModelFileError(
                "the checkpoint was trained on different images; resume with the same inputs"
            )
        diff = config_diff(Config.model_validate(meta["config"]), self.config)
        if diff:
            raise ConfigError(
                f"the run was trained with other settings ({'; '.join(diff)}); "
                "resume with the same options or start a new run directory"
            )
        if meta["world_size"] != self.world:
            raise ModelFileError(
                f"the checkpoint was written by {meta['world_size']} process(es); "
                f"resume with --nproc {meta['world_size']}"
            )

    def load_state(self, state: TrainingState) -> None:
        """Restore what :meth:`state` returned (same config, data and processes required)."""
        self.check_resumable(state)
        meta = state.meta
        self.model.load_state_dict(state.model)
        optimiser = {
            "state": {
                pid: {k: v.to(self.device) if k != "step" else v for k, v in entry.items()}
                for pid, entry in state.optimiser["state"].items()
            },
            "param_groups": state.optimiser["param_groups"],
        }
        self.optimiser.load_state_dict(optimiser)
        self.scheduler.load_state_dict(meta["scheduler"])
        rng = meta["rng"][self.rank]
        if self.masker is not None:
            _set_generator_state(self.masker.generator, rng["mask"])
        _set_generator_state(self.est_masker.generator, rng["est_mask"])
        _set_generator_state(self.mc_generator, rng["mc"])
        _set_generator_state(self.probe_generator, rng["probe"])
        if "train_probe" in rng:  # checkpoints of version 2 had no second stage
            _set_generator_state(self.train_probe_generator, rng["train_probe"])
        torch.set_rng_state(
            torch.frombuffer(bytearray(base64.b64decode(rng["torch"])), dtype=torch.uint8).clone()
        )
        self.est_sampler.rng.bit_generator.state = rng["est_sampler"]
        if meta["sigma_loss"] is not None:
            self.objective.sigma_loss = meta["sigma_loss"]
        self.history = History(**meta["history"])
        if self.history.refine is not None:  # refine "auto" had chosen: the same stage again
            self._apply_refinement()
        self._running, self._n_running = meta["running"], meta["n_running"]
        self.steps_done = meta["steps_done"]
        self._batches = None  # the stream restarts at steps_done (batch t depends on t alone)

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
        # The run's sigma: from the images themselves, which at CPU budgets is closer to the
        # truth than any readout of a not fully trained F (docs/benchmarks.md, "Noise readout").
        direct = self.direct["sigma"]
        if direct is not None:  # correlated noise reads low in pixel differences
            direct *= difference_scale(self.config.training.noise_lags)
        self._sigma = direct if direct is not None else self._readout
        # The plain layout again: the trained model predicts exactly as the saved one reloaded.
        self.model.to(memory_format=torch.contiguous_format).eval()
        config = self.config
        if self.history.refine is not None:  # saved as what was trained: "auto" resolved
            method = config.method.model_copy(update={"refine": self.history.refine["choice"]})
            config = config.model_copy(update={"method": method})
        return TrainResult(
            self.model,
            config,
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


def _readout_batches(schedule, batch_size: int) -> int:
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


TIMED_STEPS = 6  # steps timed by fit_to_time, after WARMUP_STEPS untimed ones
WARMUP_STEPS = 2


@flush_denormals()
def fit_to_time(
    images: list[np.ndarray],
    config: Config,
    seconds: float,
    *,
    device: str = "auto",
    stats: list | None = None,
    names: list[str] | None = None,
    keep: tuple[str, ...] = (),
) -> Config:
    """``config`` with the steps that train in about ``seconds`` on this machine, the
    schedule (k_t, k_u, first_round, lr decay) derived for them, except the settings named
    in ``keep``.

    A few steps and two estimation batches are timed on the images (a throw-away trainer, so
    the run itself equals one started with those steps); the sigma rounds and the final
    readout are counted in. Under several processes rank 0's answer is used by all.
    """
    if not seconds > 0:
        raise ConfigError(f"the time budget must be positive, not {seconds}")
    trainer = Trainer(images, config, device=device, stats=stats, names=names)
    for _ in range(WARMUP_STEPS):
        trainer.step()
    t0 = time.perf_counter()
    for _ in range(TIMED_STEPS):
        trainer.step()
    per_step = (time.perf_counter() - t0) / TIMED_STEPS
    t0 = time.perf_counter()
    if trainer.schedule is not None:  # a round of 2 estimation batches
        trainer.objective.sigma_schedule = dataclasses.replace(trainer.schedule, k_u=2)
        trainer.sigma_round()
        per_batch = (time.perf_counter() - t0) / 2
    else:  # the final readout alone
        trainer.readout()
        per_batch = (time.perf_counter() - t0) / _readout_batches(None, config.training.batch_size)

    def cost(cfg: Config) -> float:
        schedule = cfg.method.build_objective().sigma_schedule
        steps = cfg.training.steps
        estimation = _readout_batches(schedule, cfg.training.batch_size)  # the final readout
        if schedule is not None:
            estimation += schedule.rounds(steps) * schedule.k_u
        return steps * per_step + estimation * per_batch

    steps = max(1, int(seconds / per_step))
    for _ in range(4):  # the schedule depends on the steps: a few fixed-point passes
        fitted = rescheduled(config, steps, keep)
        steps = max(1, int(steps * seconds / cost(fitted)))
    if dist.is_available() and dist.is_initialized():
        box = [steps]
        dist.broadcast_object_list(box, src=0)
        steps = box[0]
    return rescheduled(config, steps, keep)


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
