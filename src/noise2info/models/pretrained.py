"""The starting points shipped inside the package: a run fine-tunes one instead of starting
from random weights (``init``), so a user's first minutes go to their images, not to learning
what an edge is.

Each file in ``weights/`` is a safetensors file whose metadata holds the network's
:class:`~noise2info.config.ModelConfig` (``model``), the noise it was trained on (``noise``,
one of :data:`STARTS`; ``gaussian`` when absent) and the command that made it (``made_by``:
``tools/pretrain.py``, dead leaves only, never a benchmark image). A network with no file of
its own shape starts from random weights (the ``start`` stage of :mod:`noise2info.pipeline`
decides); the ``correlation`` stage picks the camera start where the noise reads correlated.
"""

from __future__ import annotations

import copy
import functools
import hashlib
from importlib.resources import files
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import load_file
from torch import nn

from ..config import ModelConfig
from ..errors import ConfigError, ModelFileError
from .unet import build_model

# The noise a start was trained on: independent Gaussian noise of many levels, or the noise of
# a colour camera's pipeline (demosaicing, noise reduction, JPEG) on each channel plane.
STARTS = ("gaussian", "camera")


@functools.cache
def _shipped() -> dict[tuple[str, str], Path]:
    """(model config as JSON, noise) -> its weights file, for every file in ``weights/``."""
    found = {}
    folder = files(__package__).joinpath("weights")
    if not folder.is_dir():  # an installation without the shipped files: every start is random
        return found
    for entry in folder.iterdir():
        if entry.name.endswith(".safetensors"):
            path = Path(str(entry))
            with safe_open(path, "pt") as f:
                meta = f.metadata()
            model = ModelConfig.model_validate_json(meta["model"])
            found[(model.model_dump_json(), meta.get("noise", "gaussian"))] = path
    return found


def find_pretrained(config: ModelConfig, noise: str = "gaussian") -> Path | None:
    """The shipped weights for a network of this shape, or None.

    Parameters
    ----------
    config : ModelConfig
        The network (for one that denoises channels apart, the grey network's weights).
    noise : {'gaussian', 'camera'}
        The noise the start was trained on (:data:`STARTS`).

    Returns
    -------
    Path or None
        The safetensors file, None where none ships.
    """
    if noise not in STARTS:
        raise ValueError(f"noise must be one of {STARTS}, not {noise!r}")
    return _shipped().get(((config.grey if config.channels_apart else config).model_dump_json(), noise))


def shipped_networks() -> list[ModelConfig]:
    """The network shapes that have shipped weights (for messages)."""
    shapes = {key for key, _ in _shipped()}
    return [ModelConfig.model_validate_json(key) for key in sorted(shapes)]


def load_pretrained(model: nn.Module, config: ModelConfig, noise: str = "gaussian") -> Path:
    """Load the shipped weights for ``config`` trained on ``noise`` (:func:`find_pretrained`)
    into ``model``; returns the file used.

    Raises
    ------
    ConfigError
        No weights trained on ``noise`` ship for this network.
    ModelFileError
        The shipped file does not match it (a broken installation).
    """
    path = find_pretrained(config, noise)
    if path is None:
        have = "; ".join(_describe(m) for m in shipped_networks()) or "none"
        raise ConfigError(
            f"init pretrained: the package ships no weights trained on {noise} noise for this "
            f"network ({_describe(config)}; shipped: {have}); use init random"
        )
    try:
        model.load_state_dict(load_file(path), strict=True)
    except Exception as err:  # damaged file or a mismatch: both mean the package is broken
        raise ModelFileError(
            f"{path.name}: shipped weights do not load ({str(err).splitlines()[0]})"
        ) from None
    return path


def _describe(m: ModelConfig) -> str:
    return f"{m.dims}-D, {m.channels} channel(s), depth {m.depth}, {m.base_features} features"


def shipped_start(config: ModelConfig, noise: str) -> nn.Module:
    """The shipped start trained on ``noise`` as a network of ``config``'s shape: what a run
    that mixes it in (``plan.start_share``) predicts with beside its own network.

    Parameters
    ----------
    config : ModelConfig
        The run's network (for one that denoises channels apart, the grey network's weights
        serve each channel).
    noise : {'gaussian', 'camera'}
        The noise the start was trained on (:data:`STARTS`).

    Returns
    -------
    nn.Module
        A copy of its own (eval mode, CPU), built without touching torch's global random state.

    Raises
    ------
    ConfigError
        No start trained on ``noise`` ships for this network (:func:`load_pretrained`).
    """
    return copy.deepcopy(_start(config.model_dump_json(), noise))


@functools.cache
def _start(config: str, noise: str) -> nn.Module:
    config = ModelConfig.model_validate_json(config)
    with torch.random.fork_rng(devices=[]):  # the random initial weights are overwritten
        net = build_model(config)
    load_pretrained(net, config, noise)
    return net.eval()


def start_digest(config: ModelConfig, noise: str) -> str | None:
    """The first 16 hex digits of the SHA-256 of the shipped start's file (None where none
    ships): a run that mixes the start into its output records it, so prediction can tell
    when the installed start is not the one the run was measured with."""
    path = find_pretrained(config, noise)
    return None if path is None else _digest(path)


@functools.cache
def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def mixed_start(config: ModelConfig, plan) -> nn.Module | None:
    """The shipped start a run mixes into its output (``plan.start_share``), checked against
    the one the run recorded (``plan.start_digest``).

    Parameters
    ----------
    config : ModelConfig
        The run's network.
    plan : Plan
        The run's plan (:class:`noise2info.plan.Plan`).

    Returns
    -------
    nn.Module or None
        :func:`shipped_start`'s copy; None where the plan mixes nothing in.

    Raises
    ------
    ConfigError
        The installation ships no such start, or another one than the run recorded: its
        output would not be the run's.
    """
    if not plan.start_share:
        return None
    installed = start_digest(config, plan.start)
    off = "denoise with --no-mix-start (mix_start=False) for the run's own output"
    if installed is None:
        raise ConfigError(
            f"this run mixes in the shipped {plan.start} start, which this installation does not ship "
            f"for its network; {off}"
        )
    if plan.start_digest is not None and installed != plan.start_digest:
        raise ConfigError(
            f"this run mixes in the shipped {plan.start} start {plan.start_digest}, but this installation "
            f"ships {installed}; {off}, or use the noise2info release that trained it"
        )
    return shipped_start(config, plan.start)
