"""Synthetic clean images for the shipped starting point: dead leaves.

A dead-leaves image is a stack of opaque discs with power-law radii: it has the scale
invariance, the sharp occlusion edges and the flat regions of natural photographs, and it is
made here from a seed, so a network trained on it may be shipped without any licence question
and has never seen a benchmark's test image. Achddou et al. found denoisers trained on dead
leaves close to those trained on natural images. Each leaf here also gets a gentle intensity
ramp and, one time in five, a grating (texture); the image gets a random blur.

References
----------
Lee, Mumford, Huang, "Occlusion models for natural images", IJCV 2001.
Achddou, Gousseau, Ladjal, "Synthetic images as a regularity prior for image restoration
neural networks", SSVM 2021.
"""

from __future__ import annotations

import numpy as np
from skimage.draw import disk
from skimage.filters import gaussian


def dead_leaves(
    size: int,
    rng: np.random.Generator,
    *,
    r_min: float = 1.5,
    r_max: float | None = None,
    alpha: float = 3.0,
    max_leaves: int = 20_000,
    colour: bool = False,
) -> np.ndarray:
    """One ``size`` x ``size`` dead-leaves image in [0, 1] (float32); with ``colour`` each leaf
    has a colour of its own, ``(3, size, size)``.

    Parameters
    ----------
    size : int
        Side in pixels.
    rng : numpy.random.Generator
        Every draw comes from it.
    r_min, r_max : float
        Smallest and largest disc radius (``r_max`` default: half the side).
    alpha : float
        Radii follow a power law with density r^-alpha (3: scale invariance).
    max_leaves : int
        Stop after this many discs even if a few pixels are still uncovered.
    colour : bool
        Colour leaves: a brightness and a tint (mostly muted, one in four saturated, as
        natural scenes' colours are), the same ramp and grating on every channel.

    Returns
    -------
    np.ndarray
        ``(size, size)`` float32 image, or ``(3, size, size)`` with ``colour``.
    """
    if size < 4:
        raise ValueError(f"size must be at least 4, not {size}")
    r_max = r_max or size / 2
    if not 0 < r_min < r_max:
        raise ValueError(f"need 0 < r_min < r_max, got {r_min} and {r_max}")
    channels = 3 if colour else 1
    image = np.zeros((channels, size, size), np.float32)
    covered = np.zeros((size, size), bool)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    # Inverse-CDF draws from the truncated power law r^-alpha on [r_min, r_max].
    a, b = r_min ** (1 - alpha), r_max ** (1 - alpha)
    for _ in range(max_leaves):
        r = (a + rng.random() * (b - a)) ** (1 / (1 - alpha))
        cy, cx = rng.uniform(-r, size + r, 2)
        rr, cc = disk((cy, cx), r, shape=(size, size))
        new = ~covered[rr, cc]  # the first leaf drawn lies on top: paint only what is uncovered
        if not new.any():
            continue
        rr, cc = rr[new], cc[new]
        value = rng.random() + rng.normal(0, 0.15 / r_max, 2) @ np.stack([yy[rr, cc] - cy, xx[rr, cc] - cx])
        if rng.random() < 0.2:  # a grating: fine texture, the hardest part of natural images
            period, angle = rng.uniform(2.5, 12), rng.uniform(0, np.pi)
            phase = (np.cos(angle) * yy[rr, cc] + np.sin(angle) * xx[rr, cc]) * 2 * np.pi / period
            value = value + rng.uniform(0.05, 0.25) * np.sin(phase)
        if colour:  # a tint around the brightness: muted mostly, saturated one time in four
            tint = rng.normal(0, 0.35 if rng.random() < 0.25 else 0.08, 3)
            value = value[None] + (tint - tint.mean())[:, None]
        image[:, rr, cc] = value
        covered[rr, cc] = True
        if covered.all():
            break
    blur = rng.uniform(0, 1.2)
    if blur > 0.3:  # optics: not every edge is a one-pixel step
        image = np.stack([gaussian(plane, blur, preserve_range=True) for plane in image])
    image = np.clip(image, 0, 1).astype(np.float32)
    return image if colour else image[0]


def dead_leaves_set(count: int, size: int, seed: int) -> list[np.ndarray]:
    """``count`` dead-leaves images, each ``(1, size, size)``, from one seed."""
    rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(count)]
    return [dead_leaves(size, rng)[None] for rng in rngs]
