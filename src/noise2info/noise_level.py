"""The noise level function from the noisy images alone, no network: noise std against
intensity and the Poisson-Gaussian fit variance = a * intensity + b^2.

Each 2x2 block gives a level (its mean, smoothed over 3x3 blocks), a diagonal Haar detail
(z00 - z01 - z10 + z11) / 2, whose variance is the noise variance for pixel-independent noise
and which cancels any plane of signal, and an edge energy (the two other Haar details). In
each intensity bin the flatter half of the blocks (lowest edge energy) keeps the details
least touched by signal; their mean square is that bin's noise variance. The rms, not a
median: within one bin the variance still varies, and a median of a scale mixture reads low.
Measured against the network's readout in docs/benchmarks.md ("Noise level function").

References
----------
Foi, Trimeche, Katkovnik, Egiazarian, "Practical Poissonian-Gaussian noise modeling and
fitting for single-image raw-data", IEEE TIP 2008 (the same idea: wavelet details over
level sets of smooth blocks).
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import uniform_filter

from .readout import fit_line


def _blocks(image: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Level, diagonal detail and edge energy of each 2x2 block of a 2-D image."""
    z = np.asarray(image, np.float64)
    z = z[: z.shape[0] // 2 * 2, : z.shape[1] // 2 * 2]
    a, b, c, d = z[0::2, 0::2], z[0::2, 1::2], z[1::2, 0::2], z[1::2, 1::2]
    level = uniform_filter((a + b + c + d) / 4, 3)
    detail = (a - b - c + d) / 2
    edge = uniform_filter(((a + b - c - d) / 2) ** 2 + ((a - b + c - d) / 2) ** 2, 3)
    return level.ravel(), detail.ravel(), edge.ravel()


def direct_noise_level_function(images, bins: int = 16, flat: float = 0.5) -> dict:
    """Noise std per intensity bin and the fitted Poisson-Gaussian gain and offset.

    Parameters
    ----------
    images : list of array-like
        One-channel images in their own intensity units: 2-D arrays, or ``(1, H, W)`` /
        ``(1, Z, Y, X)`` (each plane of a volume counts as an image).
    bins : int
        Intensity bins of equal block counts.
    flat : float
        Fraction of each bin's blocks kept, the flattest (0 < flat <= 1).

    Returns
    -------
    dict
        ``intensity`` and ``sigma`` per bin, ``a`` and ``b`` of variance = a * intensity + b^2
        (weighted least squares, a and b^2 kept >= 0; None with fewer than two bins).

    Raises
    ------
    ValueError
        No image, images with more than one channel, or a bad ``bins`` / ``flat``.
    """
    if not 0 < flat <= 1 or bins < 1:
        raise ValueError(f"need bins >= 1 and 0 < flat <= 1, got bins={bins}, flat={flat}")
    planes = []
    for im in images:
        arr = np.asarray(im)
        if arr.ndim > 2 and arr.shape[0] != 1:
            raise ValueError(f"one-channel images only; got shape {arr.shape}")
        arr = arr.reshape(-1, *arr.shape[-2:])
        planes += [p for p in arr if min(p.shape) >= 8]
    if not planes:
        raise ValueError("no image of at least 8 x 8 pixels")
    level, detail, edge = (np.concatenate(v) for v in zip(*(_blocks(p) for p in planes), strict=True))
    bins = max(1, min(bins, level.size // 100))  # at least ~100 blocks a bin
    edges = np.quantile(level, np.linspace(0, 1, bins + 1))
    intensity, sigma, weight = [], [], []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        inside = (level >= lo) & (level <= hi)
        if inside.sum() < 20:
            continue
        keep = edge[inside] <= np.quantile(edge[inside], flat)
        var = float(np.mean(detail[inside][keep] ** 2))
        if not var > 0:  # no noise measurable here (clipped or constant): no weight to give it
            continue
        intensity.append(float(level[inside][keep].mean()))
        sigma.append(float(np.sqrt(var)))
        weight.append(keep.sum() / var**2)  # a variance's error grows with it
    a, b = fit_line(np.array(intensity), np.array(sigma) ** 2, np.array(weight))
    return {"intensity": intensity, "sigma": sigma, "a": a, "b": b}
