"""Shared test material: synthetic images, tiny models and configs, CLI arguments."""

from __future__ import annotations

import numpy as np
import torch
from click.testing import CliRunner

from noise2info import make_config
from noise2info.config import ModelConfig
from noise2info.models import build_model


def smooth_image(shape=(48, 40), seed=0) -> np.ndarray:
    """A smooth synthetic clean image in [0, 1]."""
    rng = np.random.default_rng(seed)
    axes = np.meshgrid(*[np.linspace(0, 1, s) for s in shape], indexing="ij")
    phase = rng.uniform(0, 6, size=len(shape))
    img = sum(np.sin(4 * a + p) for a, p in zip(axes, phase, strict=True))
    return (img - img.min()) / (img.max() - img.min())


def noisy_set(n=3, shape=(48, 40), std=0.2, seed=0) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """``n`` clean / noisy pairs as ``(1, *shape)`` float32 arrays (Gaussian noise)."""
    rng = np.random.default_rng(seed)
    clean = [smooth_image(shape, seed + i)[None].astype(np.float32) for i in range(n)]
    noisy = [(c + rng.normal(0, std, c.shape)).astype(np.float32) for c in clean]
    return clean, noisy


def small_model(seed=0, **model):
    """A small U-Net in eval mode with non-trivial BN running statistics, as after training."""
    torch.manual_seed(seed)
    net = build_model(ModelConfig(**{"depth": 2, "base_features": 8, **model}))
    net.train()
    with torch.no_grad():
        for _ in range(3):
            net(torch.randn(2, net.config.channels, *(16 * net.config.multiple // 4,) * net.config.dims))
    return net.eval()


def tiny_config(**settings):
    """A tiny noise2info config (sigma-round settings only where the method has them)."""
    base = dict(preset="tiny", steps=6, batch_size=2, patch_size=16, seed=0)
    if settings.get("method", "noise2info") == "noise2info":
        base.update(k_t=3, k_u=1)
    return make_config(**{**base, **settings})


def tiny_train_args(**options) -> list[str]:
    """``noise2info train`` options for a tiny, quiet CPU run; ``options`` change or add
    ``--name value`` pairs (None drops one)."""
    base = dict(preset="tiny", steps=6, batch_size=2, patch_size=16, k_t=3, k_u=1, device="cpu")
    args = []
    for name, value in {**base, **options}.items():
        if value is not None:
            args += [f"--{name.replace('_', '-')}", str(value)]
    return [*args, "--quiet"]


def cli(*args, catch=True):
    """Run the CLI in process; returns click's result (exit_code, output)."""
    from noise2info.cli import main

    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=catch)


def last_json(result) -> dict:
    """The JSON summary a ``--json`` command prints as its last line."""
    import json

    return json.loads(result.output.strip().splitlines()[-1])
