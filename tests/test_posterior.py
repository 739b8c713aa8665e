"""The posterior step: a blend of the network's prediction and the noisy pixel."""

import json

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter

from helpers import small_model, tiny_config
from noise2info.config import Config
from noise2info.models import receptive_radius
from noise2info.posterior import posterior_mean, posterior_radius, posterior_risk
from noise2info.prediction import denoise


def _texture(shape=(96, 96), seed=0):
    """Smooth regions beside fine texture: a blurred prior misses the texture."""
    rng = np.random.default_rng(seed)
    smooth = gaussian_filter(rng.normal(size=shape), 8) * 20
    texture = np.zeros(shape)
    texture[:, shape[1] // 2 :] = rng.normal(size=(shape[0], shape[1] - shape[1] // 2))
    return (smooth + texture)[None]


def test_posterior_beats_both_the_prior_and_the_noisy_image():
    rng = np.random.default_rng(1)
    clean = _texture()
    sigma = 0.5
    noisy = clean + rng.normal(0, sigma, clean.shape)
    prior = gaussian_filter(clean, (0, 1.5, 1.5))  # good on the smooth half, blind to the texture
    post = posterior_mean(noisy, prior, sigma)

    def mse(a):
        return float(np.mean((a - clean) ** 2))

    assert mse(post) < 0.8 * min(mse(prior), mse(noisy))
    # a blend, pixel by pixel: between the prior and the noisy value
    lo, hi = np.minimum(prior, noisy), np.maximum(prior, noisy)
    assert np.all(post >= lo - 1e-12) and np.all(post <= hi + 1e-12)


def test_posterior_keeps_a_perfect_prior_and_follows_sigma():
    rng = np.random.default_rng(2)
    clean = _texture()
    noisy = clean + rng.normal(0, 0.5, clean.shape)
    near = posterior_mean(noisy, clean, 0.5)
    assert np.mean((near - clean) ** 2) < 0.1 * 0.25  # most of the noise stays out
    # sigma 0 trusts the noisy pixel, a huge sigma the prior
    assert np.allclose(posterior_mean(noisy, clean, 0.0), noisy)
    assert np.allclose(posterior_mean(noisy, clean, 1e6), clean)


def test_posterior_takes_one_sigma_per_channel():
    rng = np.random.default_rng(3)
    clean = np.concatenate([_texture(seed=0), _texture(seed=1)])
    noisy = clean + rng.normal(0, 1, clean.shape) * np.array([0.2, 2.0])[:, None, None]
    both = posterior_mean(noisy, np.zeros_like(noisy), [0.2, 2.0])
    assert np.allclose(both[0], posterior_mean(noisy[:1], np.zeros_like(noisy[:1]), 0.2)[0])
    assert np.allclose(both[1], posterior_mean(noisy[1:], np.zeros_like(noisy[1:]), 2.0)[0])


def test_the_floor_keeps_its_share_of_the_residual_however_sure_the_prior_looks():
    rng = np.random.default_rng(4)
    clean = _texture()
    noisy = clean + rng.normal(0, 0.5, clean.shape)
    # a huge sigma trusts the prior wholly; the floor keeps half of X - mu all the same
    kept = posterior_mean(noisy, clean, 1e6, floor=0.5)
    assert np.allclose(kept, clean + 0.5 * (noisy - clean))
    # where the step already keeps more than the floor, the floor changes nothing
    assert np.allclose(posterior_mean(noisy, clean, 0.0, floor=0.5), noisy)
    free, floored = posterior_mean(noisy, clean, 0.5), posterior_mean(noisy, clean, 0.5, floor=0.3)
    gain = (floored - clean) / np.where(noisy == clean, 1, noisy - clean)
    assert gain.min() >= 0.3 - 1e-9 and not np.allclose(free, floored)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"width": 0}, "width"),
        ({"sigma": float("nan")}, "finite"),
        ({"floor": 1.0}, "floor"),
        ({"floor": -0.1}, "floor"),
    ],
)
def test_posterior_rejects_bad_settings(kwargs, match):
    x = np.zeros((1, 8, 8))
    with pytest.raises(ValueError, match=match):
        posterior_mean(x, x, **{"sigma": 1.0, **kwargs})
    with pytest.raises(ValueError, match="shape"):
        posterior_mean(x, x[:, :4], 1.0)


def test_denoise_with_the_posterior_step_tiles_exactly():
    model = small_model()
    rng = np.random.default_rng(0)
    image = rng.normal(size=(1, 260, 230)) * 20 + 100
    whole = denoise(model, image, posterior=True)
    margin = receptive_radius(model.config) + posterior_radius()
    tiled = denoise(model, image, tile=2 * margin + 40, posterior=True)
    assert np.abs(whole - tiled).max() < 1e-2  # intensity units, image std 20
    plain = denoise(model, image, posterior=False)
    assert np.abs(whole - plain).max() > 1.0  # the step changes the result


def test_denoise_follows_what_the_plan_chose():
    from noise2info.plan import Plan

    model = small_model()
    rng = np.random.default_rng(0)
    image = rng.normal(size=(1, 64, 64)) * 20 + 100
    step = denoise(model, image, plan=Plan(refine="posterior"))
    assert np.array_equal(step, denoise(model, image, posterior=True))
    plain = denoise(model, image, plan=Plan(refine="sure"))
    assert np.array_equal(plain, denoise(model, image, posterior=False))
    assert np.array_equal(plain, denoise(model, image))  # a network alone: no plan, no step
    assert not np.allclose(step, plain)


def test_only_a_run_trained_for_it_predicts_with_the_posterior_step_and_old_runs_keep_theirs():
    from noise2info.pipeline import run_stage

    image = [np.zeros((1, 16, 16), np.float32)]

    def chosen(**settings):
        return run_stage("refine", image, tiny_config(**settings)).plan

    assert chosen(refine="posterior").posterior
    assert chosen().refine is None and not chosen().posterior  # auto: chosen during training
    assert not chosen(refine="sure").posterior
    assert not chosen(refine="none").posterior
    assert chosen(method="noise2self").refine == "none"
    for version, default in ((5, "sure"), (6, "posterior")):
        old = json.loads(tiny_config(refine="sure").model_dump_json())
        old["version"] = version
        del old["method"]["refine"]
        assert Config.model_validate(old).method.refine == default  # that version's default


@pytest.mark.parametrize("refine", ["posterior", "none"])
def test_a_trained_and_a_reloaded_model_carry_the_choice(tmp_path, refine):
    from helpers import noisy_set
    from noise2info import load_run, save_run, train

    _, noisy = noisy_set()
    result = train(noisy, tiny_config(refine=refine), progress=False)
    assert result.plan.posterior == (refine == "posterior")
    save_run(result, tmp_path / "run")
    assert load_run(tmp_path / "run").plan.posterior == (refine == "posterior")


def _linear_denoiser(width):
    """F = a Gaussian blur: linear, so its response to a probe b is exactly the blur of b."""
    return lambda x: gaussian_filter(x, (0, width, width))


@pytest.mark.parametrize(
    ("noise", "blur", "window", "floor"),
    [(0.1, 1.0, 2.0, 0.0), (0.1, 2.0, 6.0, 0.0), (0.2, 1.5, 6.0, 0.0), (0.1, 2.0, 6.0, 0.5)],
)
def test_the_risk_estimates_match_the_true_errors_without_the_clean_image(noise, blur, window, floor):
    rng = np.random.default_rng(0)
    clean = _texture((256, 256), seed=1) * 0.05
    f = _linear_denoiser(blur)
    estimated, true = [], []
    for _ in range(8):
        noisy = clean + rng.normal(0, noise, clean.shape)
        probe = rng.normal(size=clean.shape)
        estimated.append(posterior_risk(noisy, f(noisy), noise, probe, f(probe), width=window, floor=floor))
        step = posterior_mean(noisy, f(noisy), noise, width=window, floor=floor)
        true.append((np.mean((f(noisy) - clean) ** 2), np.mean((step - clean) ** 2)))
    # unbiased: the mean of eight draws within 5 % of the true mean squared errors (SURE's own
    # spread on 256 x 256 pixels is about 3 % a draw)
    assert np.allclose(np.mean(estimated, 0), np.mean(true, 0), rtol=0.05)


def test_the_risk_of_a_perfect_blind_prior_is_the_prior_error_and_the_step_is_cheaper_on_texture():
    rng = np.random.default_rng(1)
    clean = _texture()
    noisy = clean + rng.normal(0, 0.5, clean.shape)
    prior = gaussian_filter(clean, (0, 3, 3))  # misses the texture; does not depend on X
    zero = np.zeros_like(noisy)  # a blind prior: no response to a probe
    network, step = posterior_risk(noisy, prior, 0.5, rng.normal(size=noisy.shape), zero)
    assert network == pytest.approx(np.mean((prior - clean) ** 2), rel=0.05)
    assert step < 0.7 * network  # the step recovers texture the prior missed
    with pytest.raises(ValueError, match="differ in shape"):
        posterior_risk(noisy, prior, 0.5, zero[:, :4], zero)


def test_prediction_reads_the_image_noise_against_the_training_images():
    from noise2info.noise_level import direct_noise_std, image_noise_stds
    from noise2info.plan import Plan

    model = small_model()
    rng = np.random.default_rng(1)
    image = rng.normal(size=(1, 64, 64)) * 20 + 100
    own = direct_noise_std([image])
    std = image.std()
    prior = [(np.log(18.0**2), 0.0)]  # the training images' noise: std 18, all alike
    plan = Plan(refine="posterior", noise_prior=prior)
    expected = image_noise_stds(own, prior)[0][0]
    assert expected * std < own["per_image"][0]["sigma_intensity"]  # pulled from ~20 toward 18
    assert np.allclose(denoise(model, image, plan=plan), denoise(model, image, plan=plan, sigma=expected))
    plan = Plan(refine="posterior")  # a run of config version 7 or older: the image's own reading
    reading = own["per_image"][0]["sigma"]
    assert np.allclose(denoise(model, image, plan=plan), denoise(model, image, plan=plan, sigma=reading))


def test_denoise_takes_one_noise_std_or_one_per_channel():
    from noise2info import ConfigError
    from noise2info.plan import Plan

    model = small_model(channels=2)
    image = np.random.default_rng(2).normal(size=(2, 64, 64)) * 20 + 100
    plan = Plan(refine="posterior")
    same = denoise(model, image, plan=plan, sigma=0.5)
    assert np.array_equal(same, denoise(model, image, plan=plan, sigma=[0.5, 0.5]))
    apart = denoise(model, image, plan=plan, sigma=[0.5, 0.05])
    assert np.array_equal(apart[0], same[0]) and not np.allclose(apart[1], same[1])
    with pytest.raises(ConfigError, match="one per channel"):
        denoise(model, image, plan=plan, sigma=[0.5, 0.5, 0.5])
