"""The noise level function from the noisy images alone (no network)."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import smooth_image
from noise2info.noise_level import direct_noise_level_function


def _scene(seed: int) -> np.ndarray:
    """Smooth ramps with a few sharp edges, in [0.05, 0.95]."""
    y = 0.05 + 0.9 * smooth_image((256, 256), seed)
    y[64:128, 40:200] = 0.8 * y[64:128, 40:200]  # an occluding step
    return y


@pytest.mark.parametrize("a,b", [(0.02, 0.03), (0.01, 0.02), (0.0, 0.05)])
def test_recovers_poisson_gaussian_gain_and_offset(a, b):
    rng = np.random.default_rng(1)
    clean = [_scene(s) for s in range(4)]
    noisy = [(a * rng.poisson(y / a) if a else y) + rng.normal(0, b, y.shape) for y in clean]
    fit = direct_noise_level_function(noisy)
    assert fit["b"] == pytest.approx(b, rel=0.1)
    if a:
        assert fit["a"] == pytest.approx(a, rel=0.1)
    else:  # signal-independent noise: a flat line
        assert fit["a"] < 0.05 * b**2
    # std per bin follows the line it was fitted to
    line = np.sqrt(fit["a"] * np.array(fit["intensity"]) + fit["b"] ** 2)
    np.testing.assert_allclose(fit["sigma"], line, rtol=0.15)


def test_volumes_and_channel_axis_are_read_plane_by_plane():
    rng = np.random.default_rng(0)
    vol = np.stack([_scene(s) for s in range(3)])[None] + rng.normal(0, 0.05, (1, 3, 256, 256))
    assert direct_noise_level_function([vol])["b"] == pytest.approx(0.05, rel=0.1)


@pytest.mark.parametrize(
    "images,kwargs,message",
    [
        ([np.zeros((2, 32, 32))], {}, "one-channel images only"),
        ([np.zeros((4, 4))], {}, "at least 8 x 8"),
        ([np.zeros((32, 32))], {"flat": 0}, "0 < flat <= 1"),
    ],
)
def test_bad_input_says_what_is_wrong(images, kwargs, message):
    with pytest.raises(ValueError, match=message):
        direct_noise_level_function(images, **kwargs)


def test_bins_without_measurable_noise_are_left_out_quietly():
    import warnings

    rng = np.random.default_rng(0)
    y = np.zeros((64, 64))
    y[20:40, 20:40] = 1
    x = y * (rng.random(y.shape) > 0.25)  # pepper noise: the black ground has none
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no divide-by-zero on the way
        fit = direct_noise_level_function([x[None]])
    assert all(s > 0 for s in fit["sigma"]) and fit["a"] is None
