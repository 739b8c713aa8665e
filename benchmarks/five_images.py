"""The benchmarks' shared test set: five grey images that ship with scikit-image (camera,
coins, moon, and the textures brick and grass) with Gaussian noise 25/255 (seed 0)."""

from __future__ import annotations

import numpy as np
from skimage import data as skdata

IMAGES = ("camera", "coins", "moon", "brick", "grass")
NOISE_STD = 25 / 255


def five_images() -> tuple[list[np.ndarray], list[np.ndarray]]:
    """``(clean, noisy)``: float64 ``(H, W)`` images in [0, 1] and their noisy copies."""
    rng = np.random.default_rng(0)
    clean = [getattr(skdata, n)().astype(np.float64) / 255.0 for n in IMAGES]
    return clean, [y + rng.normal(0, NOISE_STD, y.shape) for y in clean]
