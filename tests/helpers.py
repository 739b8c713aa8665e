"""Synthetic data for tests."""

from __future__ import annotations

import numpy as np


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
