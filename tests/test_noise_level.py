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


def _small_noisy_images(sigmas, side=64, seed=0):
    """``(1, side, side)`` smooth scenes of std about 40 with white noise of each std."""
    rng = np.random.default_rng(seed)
    return [
        100 + 40 * _scene(seed + i)[:side, :side][None] + rng.normal(0, s, (1, side, side))
        for i, s in enumerate(sigmas)
    ]


def test_small_images_read_against_each_other_scatter_less_and_stay_unbiased():
    from noise2info.noise_level import direct_noise_std, image_noise_stds

    images = _small_noisy_images([5.0] * 60)
    found = direct_noise_std(images)
    own = np.array([e["sigma_intensity"] for e in found["per_image"]])
    stds = [np.asarray(im).std() for im in images]
    shrunk = np.array([s[0] * std for s, std in zip(image_noise_stds(found), stds, strict=True)])
    # one 64 x 64 image's reading alone is several % off; read against the others, all but
    # the odd image of another reading (textured: more than PRIOR_Z errors off) agree
    assert np.percentile(np.abs(own / np.median(own) - 1), 90) > 0.05
    assert np.percentile(np.abs(shrunk / np.median(shrunk) - 1), 90) < 0.01
    assert abs(shrunk.mean() / 5 - 1) < 0.05 and abs(own.mean() / 5 - 1) < 0.05


def test_images_of_different_noise_keep_their_own_readings():
    from noise2info.noise_level import direct_noise_std, image_noise_stds, noise_priors

    images = _small_noisy_images([3.0] * 20 + [9.0] * 20)
    found = direct_noise_std(images)
    ((pooled, spread),) = noise_priors(found)
    assert spread > 0.5 * np.var(np.log([9.0] * 20 + [81.0] * 20))  # the true variances differ
    stds = [np.asarray(im).std() for im in images]
    shrunk = np.array([s[0] * std for s, std in zip(image_noise_stds(found), stds, strict=True)])
    own = np.array([e["sigma_intensity"] for e in found["per_image"]])
    assert np.allclose(shrunk, own, rtol=0.03)  # each keeps (nearly) its own reading
    assert np.exp(pooled) == pytest.approx(np.sqrt(9 * 81), rel=0.1)  # a geometric mean


def test_a_reading_is_pulled_to_the_prior_unless_it_is_another_noise():
    from noise2info.noise_level import PRIOR_Z, noise_prior, shrink_noise_variance

    assert noise_prior([np.nan], [0]) is None
    pooled, spread = noise_prior([1.0, 1.02, 0.98, 1.0], [1_000] * 4)
    assert np.exp(pooled) == pytest.approx(1.0, rel=0.01) and spread == 0.0  # reading error only
    prior = (0.0, 0.0)  # variance 1, all alike
    assert shrink_noise_variance(1.2, 100, prior) == pytest.approx(1.0)  # 0.14 off in log
    far = np.exp((PRIOR_Z + 0.5) * np.sqrt(2 / 100))
    assert shrink_noise_variance(far, 100, prior) == far  # another scale / instrument
    assert shrink_noise_variance(1.2, 100, None) == 1.2
    # spread = reading error: half way in log (less the reading's -1/k bias)
    half = shrink_noise_variance(1.2, 100, (0.0, 0.02))
    assert np.log(half) == pytest.approx((np.log(1.2) + 0.01) / 2)


def test_the_runs_noise_std_follows_its_rule():
    from noise2info.noise_level import BOUND_SHARE, run_noise_std

    # independent noise: the images' reading; images too small to read: the readout
    assert run_noise_std(0.1, 0.3, 0.12, corrected=False, scaled=False) == (0.1, "images")
    assert run_noise_std(None, 0.3, 0.12, corrected=True, scaled=False) == (0.3, "readout")
    # JPEG'd: the bound's share; corrected correlated noise: between the reading (low) and it
    assert run_noise_std(0.01, 0.3, 0.12, corrected=False, scaled=True) == (BOUND_SHARE * 0.12, "bound")
    sigma, rule = run_noise_std(0.05, 0.3, 0.2, corrected=True, scaled=False)
    assert rule == "mean" and sigma == pytest.approx(np.sqrt(0.05 * BOUND_SHARE * 0.2))
    assert 0.05 < sigma < BOUND_SHARE * 0.2
    # without a bound (methods without one) the reading stands
    assert run_noise_std(0.05, 0.3, None, corrected=True, scaled=True) == (0.05, "images")


def test_the_runs_pooled_reading_takes_the_second_scale_where_the_plan_has_a_covariance():
    """As each image's: with ``noise_covariance`` the corrected pooled reading is the geometric
    mean of the finest scale's and the second's (each corrected); without it (independent or
    JPEG'd noise) the second scale is not used."""
    from noise2info.correlation import coarse_share, difference_scale
    from noise2info.noise_level import plan_noise_std
    from noise2info.plan import Plan

    lags = {"0,1": 0.5, "1,0": 0.5, "1,1": 0.3, "1,-1": 0.3, "0,2": 0.2, "2,0": 0.2}
    covariance = dict(lags)
    finest = 0.02 * difference_scale(lags)
    second = 0.09 / np.sqrt(coarse_share(covariance))
    both = Plan(noise_lags=lags, noise_covariance=covariance)
    sigma, rule = plan_noise_std(0.02, None, None, both, coarse=0.09)
    assert rule == "images" and sigma == pytest.approx(np.sqrt(finest * second))
    assert plan_noise_std(0.02, None, None, Plan(noise_lags=lags), coarse=0.09)[0] == pytest.approx(finest)
    assert plan_noise_std(0.02, None, None, Plan(), coarse=0.09)[0] == pytest.approx(0.02)
