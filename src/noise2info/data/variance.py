"""Variance stabilisation of Poisson-Gaussian noise: the generalized Anscombe transform.

For X = a Poisson(Y / a) + N(0, b^2), whose variance a E[X] + b^2 grows with the signal, the
transform f(X) = (2 / a) sqrt(a X + 3/8 a^2 + b^2) has a noise std close to 1 at every
intensity, so a method that assumes one noise level sees one. Back from the transformed
domain, the closed-form approximation of the exact unbiased inverse maps E[f(X)] to E[X]
(the algebraic inverse is biased low at low counts).

References
----------
Murtagh, Starck, Bijaoui, "Image restoration with noise suppression using a multiresolution
support", Astron. Astrophys. Suppl. Ser. 1995 (the generalized Anscombe transform).
Makitalo, Foi, "Optimal inversion of the generalized Anscombe transformation for
Poisson-Gaussian noise", IEEE TIP 2013 (the closed-form unbiased inverse).
"""

from __future__ import annotations

import numpy as np


def _check(a: float, b: float) -> tuple[float, float]:
    if not (np.isfinite(a) and a > 0) or not (np.isfinite(b) and b >= 0):
        raise ValueError(f"need a gain a > 0 and an offset b >= 0, got a={a}, b={b}")
    return float(a), float(b)


def generalized_anscombe(x, a: float, b: float) -> np.ndarray:
    """Forward transform: noise of std about 1 wherever a E[X] + b^2 is the variance.

    Parameters
    ----------
    x : array-like
        Noisy intensities, X = a Poisson(Y / a) + N(0, b^2).
    a, b : float
        Gain (a > 0) and Gaussian std (b >= 0), e.g. from
        :func:`noise2info.noise_level.direct_noise_level_function`.

    Returns
    -------
    ndarray (float64)
        f(X) = (2 / a) sqrt(max(a X + 3/8 a^2 + b^2, 0)).
    """
    a, b = _check(a, b)
    x = np.asarray(x, np.float64)
    return (2.0 / a) * np.sqrt(np.maximum(a * x + 0.375 * a * a + b * b, 0.0))


def inverse_generalized_anscombe(d, a: float, b: float) -> np.ndarray:
    """Closed-form approximation of the exact unbiased inverse of the forward transform.

    Parameters
    ----------
    d : array-like
        Values in the transformed domain, typically a denoised f(X) (an estimate of E[f(X)]).
    a, b : float
        The gain and offset the forward transform used.

    Returns
    -------
    ndarray (float64)
        The estimate of E[X] in the input's units, clipped at 0 counts.
    """
    a, b = _check(a, b)
    # Makitalo & Foi's polynomial needs d > 0; below about 0.8 the unbiased inverse is 0 counts.
    d = np.maximum(np.asarray(d, np.float64), 0.8)
    s = np.sqrt(1.5)
    counts = 0.25 * d**2 + 0.25 * s / d - 1.375 / d**2 + 0.625 * s / d**3 - 0.125 - (b / a) ** 2
    return a * np.maximum(counts, 0.0)


class Stabilised:
    """An image seen through :func:`generalized_anscombe`, read slice by slice.

    Sliced like the ``(C, *spatial)`` image it wraps (a NumPy array or a lazy
    :class:`noise2info.io.SampleView`); only the slices asked for are read and transformed,
    as float32.
    """

    def __init__(self, image, a: float, b: float):
        self.a, self.b = _check(a, b)
        self.image = image
        self.shape = tuple(image.shape)
        self.ndim = len(self.shape)
        self.dtype = np.dtype(np.float32)
        self.size = int(np.prod(self.shape))

    def __getitem__(self, key) -> np.ndarray:
        return generalized_anscombe(self.image[key], self.a, self.b).astype(np.float32)

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        block = self[...]
        return block if dtype is None else block.astype(dtype)


# auto turns the transform on when the signal-dependent part a * intensity is at least this
# share of the fitted variance at the images' mean intensity. Measured on seeded noise
# (docs/notes/benchmarks.md, "Variance stabilisation"): Gaussian noise reads 0.00-0.13 over seven
# scikit-image or 50 BSD400 images together, Poisson-Gaussian its true share within 0.06.
SIGNAL_DEPENDENT_SHARE = 0.5


def fit_stabiliser(images) -> tuple[float, float, float] | None:
    """The gain and offset for :func:`generalized_anscombe`, fitted from noisy images alone.

    Parameters
    ----------
    images : list of array-like
        One-channel ``(1, *spatial)`` images in their own units.

    Returns
    -------
    (a, b, share) or None
        a and b of variance = a * intensity + b^2
        (:func:`noise2info.noise_level.direct_noise_level_function`) and the share of a *
        intensity in the variance at the mean intensity; None when no line can be fitted.
    """
    from ..noise_level import centre, direct_noise_level_function, line_fits_each, spread

    windows = [centre(images[i]) for i in spread(images)]
    try:
        fit = direct_noise_level_function(windows)
    except ValueError:  # no image large enough to fit on
        return None
    if fit["a"] is None or not (np.isfinite(fit["a"]) and np.isfinite(fit["b"]) and fit["a"] > 0):
        return None
    a, b = float(fit["a"]), float(fit["b"])
    if not a * min(fit["intensity"]) + b * b > 0:  # negative inside the data: not counts
        return None
    if not line_fits_each(windows, a, b):
        return None
    mean = float(np.mean(fit["intensity"]))  # bins hold equal block counts
    return a, b, a * mean / (a * mean + b * b)
