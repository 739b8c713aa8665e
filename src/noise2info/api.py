"""File-level workflows over the library: what the CLI calls, usable from Python as is."""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from tqdm.auto import tqdm

from . import io
from .config import Config, MaskingConfig
from .data import PatchSampler, channel_stats
from .data.variance import Stabilised
from .errors import ConfigError, ImageError, ModelFileError
from .masking import Masker
from .noise_level import (
    centre,
    direct_noise_level_function,
    direct_noise_std,
    evenly_spaced,
    plan_image_noise_std,
    plan_noise_std,
)
from .pipeline import make_plan
from .plan import Plan, Trained, network_and_plan
from .prediction import denoise
from .rating import blend
from .readout import ReadoutStatistics, collect_readout, noise_level_function
from .report import write_report
from .run import CHECKPOINT, checkpoint_plan, holds_run, load_checkpoint, load_run, save_config, save_run
from .runtime import flush_denormals, rank_and_world
from .sigma import estimation_batches, sigma_round
from .training import Trainer, TrainingInterrupted, TrainResult, fit_to_time


@dataclass
class LoadedImage:
    path: Path
    array: object  # as stored: a NumPy array, or memory-mapped / Zarr (read on demand)
    samples: list[io.SampleView]  # its (C, *spatial) samples

    @property
    def names(self) -> list[str]:
        """One name per sample: the file name, with ``[i]`` for a stack's samples."""
        if len(self.samples) == 1:
            return [self.path.name]
        return [f"{self.path.name}[{i}]" for i in range(len(self.samples))]


def load_images(inputs, dims: int, channels: int | None = None) -> list[LoadedImage]:
    """Open files / directories / globs and arrange each as ``(C, *spatial)`` samples
    (:func:`io.sample_views`; ``channels``: a model's, which an image must have).

    Memory-mapped TIFF / NPY and Zarr inputs stay on disk (:func:`io.open_image`); the
    samples read them slice by slice.
    """
    loaded = []
    for path in io.find_inputs(list(inputs)):
        arr = io.open_image(path)
        loaded.append(LoadedImage(path, arr, io.sample_views(arr, dims, channels, name=str(path))))
    return loaded


def _samples(loaded: list[LoadedImage]) -> tuple[list[io.SampleView], list[str]]:
    return [s for it in loaded for s in it.samples], [n for it in loaded for n in it.names]


def _stats(images, names: list[str]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each image's per-channel mean and std; an image with NaN / Inf is named."""
    stats = []
    for name, im in zip(names, images, strict=True):
        try:
            stats.append(channel_stats(im))
        except ImageError as err:
            raise ImageError(f"{name}: {err}") from None
    return stats


@contextmanager
def _stop_on_signals(trainer: Trainer):
    """SIGINT / SIGTERM ask the trainer to checkpoint and stop after the current step."""
    received: list[int] = []

    def handler(signum, _frame):
        received.append(signum)
        trainer.request_stop()

    if threading.current_thread() is not threading.main_thread():  # handlers only work there
        yield received
        return
    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield received
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def train_files(
    inputs,
    config: Config,
    run_dir: str | Path,
    *,
    device: str = "auto",
    progress: bool = True,
    resume: bool = False,
    workers: int = 0,
    time_budget: float | None = None,
    keep: tuple[str, ...] = (),
    report: bool = True,
) -> TrainResult:
    """Train on image files and save the run (and ``report.html`` unless ``report`` is False:
    :func:`noise2info.report.write_report`). ``config.model.channels`` is taken from the data.

    With ``time_budget`` (seconds) a new run trains for the steps that fit in it
    (:func:`noise2info.training.fit_to_time`; its schedule follows those steps except the
    settings named in ``keep``); the saved config holds the steps.

    The run directory gets ``config.json`` at once and a checkpoint every
    ``checkpoint_every`` steps; Ctrl-C or SIGTERM save a checkpoint and raise
    :class:`TrainingInterrupted` (its ``signal`` says which). ``resume=True`` continues from
    the checkpoint; ``config`` must equal the saved one (for a resumed command line, the
    saved config updated with its options: :func:`noise2info.config.updated`). A directory
    that already holds a run is never overwritten. Memory-mapped TIFF / NPY and Zarr inputs
    are read patch by patch; ``workers`` DataLoader processes draw the patches ahead of the
    network.
    """
    run_dir = Path(run_dir)
    loaded = load_images(inputs, config.model.dims)
    images, names = _samples(loaded)
    stats = _stats(images, names)  # bad pixels found before any write
    channels = io.check_samples(images, config.model.dims, names=names)
    config = config.model_copy(update={"model": config.model.model_copy(update={"channels": channels})})
    ckpt = run_dir / CHECKPOINT
    if resume and not ckpt.is_file():
        raise ModelFileError(f"{run_dir}: nothing to resume (no {CHECKPOINT})")
    if not resume and holds_run(run_dir):
        raise ModelFileError(
            f"{run_dir} already holds a run; continue it with --resume or choose a new --out"
        )
    # A resumed run trains with the plan it started with; a timed one plans once, for the
    # timing and the run.
    state = load_checkpoint(ckpt) if resume else None
    plan = checkpoint_plan(state) if state is not None else None
    if time_budget is not None:
        if resume:
            raise ConfigError("a time budget sets the steps of a new run; a resumed run keeps its steps")
        plan = make_plan(images, config, stats=stats)
        config = fit_to_time(
            images, config, time_budget, device=device, stats=stats, names=names, keep=keep, plan=plan
        )

    # Built, and a checkpoint checked against the config, plan, data and processes (the one
    # resume check), before anything is written.
    trainer = Trainer(images, config, device=device, stats=stats, workers=workers, names=names, plan=plan)
    if state is not None:
        trainer.load_state(state)
    rank, world = rank_and_world()
    if world > 1:
        dist.barrier()  # every rank has checked the run directory before rank 0 writes into it
    if rank == 0 and not resume:
        save_config(run_dir, trainer.config)  # the settings; the plan is written at the end
    with flush_denormals(), _stop_on_signals(trainer) as received:
        try:
            result = trainer.run(progress, checkpoint=ckpt)
        except TrainingInterrupted as stop:
            stop.signal = received[-1] if received else signal.SIGINT
            raise
    if rank == 0:
        save_run(result, run_dir)
        result.expected_gain = expected_gains(result, images)
        if report:
            write_report(run_dir, result, images, names)
    return result


GAIN_IMAGES = 4  # training images the run summary rates
GAIN_SIDE = 512  # on a centre window of at most this many pixels a side


def expected_gains(model: Trained, images, count: int = GAIN_IMAGES, side: int = GAIN_SIDE) -> dict:
    """What ``denoise --check`` will say about images like the training images (``model``: the
    run, with its plan): the expected
    PSNR gain (:mod:`noise2info.safety`, from the noisy images alone) on the centre windows of
    up to ``count`` of them, evenly spaced.

    Returns
    -------
    dict
        ``images``: how many were rated; ``mean_db`` and ``lowest_db``: the mean and the lowest
        expected gain (None where no noise level could be read); ``worse``: how many are
        expected to get worse.
    """
    chosen = evenly_spaced(len(images), count)
    found = []
    for i in chosen:
        window = centre(images[i], side).astype(np.float32)
        gain = denoise(model, window, return_gain=True)[1]["gain_db"]
        if gain is not None:
            found.append(gain)
    return {
        "images": len(chosen),
        "mean_db": round(float(np.mean(found)), 2) if found else None,
        "lowest_db": round(float(min(found)), 2) if found else None,
        "worse": sum(g < 0 for g in found),
    }


def denoise_array(
    model: nn.Module | Trained,
    arr,
    *,
    plan: Plan | None = None,
    tile: int | None = None,
    tta: bool = False,
    out=None,
    name: str = "image",
    posterior: bool | None = None,
    lines: bool | None = None,
    check: bool = False,
    safe: bool = False,
    mix_start: bool = True,
):
    """Denoise a stored array (any layout :func:`io.sample_views` reads); same shape and dtype.
    ``model``, ``plan``, ``posterior``, ``lines`` and ``mix_start`` as in
    :func:`~noise2info.prediction.denoise` (default: the run's plan).

    ``arr`` may be lazy (memory-mapped, Zarr) and ``out`` a writable array of the same shape
    (e.g. :func:`io.write_into`'s): then one tile at a time is in memory.

    With ``check`` (or ``safe``) each sample's expected gain is estimated from the noisy image
    alone (:mod:`noise2info.safety`) and ``(out, gains)`` returned, one dict per sample. With
    ``safe`` a sample the network is expected to make worse (``gain_db`` < 0) is blended
    toward its input with the weight that minimises the estimated error (``blended``: True);
    that reads the sample whole.
    """
    net, plan = network_and_plan(model, plan)
    dims = net.config.dims
    samples = io.sample_views(arr, dims, net.config.channels, name=name)
    if out is None:
        out = np.empty(arr.shape, arr.dtype)
    gains = []
    options = dict(
        plan=plan, tile=tile, tta=tta, name=name, posterior=posterior, lines=lines, mix_start=mix_start
    )
    for sample, target in zip(samples, io.sample_views(out, dims), strict=True):
        if not (check or safe):
            denoise(net, sample, out=target, **options)
            continue
        _, gain = denoise(net, sample, out=target, return_gain=True, **options)
        gain["blended"] = bool(safe and gain["gain_db"] is not None and gain["gain_db"] < 0)
        if gain["blended"]:
            target[...] = io.cast_to(blend(sample, target, gain["blend"]), target.dtype)
        gains.append(gain)
    return (out, gains) if (check or safe) else out


@dataclass
class Denoised:
    """What :func:`denoise_files` did: outputs written, and inputs skipped because their
    output was already complete."""

    written: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    # With check: per written output, each sample's expected gain (noise2info.safety).
    gains: dict[Path, list[dict]] = field(default_factory=dict)

    def expected_worse(self) -> list[tuple[Path, float]]:
        """Outputs with a sample the network was expected to make worse, and the worst gain."""
        out = []
        for path, gains in self.gains.items():
            found = [g["gain_db"] for g in gains if g["gain_db"] is not None]
            if found and min(found) < 0:
                out.append((path, min(found)))
        return out


def denoise_files(
    run_dir: str | Path,
    inputs,
    out_dir: str | Path,
    *,
    tile: int | None = None,
    tta: bool = False,
    device: str = "auto",
    progress: bool = True,
    overwrite: bool = False,
    posterior: bool | None = None,
    lines: bool | None = None,
    check: bool = True,
    safe: bool = False,
    engine: str = "torch",
    shard: tuple[int, int] = (0, 1),
    threads: int | None = None,
    mix_start: bool = True,
) -> Denoised:
    """Denoise files into ``out_dir``, one output per input with the same name and format.

    Outputs are written whole or not at all (temp file + rename), so an output that exists is
    complete: a rerun after an interruption skips it and goes on with the rest, unless
    ``overwrite``. ``check`` estimates each image's expected gain (one more network pass;
    ``Denoised.gains``); ``safe`` blends an image the network is expected to make worse
    toward its input (:func:`denoise_array`).

    ``engine`` 'onnx' runs the exported network with ONNX Runtime
    (:func:`noise2info.export.onnx.onnx_engine`; ``run_dir`` a run folder, whose
    ``model.onnx`` is exported on first use, or an ``.onnx`` file): each image whole, TTA and
    the posterior step as asked (:func:`noise2info.export.onnx.denoise_onnx_array`, the same
    signature as :func:`denoise_array`), no line removal or check. ``shard``
    ``(rank, world)``: this process takes every ``world``-th input from the ``rank``-th
    (``denoise --nproc``, torchrun) and skips those complete; the ranks together do them all.
    ``threads``: ONNX Runtime's threads (default its own choice). ``mix_start`` False: without
    the shipped start's share where the run's plan mixes it in
    (:func:`~noise2info.prediction.denoise`).
    """
    if engine not in ("torch", "onnx"):
        raise ConfigError(f"unknown engine {engine!r}; use torch or onnx")
    # The model first: a wrong run folder is the error to report, whatever the inputs.
    if engine == "onnx":
        from .export.onnx import denoise_onnx_array, onnx_engine

        model, denoise_stored = onnx_engine(run_dir, threads), denoise_onnx_array
    else:
        model, denoise_stored = load_run(run_dir, device), denoise_array
    paths = io.find_inputs(list(inputs))
    out_dir = Path(out_dir)
    for p in paths:
        if p.resolve().parent == out_dir.resolve():
            raise ImageError(f"{p}: --out {out_dir} would overwrite this input; choose another folder")
    names = [p.name for p in paths]
    if len(set(names)) != len(names):
        raise ImageError("two inputs share a file name; their outputs would collide in --out")
    done = Denoised()
    rank, world = shard
    # Every world-th input, whatever the other ranks have written meanwhile (no race on what
    # is done); complete outputs are skipped, so a restart with another world finishes them.
    mine = paths[rank::world]
    done.skipped = [p for p in mine if not overwrite and (out_dir / p.name).exists()]
    skipped = set(done.skipped)
    todo = [p for p in mine if p not in skipped]
    dims, channels = (model.dims, model.channels) if engine == "onnx" else _shape_of(model)
    for p in tqdm(todo, desc="denoise", unit="image", disable=not progress):
        arr = io.open_image(p)  # memory-mapped / Zarr inputs stream tile by tile
        io.sample_views(arr, dims, channels, name=str(p))  # its layout checked before anything is written
        found = []

        def fill(out, arr=arr, name=p.name, found=found):
            result = denoise_stored(
                model,
                arr,
                tile=tile,
                tta=tta,
                out=out,
                name=name,
                posterior=posterior,
                lines=lines,
                check=check,
                safe=safe,
                mix_start=mix_start,
            )
            if check or safe:
                found.extend(result[1])

        _write_output(p, out_dir, arr, fill)
        done.written.append(out_dir / p.name)
        if found:
            done.gains[out_dir / p.name] = found
    return done


def _shape_of(run) -> tuple[int, int]:
    """A run's spatial dims and channels."""
    return run.config.model.dims, run.config.model.channels


def _write_output(path: Path, out_dir: Path, arr, fill) -> None:
    """``fill`` the output of ``path`` in ``out_dir`` (same shape, dtype, format and chunks)."""
    chunks = getattr(arr, "chunks", None) if path.suffix.lower() == ".zarr" else None
    try:
        io.write_into(out_dir / path.name, tuple(arr.shape), arr.dtype, fill, chunks=chunks)
    except ImageError as err:
        raise ImageError(f"{path}: {err}" if str(path.name) not in str(err) else str(err)) from None


def estimate_sigma(
    images: list,
    model: nn.Module | Trained,
    *,
    batches: int = 16,
    batch_size: int | None = None,
    patch_size: int | None = None,
    masking: MaskingConfig | None = None,
    k_mc: int = 10,
    seed: int = 0,
    names: list[str] | None = None,
) -> dict:
    """Estimate the noise std of images with a trained denoiser (Algorithm 1).

    Parameters
    ----------
    images : list of array-like
        ``(C, *spatial)`` images (NumPy arrays or lazy views), in their own units.
    model : Run, TrainResult or UNet
        A trained run (:func:`noise2info.load_run`) or its network. With a run, the batch
        size, patch size and masking default to the run's, and a run trained under variance
        stabilisation reads the transformed images.
    batches : int
        Estimation batches (k_u).
    batch_size, patch_size : int, optional
        Patches per batch and their side (defaults: the run's, or 16 and 64).
    masking : MaskingConfig, optional
        The masking of the invariance term (default: the run's, or the default masking).
    k_mc : int
        Monte-Carlo draws for E_l.
    seed : int
        Seed of the patches, masks and draws.
    names : list of str, optional
        The images' names in the result and in messages.

    Returns
    -------
    dict
        ``sigma``: the noise std measured on the images themselves
        (:func:`noise2info.noise_level.direct_noise_std`; the readout where they are too
        small), corrected as the run's plan says for correlated and JPEG'd noise (each
        image's: as denoise weighs with it, :func:`noise2info.noise_level.image_noise_std`;
        all images': by the run's rule, :func:`noise2info.noise_level.run_noise_std`, with
        ``sigma_bound`` for the bound), in normalised units (each image scaled to zero mean
        and unit std) over all images together; ``sigma_readout``: the network's noise readout
        (:mod:`noise2info.readout`); ``sigma_bound``: Algorithm 1's upper bound sigma* on the
        same patches; ``per_image``: for each image its name, the three in normalised units
        and, in the image's own intensity units, ``sigma`` times the image's std (mean over
        channels); ``sigma_intensity_mean``: the
        mean of the per-image intensity values; ``noise_level_function`` (one-channel images):
        the noise std per intensity bin in the images' own units and the fitted
        Poisson-Gaussian gain ``a`` and offset ``b`` (variance a * intensity + b^2);
        ``noise_level_function_direct``: the same from the images alone, without the network
        (:func:`noise2info.noise_level.direct_noise_level_function`, the closer fit on
        synthetic Poisson-Gaussian noise: docs/notes/benchmarks.md); ``vst``: the gain and offset
        of a network trained on generalized-Anscombe-transformed images (else None), whose
        readouts are then of the transformed images (noise std close to 1 before
        normalisation) and which gives no network noise level function. An
        estimate is None when there is none (Algorithm 1's radicand negative, or no data).

    Raises
    ------
    ImageError
        Images whose dimensions or channels do not fit the model.

    References
    ----------
    Wang, Di, Chen, Ng, "Noise2Info", ICCV 2023, Algorithm 1.
    """
    config = None if isinstance(model, nn.Module) else model.config
    net, plan = network_and_plan(model)
    names = names or [f"image {i}" for i in range(len(images))]
    io.check_samples(images, net.config.dims, net.config.channels, names)
    batch_size = batch_size or (config.training.batch_size if config else 16)
    patch_size = patch_size or (config.training.patch_size if config else 64)
    m = net.config.multiple
    if patch_size % m or min(batches, batch_size, k_mc) < 1:
        raise ConfigError(
            f"patch_size ({patch_size}) must be a multiple of {m}, and batches ({batches}), "
            f"batch_size ({batch_size}) and k_mc ({k_mc}) at least 1"
        )
    masking = masking or (config.masking if config else None) or MaskingConfig()
    device = next(net.parameters()).device
    seeds = [int(s) for s in np.random.SeedSequence(seed).generate_state(4)]

    def run(images: list, stats: list) -> tuple[ReadoutStatistics, float | None]:
        sampler = PatchSampler(images, patch_size, seeds[0], augment=False, stats=stats)
        masker = Masker(masking, torch.Generator().manual_seed(seeds[1]))
        rounds = list(estimation_batches(sampler, masker, batch_size, batches, device))
        bound = sigma_round(net, rounds, k_mc, torch.Generator().manual_seed(seeds[2]))["sigma_star"]
        readout = collect_readout(net, (b.noisy for b in rounds), torch.Generator().manual_seed(seeds[3]))
        return readout, bound

    direct = direct_noise_level_function(images) if net.config.channels == 1 else None
    vst = plan.vst
    if vst:  # the network reads the transformed images: its noise level is that of f(X)
        images = [Stabilised(im, *vst) for im in images]
    stats = _stats(images, names)
    measured = direct_noise_std(images, [std for _, std in stats])  # every image, one pass
    own = {e["index"]: _as_denoise_reads(e, stats[e["index"]][1], plan) for e in measured["per_image"]}
    per_image, parts = [], []
    for i, (name, im, (mean, std)) in enumerate(zip(names, images, stats, strict=True)):
        readout, bound = run([im], [(mean, std)])
        r = readout.sigma()
        s = _or(own.get(i), r)
        intensity = None if s is None else float(s * std.mean())
        per_image.append(
            {
                "image": name,
                "sigma": s,
                "sigma_readout": r,
                "sigma_bound": bound,
                "sigma_intensity": intensity,
            }
        )
        parts.append((readout, float(mean.mean()), float(std.mean())))
    values = [p["sigma_intensity"] for p in per_image if p["sigma_intensity"] is not None]
    readout, bound = run(images, stats)
    # The noise std against intensity (one channel: its intensity scale is the image's own).
    nlf = noise_level_function(parts) if net.config.channels == 1 and not vst else None
    # The run's noise std as training reports it, from the bound read here.
    sigma, _ = plan_noise_std(measured["sigma"], readout.sigma(), bound, plan, measured["coarse"])
    return {
        "sigma": sigma,
        "sigma_readout": readout.sigma(),
        "sigma_bound": bound,
        "per_image": per_image,
        "sigma_intensity_mean": float(np.mean(values)) if values else None,
        "noise_level_function": nlf,
        "noise_level_function_direct": direct,
        "vst": {"a": vst[0], "b": vst[1]} if vst else None,
    }


def _or(value, fallback):
    return fallback if value is None else value


def _as_denoise_reads(entry: dict, std, plan: Plan) -> float | None:
    """One image's noise std (rms over channels) as denoise weighs with it: its reading
    corrected for correlated noise, scaled where JPEG'd (the run's plan)."""
    found = plan_image_noise_std(entry, std, plan)
    return None if found is None else float(np.sqrt(np.mean(np.square(found))))


def estimate_sigma_files(run_dir: str | Path, inputs, *, device: str = "auto", **options) -> dict:
    """:func:`estimate_sigma` on image files with the run in ``run_dir``; each image is
    named by its file (``name[i]`` for a stack's samples). ``options`` go to
    :func:`estimate_sigma`."""
    run = load_run(run_dir, device)
    loaded = load_images(inputs, run.config.model.dims, run.config.model.channels)
    images, names = _samples(loaded)
    return estimate_sigma(images, run, names=names, **options)
