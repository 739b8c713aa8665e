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
# of each other, a 9 x 9 box 0.16 dB worse (docs/benchmarks.md, "The posterior step").
POSTERIOR_WIDTH = 6.0
_TRUNCATE = 4.0  # scipy's default: the window reaches 4 widths


def posterior_radius(width: float = POSTERIOR_WIDTH) -> int:
    """How far (pixels) :func:`posterior_mean` reads around a pixel: tiles keep this much more
    margin so the stitched result equals the untiled one."""
    return int(math.ceil(_TRUNCATE * width))


def posterior_mean(
    noisy: np.ndarray, prior_mean: np.ndarray, sigma, width: float = POSTERIOR_WIDTH
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

    Returns
    -------
    np.ndarray
        ``mu + g (X - mu)`` with ``g = max(0, 1 - sigma^2 / local mean of (X - mu)^2)``,
        float64, same shape.

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
    channels = noisy.shape[0]
    s2 = np.broadcast_to(np.asarray(sigma, np.float64) ** 2, (channels,))
    if not np.all(np.isfinite(s2)):
        raise ValueError(f"sigma must be finite, not {sigma}")
    residual = noisy - prior_mean
    out = np.empty_like(noisy)
    for c in range(channels):
        total = gaussian_filter(residual[c] ** 2, width, mode="mirror", truncate=_TRUNCATE)
        gain = np.clip(1.0 - s2[c] / np.maximum(total, 1e-12), 0.0, 1.0)
        out[c] = prior_mean[c] + gain * residual[c]
    return out
