"""The run folder: the one module that knows its file names and layouts.

A run folder holds ``config.json`` (the settings, written first), ``checkpoint.safetensors``
(resumable state, while training), and at the end ``model.safetensors``, ``plan.json`` (what
the run decided from its images: :class:`~noise2info.plan.Plan`), ``history.json``,
``curves.png`` and ``report.html``; ``model.onnx`` where ``denoise --engine onnx`` exported it.
:func:`save_run` writes it, :func:`load_run` reads it back whole, and a folder written before
plan.json existed gets its plan from its config (:func:`noise2info.config.migrations.legacy_plan`).
Loading never executes code: safetensors holds only tensors, the rest is validated JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch
from pydantic import ValidationError
from safetensors.torch import load_file, save_file

from .config import Config, explain
from .config.migrations import legacy_plan
from .errors import ModelFileError
from .io import atomic_write
from .models import UNet, build_model
from .plan import Plan
from .runtime import resolve_device

CONFIG = "config.json"
PLAN = "plan.json"
WEIGHTS = "model.safetensors"
HISTORY = "history.json"
CURVES = "curves.png"
REPORT = "report.html"
CHECKPOINT = "checkpoint.safetensors"
ONNX = "model.onnx"  # where denoise --engine onnx keeps a run's exported network
RUN_FILES = (WEIGHTS, CONFIG, PLAN, HISTORY, CURVES)  # what a finished run holds (and the report)


@dataclass
class Run:
    """A trained run as :func:`load_run` reads it.

    Attributes
    ----------
    model : UNet
        The network, in eval mode.
    config : Config
        Its settings.
    plan : Plan
        What it decided from its training images; :func:`noise2info.denoise` predicts with it.
    history : dict
        ``steps`` (loss terms per logged step) and ``sigma_rounds`` (one record per round).
    sigma_loss : float or None
        The final noise-std weight of the loss (Noise2Info's bound; a fixed value for
        noise2same; None for methods without one).
    sigma : float or None
        The run's noise-std estimate in normalised units (:func:`noise2info.noise_level.run_noise_std`:
        the training images' own reading, the noise readout where they are too small, with
        Noise2Info's bound for correlated noise; ``history["sigma_readout"]`` holds the readout
        for every method). None for a run folder written before it existed.
    """

    model: UNet
    config: Config
    plan: Plan
    history: dict
    sigma_loss: float | None
    sigma: float | None


def holds_run(run_dir: str | Path) -> bool:
    """Whether ``run_dir`` already holds (part of) a run."""
    return any((Path(run_dir) / name).exists() for name in (CONFIG, WEIGHTS, CHECKPOINT))


def _read_json(path: Path, what: str):
    try:
        return json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ModelFileError(f"{path}: not a valid noise2info {what} ({err})") from None


def _config_data(run_dir: str | Path) -> dict:
    path = Path(run_dir) / CONFIG
    if not path.is_file():
        raise ModelFileError(f"{run_dir}: not a noise2info run directory (no {CONFIG})")
    data = _read_json(path, "config")
    if not isinstance(data, dict):
        raise ModelFileError(f"{path}: not a valid noise2info config (not a JSON object)")
    return data


def load_config(run_dir: str | Path) -> Config:
    """The run's settings (``config.json``, upgraded when older); a missing or invalid one is a
    :class:`ModelFileError` naming it."""
    path = Path(run_dir) / CONFIG
    try:
        return Config.model_validate(_config_data(run_dir))
    except ValidationError as err:
        raise ModelFileError(f"{path}: not a valid noise2info config ({explain(err)})") from None


def load_plan(run_dir: str | Path) -> Plan:
    """What the run decided from its images (``plan.json``; for a folder written before it
    existed, from the resolved values its config held)."""
    path = Path(run_dir) / PLAN
    if not path.is_file():
        found = legacy_plan(_config_data(run_dir))
        if found is None:
            raise ModelFileError(f"{run_dir}: the run has no {PLAN} (did training finish?)")
        return found
    try:
        return Plan.model_validate(_read_json(path, "plan"))
    except ValidationError as err:
        raise ModelFileError(f"{path}: not a valid noise2info plan ({explain(err)})") from None


def save_config(run_dir: str | Path, config: Config) -> Path:
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    return atomic_write(
        run_dir / CONFIG, lambda tmp: Path(tmp).write_text(config.model_dump_json(indent=2) + "\n")
    )


def save_model(model: UNet, config: Config, run_dir: str | Path, plan: Plan | None = None) -> Path:
    """Write the weights, settings and plan (default: none, the network alone) into ``run_dir``
    (created if needed), atomically."""
    run_dir, plan = Path(run_dir), plan if plan is not None else Plan()
    save_config(run_dir, config)
    atomic_write(run_dir / PLAN, lambda tmp: Path(tmp).write_text(plan.model_dump_json(indent=2) + "\n"))
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    atomic_write(run_dir / WEIGHTS, lambda tmp: save_file(state, tmp, metadata={"format": "pt"}))
    return run_dir


def load_model(run_dir: str | Path, device: str | torch.device = "cpu") -> tuple[UNet, Config]:
    """Rebuild the network of ``run_dir`` in eval mode, and its settings.

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
    device = resolve_device(device) if isinstance(device, str) else device
    return model.to(device).eval(), config


def run_record(result) -> dict:
    """The run's history as ``history.json`` holds it: loss terms, sigma rounds, the stages'
    readings, and the final ``sigma_loss``, ``sigma``, ``sigma_readout`` and seconds."""
    history = result.history if isinstance(result.history, dict) else result.history.to_dict()
    record = {**history, "sigma_loss": result.sigma_loss, "sigma": result.sigma}
    if getattr(result, "sigma_readout", None) is not None:
        record["sigma_readout"] = result.sigma_readout
    if getattr(result, "seconds", None) is not None:
        record["seconds"] = result.seconds
    return record


def save_run(result, run_dir: str | Path) -> Path:
    """Write a finished run (a :class:`~noise2info.training.TrainResult` or :class:`Run`):
    model, config, plan, ``history.json`` (:func:`run_record`) and ``curves.png``."""
    from .plotting import plot_curves

    run_dir = save_model(result.model, result.config, run_dir, result.plan)
    history = run_record(result)
    atomic_write(run_dir / HISTORY, lambda tmp: Path(tmp).write_text(json.dumps(history, indent=1) + "\n"))
    plot_curves(history, run_dir / CURVES)
    return run_dir


def load_run(run_dir: str | Path, device: str = "auto") -> Run:
    """Read a run folder back whole: model (eval mode), settings, plan, history and the noise
    estimates."""
    model, config = load_model(run_dir, device)
    plan = load_plan(run_dir)
    path = Path(run_dir) / HISTORY
    try:
        history = json.loads(path.read_text()) if path.is_file() else {"steps": [], "sigma_rounds": []}
    except json.JSONDecodeError as err:
        raise ModelFileError(f"{path}: damaged history ({err})") from None
    if not isinstance(history, dict):
        raise ModelFileError(f"{path}: damaged history (not a JSON object)")
    return Run(model, config, plan, history, history.get("sigma_loss"), history.get("sigma"))


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


def checkpoint_plan(state: TrainingState) -> Plan:
    """The plan a checkpoint's run trained with (for one written before plan.json existed, from
    its config's resolved values)."""
    if "plan" in state.meta:
        return Plan.model_validate(state.meta["plan"])
    return legacy_plan(state.meta["config"]) or Plan()
