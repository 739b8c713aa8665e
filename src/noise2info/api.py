"""File-level workflows over the library: what the CLI calls, usable from Python as is."""

from __future__ import annotations

import json
import signal
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from tqdm.auto import tqdm

from . import io
from .checkpoint import CONFIG, TRAINING_STATE, WEIGHTS, load_model, save_model
from .config import Config
from .data import PatchSampler, channel_stats
from .masking import Masker
from .models import UNet
from .plotting import plot_curves
from .prediction import denoise
from .runtime import flush_denormals, rank_and_world, resolve_device
from .sigma import sigma_round
from .training import Trainer, TrainingInterrupted, TrainResult, make_batch


@dataclass
class LoadedImage:
    path: Path
    array: object  # as stored: a NumPy array, or memory-mapped / Zarr (read on demand)
    samples: list[io.SampleView]  # its (C, *spatial) samples

    @property
    def channels(self) -> int:
        return self.samples[0].shape[0]


def load_images(inputs, dims: int) -> list[LoadedImage]:
    """Open files / directories / globs and arrange each as ``(C, *spatial)`` samples.

    Memory-mapped TIFF / NPY and Zarr inputs stay on disk (:func:`io.open_image`); the
    samples read them slice by slice.
    """
    loaded = []
    for path in io.find_inputs(list(inputs)):
        arr = io.open_image(path)
        try:
            samples = io.sample_views(arr, dims)
        except io.ImageError as err:
            raise io.ImageError(f"{path}: {err}") from None
        loaded.append(LoadedImage(path, arr, samples))
    return loaded


def image_stats(loaded: list[LoadedImage]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each sample's per-channel mean and std; an image with NaN / Inf is named."""
    stats = []
    for item in loaded:
        try:
            stats += [channel_stats(s) for s in item.samples]
        except ValueError as err:
            raise io.ImageError(f"{item.path}: {err}") from None
    return stats


def _images_of(loaded: list[LoadedImage]) -> list[io.SampleView]:
    return [s for item in loaded for s in item.samples]


def save_run(result: TrainResult, run_dir: str | Path) -> Path:
    """Write model, config, ``history.json`` and ``curves.png`` into ``run_dir``."""
    run_dir = save_model(result.model, result.config, run_dir)
    history = result.history.to_dict()
    history["sigma_loss"] = result.sigma_loss
    history["seconds"] = result.seconds
    io.atomic_write(
        run_dir / "history.json", lambda tmp: Path(tmp).write_text(json.dumps(history, indent=1) + "\n")
    )
    plot_curves(history, run_dir / "curves.png")
    return run_dir


def config_differences(saved: Config, wanted: Config) -> list[str]:
    """``'section.field: saved -> wanted'`` for every field that differs."""

    def flat(d: dict, prefix: str = "") -> dict:
        out = {}
        for k, v in d.items():
            out.update(flat(v, f"{prefix}{k}.") if isinstance(v, dict) else {f"{prefix}{k}": v})
        return out

    a, b = flat(saved.model_dump(mode="json")), flat(wanted.model_dump(mode="json"))
    return [f"{k}: {a.get(k)!r} -> {b.get(k)!r}" for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]


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
) -> TrainResult:
    """Train on image files and save the run. ``config.model.channels`` is taken from the data.

    The run directory gets ``config.json`` at once and ``checkpoint.safetensors`` every
    ``checkpoint_every`` steps; Ctrl-C or SIGTERM save a checkpoint and raise
    :class:`TrainingInterrupted` (its ``signal`` says which). ``resume=True`` continues from
    the checkpoint; the config must match the saved one. A directory that already holds a run
    is never overwritten. Memory-mapped TIFF / NPY and Zarr inputs are read patch by patch;
    ``workers`` DataLoader processes draw the patches ahead of the network.
    """
    run_dir = Path(run_dir)
    loaded = load_images(inputs, config.model.dims)
    images, stats = _images_of(loaded), image_stats(loaded)  # bad pixels found before any write
    channels = {im.shape[0] for im in images}
    if len(channels) > 1:
        per_file = ", ".join(f"{it.path.name}: {it.channels}" for it in loaded)
        raise io.ImageError(f"training images have mixed channel counts ({per_file})")
    config = config.model_copy(deep=True)
    config.model.channels = channels.pop()
    ckpt = run_dir / TRAINING_STATE
    if resume:
        if not ckpt.is_file():
            raise ValueError(f"{run_dir}: nothing to resume (no {TRAINING_STATE})")
        try:
            saved = Config.load(run_dir / CONFIG)
        except (ValueError, FileNotFoundError) as err:
            raise ValueError(f"{run_dir}: cannot resume ({err})") from None
        diff = config_differences(saved, config)
        if diff:
            raise ValueError(f"{run_dir} was trained with other settings ({'; '.join(diff)})")
    elif any((run_dir / name).exists() for name in (CONFIG, WEIGHTS, TRAINING_STATE)):
        raise ValueError(f"{run_dir} already holds a run; continue it with --resume or choose a new --out")
    rank, world = rank_and_world()
    if world > 1:
        dist.barrier()  # every rank has checked the run directory before rank 0 writes into it
    if rank == 0:
        run_dir.mkdir(parents=True, exist_ok=True)
        io.atomic_write(run_dir / CONFIG, config.save)

    trainer = Trainer(images, config, device=device, stats=stats, workers=workers)
    if resume:
        trainer.resume(ckpt)
    with flush_denormals(), _stop_on_signals(trainer) as received:
        try:
            result = trainer.run(progress, checkpoint=ckpt)
        except TrainingInterrupted as stop:
            stop.signal = received[-1] if received else signal.SIGINT
            raise
    if rank == 0:
        save_run(result, run_dir)
    return result


def load(run_dir: str | Path, device: str = "auto") -> tuple[UNet, Config]:
    """Load a trained model (eval mode) and its config from a run directory."""
    return load_model(run_dir, resolve_device(device))


def denoise_array(model: UNet, arr, *, tile: int | None = None, tta: bool = False, out=None) -> np.ndarray:
    """Denoise a stored array (any layout :func:`io.sample_views` reads); same shape and dtype.

    ``arr`` may be lazy (memory-mapped, Zarr) and ``out`` a writable array of the same shape
    (e.g. :func:`io.write_into`'s): then one tile at a time is in memory.
    """
    samples = io.sample_views(arr, model.config.dims)
    if samples[0].shape[0] != model.config.channels:
        raise ValueError(
            f"image has {samples[0].shape[0]} channel(s) but the model was trained on {model.config.channels}"
        )
    if out is None:
        out = np.empty(arr.shape, arr.dtype)
    for sample, target in zip(samples, io.sample_views(out, model.config.dims), strict=True):
        denoise(model, sample, tile=tile, tta=tta, out=target)
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
) -> list[Path]:
    """Denoise files into ``out_dir``, one output per input with the same name and format.

    Outputs are written whole or not at all (temp file + rename), so an output that exists is
    complete: a rerun after an interruption skips it and goes on with the rest, unless
    ``overwrite``. Returns the outputs written by this call.
    """
    model, _ = load(run_dir, device)
    paths = io.find_inputs(list(inputs))
    out_dir = Path(out_dir)
    for p in paths:
        if p.resolve().parent == out_dir.resolve():
            raise io.ImageError(f"{p}: --out {out_dir} would overwrite this input; choose another folder")
    names = [p.name for p in paths]
    if len(set(names)) != len(names):
        raise io.ImageError("two inputs share a file name; their outputs would collide in --out")
    todo = [p for p in paths if overwrite or not (out_dir / p.name).exists()]
    written = []
    for p in tqdm(todo, desc="denoise", unit="image", disable=not progress):
        arr = io.open_image(p)  # memory-mapped / Zarr inputs stream tile by tile
        chunks = getattr(arr, "chunks", None) if p.suffix.lower() == ".zarr" else None

        def fill(out, arr=arr):
            denoise_array(model, arr, tile=tile, tta=tta, out=out)

        try:
            io.write_into(out_dir / p.name, tuple(arr.shape), arr.dtype, fill, chunks=chunks)
        except ValueError as err:
            raise io.ImageError(f"{p}: {err}") from None
        written.append(out_dir / p.name)
    return written


def estimate_noise(
    model: UNet,
    config: Config,
    images: list[np.ndarray],
    *,
    batches: int = 16,
    batch_size: int | None = None,
    k_mc: int = 10,
    seed: int = 0,
) -> dict:
    """Run Algorithm 1 with a trained model on ``(C, *spatial)`` images.

    Returns
    -------
    dict
        ``sigma``: the estimate in normalised units over all images together;
        ``per_image``: for each image the normalised estimate and, in the image's own
        intensity units, that estimate times the image's std (mean over channels);
        ``sigma_intensity_mean``: the mean of the per-image intensity values.
    """
    tc = config.training
    batch_size = batch_size or tc.batch_size
    device = next(model.parameters()).device
    masker_seed, sampler_seed, mc_seed = np.random.SeedSequence(seed).generate_state(3)

    def run(images: list, stats: list) -> float | None:
        sampler = PatchSampler(images, tc.patch_size, int(sampler_seed), augment=False, stats=stats)
        masker = Masker(config.masking, torch.Generator().manual_seed(int(masker_seed)))
        gen = torch.Generator().manual_seed(int(mc_seed))
        rounds = (make_batch(*sampler.sample(batch_size), masker, device) for _ in range(batches))
        return sigma_round(model, rounds, k_mc, gen)["sigma_star"]

    stats = [channel_stats(im) for im in images]
    per_image = []
    for im, (mean, std) in zip(images, stats, strict=True):
        s = run([im], [(mean, std)])
        per_image.append(
            {
                "sigma": s,
                "sigma_intensity": None if s is None else float(s * std.mean()),
            }
        )
    values = [p["sigma_intensity"] for p in per_image if p["sigma_intensity"] is not None]
    return {
        "sigma": run(images, stats),
        "per_image": per_image,
        "sigma_intensity_mean": float(np.mean(values)) if values else None,
    }
