"""The posterior step: weigh the network's prediction against the noisy pixel itself.

A network trained with a blind spot (Noise2Info, Noise2Same, Noise2Self) predicts each pixel
mostly from its neighbours: mu = E[Y | neighbours]. The noisy pixel X = Y + N is a second,
independent look at Y whose noise std sigma the run has estimated. With a Gaussian prior
Y ~ N(mu, s^2) the posterior mean is

    mu + s^2 / (s^2 + sigma^2) (X - mu),

which keeps what the blind spot could not see (fine texture, single-pixel detail) where the
network is unsure (s^2 large) and keeps mu where it is sure. s^2 + sigma^2 is the expected
square of X - mu, read here as its local mean over a Gaussian window: a local Wiener filter
on the network's residual. The gain stays in [0, 1], so the output is, pixel by pixel, a
blend of the prediction and the input.

References
----------
Laine, Karras, Lehtinen, Aila, "High-quality self-supervised deep image denoising",
NeurIPS 2019 (the posterior mean of a blind-spot prior and a known noise model).
Krull, Vicar, Prakash, Lalit, Jug, "Probabilistic Noise2Void", Frontiers in Computer Science
2020.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.ndimage import gaussian_filter

# Std (pixels) of the window that reads s^2 + sigma^2: widths 4 to 8 measured within 0.03 dB
# of each other, a 9 x 9 box 0.16 dB worse (docs/notes/benchmarks.md, "The posterior step").
POSTERIOR_WIDTH = 6.0
_TRUNCATE = 4.0  # scipy's default: the window reaches 4 widths
# The least share of X - mu the step keeps where the noise is correlated between neighbours (a
# run's ``plan.posterior_floor``): the network's prediction then carries part of each pixel's
# noise (read from its neighbours), which the local power of X - mu cannot see, so a gain of 0
# trusts a prediction that is worse than it looks. On polyu-dev's 56 photos 0.5 made none worse
# (0.35: 2 worse, lowest -0.06 dB; none: 5, lowest -0.63) for 0.18 dB of the mean gain; on the
# test bed's demosaiced camera kind it gained 0.19 dB (docs/notes/benchmarks.md, "The posterior
# step's floor").
LEAK_FLOOR = 0.5


def posterior_radius(width: float = POSTERIOR_WIDTH) -> int:
    """How far (pixels) :func:`posterior_mean` reads around a pixel: tiles keep this much more
    margin so the stitched result equals the untiled one."""
    return int(math.ceil(_TRUNCATE * width))


def posterior_mean(
    noisy: np.ndarray, prior_mean: np.ndarray, sigma, width: float = POSTERIOR_WIDTH, floor: float = 0.0
) -> np.ndarray:
    """The posterior mean of each pixel given the network's prediction and its noisy value.

    Parameters
    ----------
    noisy : np.ndarray
        X, shape ``(C, *spatial)``, normalised (the network's units).
    prior_mean : np.ndarray
        mu, the network's prediction of X's clean signal, same shape.
    sigma : float or sequence of float
        The noise std in the same units, one for all channels or one per channel.
    width : float
        Std in pixels of the Gaussian window over which the local mean of (X - mu)^2 is read.
    floor : float
        The least gain, in [0, 1): the share of X - mu kept however sure the network looks
        (:data:`LEAK_FLOOR` for correlated noise; 0 for independent noise).

    Returns
    -------
    np.ndarray
        ``mu + g (X - mu)`` with ``g = max(floor, 1 - sigma^2 / local mean of (X - mu)^2)``
        (at most 1), float64, same shape.

    Examples
    --------
    >>> x = np.zeros((1, 8, 8)); x[0, 4, 4] = 10.0
    >>> out = posterior_mean(x, np.zeros_like(x), sigma=1.0, width=1.0)
    >>> bool(0 < out[0, 4, 4] < 10), float(out[0, 0, 0])
    (True, 0.0)
    """
    noisy = np.asarray(noisy, np.float64)
    prior_mean = np.asarray(prior_mean, np.float64)
    if noisy.shape != prior_mean.shape:
        raise ValueError(f"noisy {noisy.shape} and prior_mean {prior_mean.shape} differ in shape")
    if width <= 0:
        raise ValueError(f"width must be positive, not {width}")
    if not 0 <= floor < 1:
        raise ValueError(f"floor must be in [0, 1), not {floor}")
    channels = noisy.shape[0]
    s2 = np.broadcast_to(np.asarray(sigma, np.float64) ** 2, (channels,))
    if not np.all(np.isfinite(s2)):
        raise ValueError(f"sigma must be finite, not {sigma}")
    residual, total = _local_power(noisy, prior_mean, width)
    return prior_mean + _gain(s2, total, floor) * residual


def _local_power(noisy: np.ndarray, prior_mean: np.ndarray, width: float) -> tuple[np.ndarray, np.ndarray]:
    """``(X - mu, its local mean square)`` per channel: the step's window, read once."""
    residual = noisy - prior_mean
    total = np.empty_like(residual)
    for c in range(residual.shape[0]):
        total[c] = gaussian_filter(residual[c] ** 2, width, mode="mirror", truncate=_TRUNCATE)
    return residual, np.maximum(total, 1e-12)


def _gain(s2: np.ndarray, total: np.ndarray, floor: float) -> np.ndarray:
    """The step's gain ``clip(1 - sigma^2 / total, floor, 1)``, ``s2`` one variance per channel."""
    return np.clip(1.0 - s2.reshape(-1, *[1] * (total.ndim - 1)) / total, floor, 1.0)


def _centre_weight(width: float, dims: int) -> float:
    """The weight :func:`posterior_mean`'s window gives the pixel itself (scipy's kernel)."""
    radius = int(_TRUNCATE * width + 0.5)
    kernel = np.exp(-0.5 * (np.arange(-radius, radius + 1) / width) ** 2)
    return float((1.0 / kernel.sum()) ** dims)


def posterior_risk(
    noisy: np.ndarray,
    prior_mean: np.ndarray,
    sigma,
    probe: np.ndarray,
    response: np.ndarray,
    width: float = POSTERIOR_WIDTH,
    floor: float = 0.0,
) -> tuple[float, float]:
    """Stein's unbiased estimates of the error of the network's prediction and of the
    posterior step, from the noisy image alone.

    For X = Y + N with white noise of std sigma and any estimate f(X),
    ``mean (f - X)^2 - sigma^2 + 2 sigma^2 mean_p df_p / dX_p`` has the expectation of
    ``mean (f - Y)^2``. For the step f = mu + g (X - mu) the derivative is
    ``g + (1 - g) J_pp`` plus the change of g with X_p through the window; J_pp, the
    network's own derivative, is read from one probe: E[b_p (J b)_p] = J_pp.

    Parameters
    ----------
    noisy, prior_mean : np.ndarray
        X and mu = F(X), shape ``(C, *spatial)``, normalised.
    sigma : float or sequence of float
        The noise std, one for all channels or one per channel.
    probe : np.ndarray
        b, white unit-variance noise of X's shape.
    response : np.ndarray
        ``(F(X + eps b) - F(X)) / eps``, the network's response J b to it.
    width, floor : float
        The step's window and least gain (:func:`posterior_mean`).

    Returns
    -------
    (float, float)
        The estimated mean squared error per pixel of mu and of the posterior step, averaged
        over channels. Each is unbiased but noisy on a small image; compare sums over many.

    References
    ----------
    Stein, "Estimation of the mean of a multivariate normal distribution", Ann. Stat. 1981.
    Ramani, Blu, Unser, "Monte-Carlo SURE", IEEE TIP 2008.
    """
    arrays = [np.asarray(a, np.float64) for a in (noisy, prior_mean, probe, response)]
    if any(a.shape != arrays[0].shape for a in arrays):
        shapes = [a.shape for a in arrays]
        raise ValueError(f"noisy, prior_mean, probe and response differ in shape: {shapes}")
    noisy, prior_mean, probe, response = arrays
    channels = noisy.shape[0]
    s2 = np.broadcast_to(np.asarray(sigma, np.float64) ** 2, (channels,))
    j = probe * response  # per pixel, an unbiased reading of J_pp
    r, total = _local_power(noisy, prior_mean, width)  # one window read for both
    out, d = prior_mean + _gain(s2, total, floor) * r, _divergence(r, total, sigma, j, width, floor)
    prior, step = 0.0, 0.0
    for c in range(channels):
        prior += np.mean((prior_mean[c] - noisy[c]) ** 2) - s2[c] + 2 * s2[c] * np.mean(j[c])
        step += np.mean((out[c] - noisy[c]) ** 2) - s2[c] + 2 * s2[c] * np.mean(d[c])
    return prior / channels, step / channels


def posterior_divergence(
    noisy, prior_mean, sigma, jacobian, width: float = POSTERIOR_WIDTH, floor: float = 0.0
) -> np.ndarray:
    """Per pixel, the derivative of the posterior step's output by its own noisy pixel,
    ``g + (1 - g) J_pp`` plus the change of g with X_p through the window, given a reading
    of the network's own ``J_pp`` (``jacobian``; e.g. ``b (J b)`` from one probe). Arrays
    ``(C, *spatial)``; sigma one or one per channel (see :func:`posterior_risk`)."""
    noisy, prior_mean, j = (np.asarray(a, np.float64) for a in (noisy, prior_mean, jacobian))
    return _divergence(*_local_power(noisy, prior_mean, width), sigma, j, width, floor)


def _divergence(r, total, sigma, j, width: float, floor: float = 0.0) -> np.ndarray:
    channels, dims = r.shape[0], r.ndim - 1
    s2 = np.broadcast_to(np.asarray(sigma, np.float64) ** 2, (channels,))
    s2 = s2.reshape(-1, *[1] * dims)
    w0 = _centre_weight(width, dims)
    raw = 1.0 - s2 / total
    g = np.clip(raw, floor, 1.0)
    inside = (raw > floor) & (raw < 1)  # where g moves with X_p: d total / d X_p = 2 w0 r_p (1 - J_pp)
    return g + (1 - g) * j + inside * 2 * w0 * s2 * r**2 * (1 - j) / total**2
