"""Per-image normalisation to zero mean and unit std, per channel (method.md, 'Setting')."""

from __future__ import annotations

import math

import numpy as np

from ..errors import ImageError

# Images larger than this are summed slab by slab, so their statistics never need a
# float64 copy of the whole image (memory-mapped and Zarr inputs included).
SLAB_BYTES = 64 * 2**20


def channel_stats(image) -> tuple[np.ndarray, np.ndarray]:
    """Mean and std per channel of a ``(C, *spatial)`` image.

    Parameters
    ----------
    image : array-like
        A NumPy array or anything sliced like one (:class:`noise2info.io.SampleView`); a
        large one is read in slabs along its first spatial axis and merged exactly
        (Chan et al.'s pairwise update), so memory stays bounded.

    Returns
    -------
    mean, std : np.ndarray
        float64, shape ``(C, 1, ..., 1)``. A constant channel has std 0 (and
        :func:`normalise` maps it to zeros rather than NaN).

    Raises
    ------
    ImageError
        If the image holds NaN or Inf.
    """
    shape = tuple(image.shape)
    channels, spatial = shape[0], shape[1:]
    row = math.prod(spatial[1:]) * channels * 8
    step = max(1, SLAB_BYTES // max(row, 1))
    n, mean, m2 = 0, np.zeros(channels), np.zeros(channels)
    for start in range(0, spatial[0], step):
        key = (slice(None), slice(start, start + step)) + (slice(None),) * (len(spatial) - 1)
        x = np.asarray(image[key], dtype=np.float64).reshape(channels, -1)
        k = x.shape[1]
        with np.errstate(invalid="ignore", over="ignore"):  # NaN / Inf are reported below
            k_mean = x.mean(axis=1)
            k_m2 = ((x - k_mean[:, None]) ** 2).sum(axis=1)
        if n == 0:
            mean, m2 = k_mean, k_m2
        else:
            delta = k_mean - mean
            mean = mean + delta * k / (n + k)
            m2 = m2 + k_m2 + delta**2 * n * k / (n + k)
        n += k
    if not (np.isfinite(mean).all() and np.isfinite(m2).all()):
        raise ImageError("image contains NaN or Inf pixels")
    std = np.sqrt(m2 / n)
    expand = (channels,) + (1,) * len(spatial)
    return mean.reshape(expand), std.reshape(expand)


def normalise(sample, mean=None, std=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Normalise a ``(C, *spatial)`` image (or a crop of one) per channel.

    Parameters
    ----------
    sample : array-like
        The image, or a crop of it when ``mean`` and ``std`` are given.
    mean, std : np.ndarray, optional
        The whole image's statistics (:func:`channel_stats`); computed from ``sample`` if
        not given.

    Returns
    -------
    normed, mean, std : np.ndarray
        ``normed = (sample - mean) / std`` as float32 (a constant channel, std 0, is divided
        by 1), with the statistics used.
    """
    if mean is None or std is None:
        mean, std = channel_stats(sample)
    x = np.array(sample, dtype=np.float64)  # a copy: worked on in place below
    # In place, to keep the peak memory of large crops low.
    x -= mean
    x /= _safe(std)
    return x.astype(np.float32), mean, std


def denormalise(normed: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """Undo :func:`normalise` (float64 result)."""
    out = np.array(normed, dtype=np.float64)
    out *= _safe(std)
    out += mean
    return out


def _safe(std: np.ndarray) -> np.ndarray:
    return np.where(std > 0, std, 1.0)
