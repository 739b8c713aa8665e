"""Save and load a trained model: ``model.safetensors`` + ``config.json``. Loading never
executes code: safetensors holds only tensors and the config is validated JSON."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from .config import Config
from .io import atomic_write
from .models import UNet, build_model

WEIGHTS = "model.safetensors"
CONFIG = "config.json"
TRAINING_STATE = "checkpoint.safetensors"


class ModelFileError(ValueError):
    """A run directory that cannot be loaded; the message says why."""


def save_model(model: UNet, config: Config, run_dir: str | Path) -> Path:
    """Write the weights and config into ``run_dir`` (created if needed), atomically."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    atomic_write(run_dir / WEIGHTS, lambda tmp: save_file(state, tmp, metadata={"format": "pt"}))
    atomic_write(run_dir / CONFIG, lambda tmp: config.save(tmp))
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
    for name in (CONFIG, WEIGHTS):
        if not (run_dir / name).is_file():
            raise ModelFileError(f"{run_dir}: not a noise2info run directory (no {name})")
    try:
        config = Config.load(run_dir / CONFIG)
    except ValueError as err:
        raise ModelFileError(str(err)) from None
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
    return model.to(device).eval(), config


def save_training_state(path: str | Path, tensors: dict[str, torch.Tensor], meta: dict) -> Path:
    """Write a resumable training state as one safetensors file (tensors + JSON metadata),
    atomically: an interrupted write leaves the previous checkpoint intact."""
    tensors = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
    return atomic_write(path, lambda tmp: save_file(tensors, tmp, metadata={"noise2info": json.dumps(meta)}))


def load_training_state(path: str | Path) -> tuple[dict[str, torch.Tensor], dict]:
    """Read what :func:`save_training_state` wrote; a damaged file is a :class:`ModelFileError`."""
    from safetensors import safe_open

    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: no checkpoint to resume from")
    try:
        with safe_open(str(path), "pt") as f:
            meta = json.loads((f.metadata() or {})["noise2info"])
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except Exception as err:  # truncated, tampered or foreign file
        raise ModelFileError(f"{path}: damaged checkpoint ({type(err).__name__}: {err})") from None
    return tensors, meta
