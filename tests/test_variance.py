"""The generalized Anscombe transform: noise std 1 at every level, and an unbiased way back."""

import numpy as np
import pytest

from helpers import noisy_set, smooth_image, tiny_config
from noise2info import denoise, estimate_sigma, load_run, train
from noise2info.data.variance import generalized_anscombe, inverse_generalized_anscombe
from noise2info.errors import ConfigError
from noise2info.pipeline import run_stage
from noise2info.run import save_run


@pytest.mark.parametrize(("a", "b"), [(0.02, 0.03), (0.01, 0.02), (1.0, 2.0)])
def test_the_transform_stabilises_poisson_gaussian_noise_and_inverts_without_bias(a, b):
    rng = np.random.default_rng(0)
    for counts in (5, 25, 100):  # E[X] / a: from few photons to many
        y = counts * a
        x = a * rng.poisson(counts, 200_000) + rng.normal(0, b, 200_000)
        f = generalized_anscombe(x, a, b)
        assert abs(f.std() - 1) < 0.04, (counts, f.std())  # raw std: sqrt(a y + b^2), not 1
        back = inverse_generalized_anscombe(f.mean(), a, b)
        naive = a * (f.mean() ** 2 / 4 - 3 / 8) - b * b / a  # the algebraic inverse
        assert abs(back - y) < 0.01 * y + 0.05 * a, (counts, back, y)
        assert abs(back - y) < abs(naive - y)


def test_inverse_is_never_negative_and_is_monotone():
    d = np.linspace(-1, 30, 500)
    back = inverse_generalized_anscombe(d, 0.02, 0.03)
    assert back.min() == 0 and np.all(np.diff(back) >= 0)


@pytest.mark.parametrize(("a", "b"), [(0.0, 0.1), (-1.0, 0.1), (0.1, -0.1), (np.nan, 0.1)])
def test_a_bad_gain_or_offset_is_a_clear_error(a, b):
    with pytest.raises(ValueError, match="gain a > 0 and an offset b >= 0"):
        generalized_anscombe(np.ones(3), a, b)


def _poisson_gaussian(a=0.02, b=0.03, n=3, side=96, seed=0):
    rng = np.random.default_rng(seed)
    clean = [0.05 + 0.9 * smooth_image((side, side), seed + i) for i in range(n)]
    return [(a * rng.poisson(y / a) + rng.normal(0, b, y.shape))[None].astype(np.float32) for y in clean]


def test_auto_stabilises_poisson_gaussian_noise_and_leaves_gaussian_noise_alone():
    pg = _poisson_gaussian()
    p = run_stage("vst", pg, tiny_config(steps=4))
    a, b = p.plan.vst
    assert a == pytest.approx(0.02, rel=0.15) and b == pytest.approx(0.03, rel=0.3)
    flat = p.images[0][:, :8, :8] - generalized_anscombe(pg[0][:, :8, :8], a, b)
    assert np.abs(flat).max() < 1e-5  # the view is the transform, slice by slice
    _, gauss = noisy_set(n=3, shape=(96, 96), std=0.1)
    p = run_stage("vst", gauss, tiny_config(steps=4))
    assert p.plan.vst is None and all(s is x for s, x in zip(p.images, gauss, strict=True))
    # 8-bit images beside [0, 1] floats: one gain cannot serve both, so auto keeps them as they are
    mixed = [np.round(np.clip(x, 0, 1) * 255) for x in pg] + pg
    assert run_stage("vst", mixed, tiny_config(steps=4)).plan.vst is None


def test_gat_that_cannot_be_fitted_or_with_clean_targets_is_a_clear_error():
    _, gauss = noisy_set(n=2, shape=(64, 64), std=0.1)
    rgb = [np.repeat(x, 3, axis=0) for x in gauss]
    with pytest.raises(ConfigError, match="3 channels.*give vst_a and vst_b"):
        run_stage("vst", rgb, tiny_config(steps=4, vst="gat", channels=3))
    p = run_stage("vst", rgb, tiny_config(steps=4, vst="gat", vst_a=0.1, vst_b=0.0, channels=3))
    assert p.plan.vst == (0.1, 0.0)
    with pytest.raises(ConfigError, match="self-supervised"):
        run_stage("vst", gauss, tiny_config(steps=4, vst="gat", method="supervised"))


def test_a_stabilised_run_predicts_in_the_images_units_and_reloads_the_same(tmp_path):
    pg = _poisson_gaussian(side=64)
    result = train(pg, tiny_config(steps=6, batch_size=2, patch_size=32), progress=False)
    assert result.config.training.vst == "auto" and result.plan.vst is not None  # setting apart from plan
    out = denoise(result, pg[0])
    a, b = result.plan.vst
    # The same network by hand: transform, predict with the plan less its VST, unbiased inverse.
    as_is = result.plan.model_copy(update={"vst": None})
    by_hand = inverse_generalized_anscombe(
        denoise(result.model, generalized_anscombe(pg[0], a, b), plan=as_is), a, b
    )
    np.testing.assert_allclose(out, by_hand, rtol=1e-5, atol=1e-6)
    plain = train(pg, tiny_config(steps=6, batch_size=2, patch_size=32, vst="none"), progress=False)
    assert plain.plan.vst is None and not np.allclose(denoise(plain, pg[0]), out)
    save_run(result, tmp_path / "run")
    run = load_run(tmp_path / "run", device="cpu")
    assert run.plan == result.plan
    np.testing.assert_allclose(denoise(run, pg[0]), out, rtol=1e-5, atol=1e-6)
    est = estimate_sigma(pg, run, batches=1)
    assert est["vst"] == {"a": a, "b": b} and est["noise_level_function"] is None
    assert est["noise_level_function_direct"]["a"] == pytest.approx(a, rel=0.2)


def test_the_fit_reads_a_bounded_sample_of_many_images():
    from noise2info.noise_level import centre, spread

    many = [np.zeros((1, 64, 64))] * 1000
    picked = spread(many, budget=64 * 64 * 10)
    assert len(picked) == 10 and picked[0] == 0 and picked[-1] == 999
    assert spread(many[:5], budget=64 * 64 * 10) == [0, 1, 2, 3, 4]
    vol = np.zeros((1, 40, 2000, 30))
    assert centre(vol).shape == (1, 16, 1024, 30)
