"""Never worse than the input: each image's expected gain from the noisy image alone.

For X = Y + N with white noise of std sigma and any estimate f(X), Stein's unbiased risk
estimate ``mean (f - X)^2 - sigma^2 + 2 sigma^2 div f / n`` has the expectation of the true
error ``mean (f - Y)^2``; the divergence is read from one probe b, ``E[b . J b] = tr J``
(Monte-Carlo SURE). The noisy image's own error is sigma^2, so their ratio is the PSNR gain
the denoiser is expected to bring, without a clean image. The blend ``w f + (1 - w) X`` has
the risk ``w^2 A - 2 w (S - D) + S`` (sums over pixels: A of (f - X)^2, S of sigma^2, D of
sigma^2 b J b), smallest at ``w = (S - D) / A``: where the network is not expected to help,
the blend leans toward the input.

Only as good as the noise is white and its std known: under correlated noise the pixel
shuffle makes it white within each sub-image (``training.pd_stride``), and the std is each
image's own reading (:mod:`noise2info.noise_level`).

References
----------
Stein, "Estimation of the mean of a multivariate normal distribution", Ann. Stat. 1981.
Ramani, Blu, Unser, "Monte-Carlo SURE", IEEE TIP 2008.
"""

from __future__ import annotations

import math

import numpy as np

# Estimated gains are capped here: a risk estimate at or below 0 means "far better than the
# input", not an infinite gain.
MAX_GAIN_DB = 60.0


def risk_sums(noisy, pred, divergence, sigma, scale=None) -> np.ndarray:
    """``[A, S, D]`` of one image or tile (see the module): sums over pixels and channels of
    ``(f - X)^2``, ``sigma^2`` and ``sigma^2 df_p / dX_p``, each channel weighted by ``scale^2``
    (its normalisation std, so a normalised tile's sums are in the image's intensity units).

    Parameters
    ----------
    noisy, pred : np.ndarray
        X and f(X), ``(C, *spatial)``.
    divergence : np.ndarray
        Per pixel, a reading of df_p / dX_p: for a network ``b (J b)`` with a white probe b
        of unit variance and its response ``J b = (f(X + eps b) - f(X)) / eps``; for the
        posterior step :func:`noise2info.posterior.posterior_divergence`.
    sigma : float or sequence of float
        The noise std, one or one per channel, in the units of ``noisy``.
    scale : sequence of float, optional
        Each channel's weight's square root (default 1).
    """
    arrays = [np.asarray(a, np.float64) for a in (noisy, pred, divergence)]
    if any(a.shape != arrays[0].shape for a in arrays):
        raise ValueError(f"noisy, pred and divergence differ in shape: {[a.shape for a in arrays]}")
    noisy, pred, divergence = arrays
    c = noisy.shape[0]
    s2 = np.broadcast_to(np.asarray(sigma, np.float64) ** 2, (c,))
    w = np.broadcast_to(np.asarray(1.0 if scale is None else scale, np.float64) ** 2, (c,))
    n = noisy[0].size
    axes = tuple(range(1, noisy.ndim))
    a = np.sum(w * np.sum((pred - noisy) ** 2, axis=axes))
    d = np.sum(w * s2 * np.sum(divergence, axis=axes))
    return np.array([a, np.sum(w * s2) * n, d])


def expected_gain(sums) -> dict:
    """From :func:`risk_sums` (summed over tiles or images): ``gain_db``, the PSNR gain of f
    over the noisy image it is expected to bring (negative: expected worse); ``blend``, the
    weight w of f in the blend with the input that minimises the estimated error; and
    ``blend_gain_db``, that blend's expected gain (at least 0 up to the estimate's noise).
    All None without a noise level (S = 0)."""
    a, s, d = (float(v) for v in sums)
    if s <= 0:
        return {"gain_db": None, "blend": None, "blend_gain_db": None}
    w = 1.0 if a <= 0 else min(1.0, max(0.0, (s - d) / a))

    def gain(weight: float) -> float:
        risk = weight * weight * a - 2 * weight * (s - d) + s
        return MAX_GAIN_DB if risk <= 0 else min(MAX_GAIN_DB, 10 * math.log10(s / risk))

    return {"gain_db": round(gain(1.0), 2), "blend": round(w, 4), "blend_gain_db": round(gain(w), 2)}
