"""The noise's spatial correlation from the noisy images alone (issue 11).

Blind-spot and Noise2Same training assume noise independent from pixel to pixel; camera
pipelines (demosaicing, JPEG, in-camera denoising) and scientific cameras (line and column
patterns) break that, and a network then learns to copy the noise. This measures the noise's
autocorrelation at short lags where the image is flattest: each 8 x 8 block less its
least-squares plane, blocks judged flat by their 8 neighbours (so the choice does not depend
on the block's own noise), lag products pooled over the kept blocks. For white noise the
plane fit alone gives a known small negative correlation; it is subtracted, so white noise
reads about 0 at every lag.
"""

from __future__ import annotations

import functools

import numpy as np
from scipy.ndimage import uniform_filter

from .noise_level import centre, spread

BLOCK = 8
LAGS = ((0, 1), (1, 0), (1, 1), (1, -1), (0, 2), (2, 0))
# Correlation above which the noise is treated as correlated (docs/benchmarks.md, "Noise
# correlation"): white noise read at most 0.23 (BSD68 at noise std 2/255, where what is left
# of the signal in the flattest blocks dominates), demosaiced camera noise 0.50-0.58.
CORRELATED = 0.3
FLAT = 0.02  # share of blocks kept: the flattest, least touched by signal


@functools.cache
def _residual_operator(side: int = BLOCK) -> np.ndarray:
    """I - H for a least-squares plane (1, y, x) fitted to a side x side block, flattened."""
    y, x = np.indices((side, side))
    design = np.stack([np.ones(side * side), y.ravel(), x.ravel()], axis=1).astype(np.float64)
    hat = design @ np.linalg.pinv(design)
    return np.eye(side * side) - hat


def _lag_pairs(dy: int, dx: int, side: int = BLOCK) -> tuple[np.ndarray, np.ndarray]:
    """Flat indices (i, j) of the pixel pairs at lag (dy, dx) inside one block."""
    y, x = np.indices((side, side))
    ok = (y + dy < side) & (x + dx >= 0) & (x + dx < side)
    i = (y * side + x)[ok]
    return i, i + dy * side + dx


@functools.cache
def _white_expectation() -> dict[tuple[int, int], float]:
    """The correlation white noise reads at each lag after the plane fit: E[r_i r_j] / E[r_i^2]."""
    m = _residual_operator()
    mean_var = np.trace(m) / m.shape[0]
    out = {}
    for lag in LAGS:
        i, j = _lag_pairs(*lag)
        out[lag] = float(np.mean(m[i, j]) / mean_var)
    return out


def plane_correlation(plane: np.ndarray, flat: float = FLAT) -> tuple[dict, float, int] | None:
    """``(products, variance, blocks)`` of one 2-D plane: per lag the mean lag product of
    the plane-fit residuals of the kept (flattest) blocks, their mean square, and how many
    blocks were kept. None when the plane holds fewer than 3 x 3 blocks."""
    z = np.asarray(plane, np.float64)
    ny, nx = z.shape[0] // BLOCK, z.shape[1] // BLOCK
    if ny < 3 or nx < 3:
        return None
    blocks = z[: ny * BLOCK, : nx * BLOCK].reshape(ny, BLOCK, nx, BLOCK).swapaxes(1, 2)
    residual = blocks.reshape(ny, nx, -1) @ _residual_operator().T  # symmetric operator
    energy = np.mean(residual**2, axis=-1)
    neighbours = (uniform_filter(energy, 3, mode="mirror") * 9 - energy)[1:-1, 1:-1].ravel()
    residual = residual[1:-1, 1:-1].reshape(-1, BLOCK * BLOCK)
    kept = residual[np.argsort(neighbours, kind="stable")[: max(16, round(flat * neighbours.size))]]
    products = {}
    for lag in LAGS:
        i, j = _lag_pairs(*lag)
        products[lag] = float(np.mean(kept[:, i] * kept[:, j]))
    return products, float(np.mean(kept**2)), len(kept)


def noise_correlation(images) -> dict:
    """The noise's spatial autocorrelation at short lags, from noisy images alone.

    Parameters
    ----------
    images : list of array-like
        ``(C, *spatial)`` images (NumPy arrays or lazy views); every 2-D plane of every
        channel of a bounded sample (:func:`noise2info.noise_level.spread`) is measured.

    Returns
    -------
    dict
        ``lags``: ``{"dy,dx": correlation}`` for the lags in :data:`LAGS` (about 0 for white
        noise; 1 means neighbours carry the same noise); ``max``: the largest of them;
        ``correlated``: whether ``max`` reaches :data:`CORRELATED`; ``blocks``: how many
        blocks the estimate rests on. Correlations are None without a block to measure.
    """
    sums = {lag: 0.0 for lag in LAGS}
    count = 0
    for i in spread(images):
        window = centre(images[i])
        for plane in window.reshape(-1, *window.shape[-2:]):
            found = plane_correlation(plane)
            if found is None:
                continue
            products, var, n = found
            # Each plane weighted by its blocks, in units of its own noise variance, so a
            # bright image does not outweigh a dark one.
            if var > 0:
                for lag in LAGS:
                    sums[lag] += n * products[lag] / var
                count += n
    if count == 0:
        lags = {f"{dy},{dx}": None for dy, dx in LAGS}
        return {"lags": lags, "max": None, "correlated": False, "blocks": 0}
    white = _white_expectation()
    lags = {lag: sums[lag] / count - white[lag] for lag in LAGS}
    top = max(lags.values())
    return {
        "lags": {f"{dy},{dx}": round(v, 4) for (dy, dx), v in lags.items()},
        "max": round(top, 4),
        "correlated": bool(top >= CORRELATED),
        "blocks": count,
    }
