"""Sample data: the demo's images with seeded Gaussian noise (offline, from scikit-image)."""

from __future__ import annotations

import numpy as np


def noisy_samples(seed: int = 0) -> list[tuple[np.ndarray, dict]]:
    """The demo's clean images (scikit-image's camera, coins, astronaut as grey) with noise of
    std 25 / 255, as napari layer data."""
    from ..demo import DEMO_NOISE_STD, demo_images

    rng = np.random.default_rng(seed)
    return [
        (
            (image + rng.normal(0.0, DEMO_NOISE_STD, image.shape)).astype(np.float32),
            {"name": f"{name} (noisy)"},
        )
        for name, image in demo_images().items()
    ]
