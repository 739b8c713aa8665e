"""The run folder: the one module that knows its file names and layouts.

A run folder holds ``config.json`` (written first), ``checkpoint.safetensors`` (resumable
state, while training), and at the end ``model.safetensors``, ``history.json`` and
``curves.png``. :func:`save_run` writes it, :func:`load_run` reads it back whole. Loading
never executes code: safetensors holds only tensors and the config is validated JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from .config import Config
from .errors import ConfigError, ModelFileError
from .io import atomic_write
from .models import UNet, build_model
from .runtime import resolve_device

CONFIG = "config.json"
WEIGHTS = "model.safetensors"
HISTORY = "history.json"
CURVES = "curves.png"
CHECKPOINT = "checkpoint.safetensors"
RUN_FILES = (WEIGHTS, CONFIG, HISTORY, CURVES)  # what a finished run holds


@dataclass
class Run:
    """A trained run as :func:`load_run` reads it.

    Attributes
    ----------
    model : UNet
        The network, in eval mode.
    config : Config
        Its configuration.
    history : dict
        ``steps`` (loss terms per logged step) and ``sigma_rounds`` (one record per round).
    sigma_loss : float or None
        The final noise-std weight of the loss (Noise2Info's bound; a fixed value for
        noise2same; None for methods without one).
    sigma : float or None
        The run's noise-std estimate in normalised units: Noise2Info's bound where the method
        has one, else the noise readout (:mod:`noise2info.readout`; ``history["sigma_readout"]``
        holds it for every method). None for a run folder written before it existed.
    """

    model: UNet
    config: Config
    history: dict
    sigma_loss: float | None
    sigma: float | None


def holds_run(run_dir: str | Path) -> bool:
    """Whether ``run_dir`` already holds (part of) a run."""
    return any((Path(run_dir) / name).exists() for name in (CONFIG, WEIGHTS, CHECKPOINT))


def load_config(run_dir: str | Path) -> Config:
    """The run's ``config.json``; a missing or invalid one is a :class:`ModelFileError`."""
    path = Path(run_dir) / CONFIG
    if not path.is_file():
        raise ModelFileError(f"{run_dir}: not a noise2info run directory (no {CONFIG})")
    try:
        return Config.load(path)
    except ConfigError as err:
        raise ModelFileError(str(err)) from None


def save_config(run_dir: str | Path, config: Config) -> Path:
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    return atomic_write(run_dir / CONFIG, config.save)


def save_model(model: UNet, config: Config, run_dir: str | Path) -> Path:
    """Write the weights and config into ``run_dir`` (created if needed), atomically."""
    run_dir = Path(run_dir)
    save_config(run_dir, config)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    atomic_write(run_dir / WEIGHTS, lambda tmp: save_file(state, tmp, metadata={"format": "pt"}))
    return run_dir


def load_model(run_dir: str | Path, device: str | torch.device = "cpu") -> tuple[UNet, Config]:
    """Rebuild the model of ``run_dir`` in eval mode.

    Raises
    ------
    ModelFileError
        Missing files, an invalid or newer config, or weights that are truncated, tampered
        with or do not match the config.
    """
    run_dir = Path(run_dir)
    config = load_config(run_dir)
    if not (run_dir / WEIGHTS).is_file():
        raise ModelFileError(f"{run_dir}: not a noise2info run directory (no {WEIGHTS})")
    try:
        state = load_file(run_dir / WEIGHTS)
    except Exception as err:  # safetensors' error types vary by version; all mean 'damaged'
        raise ModelFileError(f"{run_dir / WEIGHTS}: damaged weights file ({err})") from None
    model = build_model(config.model)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as err:
        reason = str(err).splitlines()[0]
        raise ModelFileError(f"{run_dir / WEIGHTS}: weights do not match config.json ({reason})") from None
    tc = config.training
    model.vst = (tc.vst_a, tc.vst_b) if tc.vst == "gat" else None  # denoise() applies it
    model.posterior = config.method.posterior  # and the posterior step, where trained for it
    model.noise_prior = tc.noise_prior  # with each image's noise read against the training images'
    model.pd_stride = tc.pd_stride  # and on pixel-shuffled sub-images, where it was trained so
    model.line_noise = tc.line_noise  # and the row / column offsets removed after the network
    model.noise_lags = tc.noise_lags  # and the correlation each image's noise std is read with
    device = resolve_device(device) if isinstance(device, str) else device
    return model.to(device).eval(), config


def save_run(result, run_dir: str | Path) -> Path:
    """Write a finished run (a :class:`~noise2info.training.TrainResult` or :class:`Run`):
    model, config, ``history.json`` (with the final ``sigma_loss``, ``sigma`` and seconds)
    and ``curves.png``."""
    from .plotting import plot_curves

    run_dir = save_model(result.model, result.config, run_dir)
    history = result.history if isinstance(result.history, dict) else result.history.to_dict()
    history = {**history, "sigma_loss": result.sigma_loss, "sigma": result.sigma}
    if getattr(result, "sigma_readout", None) is not None:
        history["sigma_readout"] = result.sigma_readout
    if getattr(result, "seconds", None) is not None:
        history["seconds"] = result.seconds
    atomic_write(run_dir / HISTORY, lambda tmp: Path(tmp).write_text(json.dumps(history, indent=1) + "\n"))
    plot_curves(history, run_dir / CURVES)
    return run_dir


def load_run(run_dir: str | Path, device: str = "auto") -> Run:
    """Read a run folder back whole: model (eval mode), config, history and the noise estimates."""
    model, config = load_model(run_dir, device)
    path = Path(run_dir) / HISTORY
    try:
        history = json.loads(path.read_text()) if path.is_file() else {"steps": [], "sigma_rounds": []}
    except json.JSONDecodeError as err:
        raise ModelFileError(f"{path}: damaged history ({err})") from None
    if not isinstance(history, dict):
        raise ModelFileError(f"{path}: damaged history (not a JSON object)")
    return Run(model, config, history, history.get("sigma_loss"), history.get("sigma"))


# -- the resumable training state -------------------------------------------------------


@dataclass
class TrainingState:
    """Everything a trainer needs to continue exactly: the network's and the optimiser's
    state dicts, and JSON-able ``meta`` (config, steps, history, random states, ...)."""

    model: dict[str, torch.Tensor]
    optimiser: dict
    meta: dict


def save_checkpoint(path: str | Path, state: TrainingState) -> Path:
    """Write a resumable training state as one safetensors file (tensors + JSON metadata),
    atomically: an interrupted write leaves the previous checkpoint intact."""
    tensors = {f"model/{k}": v for k, v in state.model.items()}
    for pid, entry in state.optimiser["state"].items():
        for name, value in entry.items():
            tensors[f"optim/{pid}/{name}"] = torch.as_tensor(value)
    tensors = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
    meta = {**state.meta, "optim_groups": state.optimiser["param_groups"]}
    return atomic_write(path, lambda tmp: save_file(tensors, tmp, metadata={"noise2info": json.dumps(meta)}))


def load_checkpoint(path: str | Path) -> TrainingState:
    """Read what :func:`save_checkpoint` wrote; a missing or damaged file is a
    :class:`ModelFileError`."""
    from safetensors import safe_open

    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: no checkpoint to resume from")
    try:
        with safe_open(str(path), "pt") as f:
            meta = json.loads((f.metadata() or {})["noise2info"])
            tensors = {k: f.get_tensor(k) for k in f.keys()}
        groups = meta.pop("optim_groups")
    except Exception as err:  # truncated, tampered or foreign file
        raise ModelFileError(f"{path}: damaged checkpoint ({type(err).__name__}: {err})") from None
    model = {k.removeprefix("model/"): v for k, v in tensors.items() if k.startswith("model/")}
    optim: dict[int, dict] = {}
    for key, value in tensors.items():
        if key.startswith("optim/"):
            _, pid, name = key.split("/", 2)
            optim.setdefault(int(pid), {})[name] = value
    return TrainingState(model, {"state": optim, "param_groups": groups}, meta)
