"""Per-image normalisation to zero mean and unit std, per channel (method.md, 'Setting')."""

from __future__ import annotations

import numpy as np


def normalise(sample: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Normalise one ``(C, *spatial)`` image per channel.

    Returns
    -------
    normed, mean, std : np.ndarray
        ``normed = (sample - mean) / std`` with ``mean`` and ``std`` of shape
        ``(C, 1, ..., 1)``. A constant channel has std 0; it is divided by 1 instead so the
        result is finite (all zeros).
    """
    x = np.array(sample, dtype=np.float64)  # a copy: worked on in place below
    axes = tuple(range(1, x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    std = x.std(axis=axes, keepdims=True)
    std = np.where(std > 0, std, 1.0)
    # In place, to keep the peak memory of very large images low.
    x -= mean
    x /= std
    return x.astype(np.float32), mean, std


def denormalise(normed: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """Undo :func:`normalise` (float64 result)."""
    out = np.array(normed, dtype=np.float64)
    out *= std
    out += mean
    return out
