import numpy as np
import pytest
import torch

from helpers import noisy_set, smooth_image
from noise2info import ConfigError, ImageError, Noise2InfoWarning, make_config, train
from noise2info.config import Config, sigma_schedule
from noise2info.data.noise import normalised_noise_std
from noise2info.training import TrainingError, fit_to_time


def _cfg(**kw):
    base = dict(preset="tiny", steps=60, batch_size=4, patch_size=32, log_every=5, seed=0)
    if kw.get("method", "noise2info") == "noise2info":
        base.update(k_t=10, k_u=2)
    base.update(kw)
    return make_config(**base)


def test_noise2info_lowers_sigma_loss_and_never_raises_it():
    clean, noisy = noisy_set(std=0.3)
    result = train(noisy, _cfg(steps=120, lr=3e-3, lr_decay_every=1000, refine="none"), progress=False)
    rounds = result.history.sigma_rounds
    assert len(rounds) == 12
    values = [1.0] + [r["sigma_loss"] for r in rounds]
    assert all(b <= a for a, b in zip(values, values[1:], strict=False))
    assert result.sigma_loss < 1.0
    # every round also reads the noise level; the run's sigma is measured on the images
    assert all(r["sigma_readout"] > 0 for r in rounds) and result.sigma_readout > 0
    truth = normalised_noise_std(clean, noisy)
    assert result.sigma == pytest.approx(truth, rel=0.05) and result.sigma != result.sigma_readout
    # a round updates exactly when its estimate is below the sigma_loss it found
    for before, r in zip(values, rounds, strict=False):
        assert r["updated"] == (r["sigma_star"] is not None and r["sigma_star"] < before)


def test_the_first_sigma_round_comes_before_k_t():
    _, noisy = noisy_set(std=0.3)
    result = train(noisy, _cfg(steps=25, first_round=3, refine="none"), progress=False)
    assert [r["step"] for r in result.history.sigma_rounds] == [3, 13, 23]
    assert result.config.method.build_objective().sigma_schedule.rounds(25) == 3


def test_the_second_stage_trains_sure_after_refine_after_and_stops_the_rounds():
    _, noisy = noisy_set(std=0.3)
    result = train(noisy, _cfg(steps=40, refine="sure", refine_after=20, log_every=5), progress=False)
    assert [r["step"] for r in result.history.sigma_rounds] == [10, 20]
    assert result.config.method.build_objective().sigma_schedule.rounds(40) == 2  # none after 20
    steps = result.history.steps
    first = [r for r in steps if r["step"] <= 20]
    second = [r for r in steps if r["step"] > 20]
    assert all("L_ex" in r and "div" not in r for r in first)
    assert all({"div", "sigma_patch"} <= set(r) and "L_ex" not in r for r in second)
    # each patch's readout sits near the true normalised noise std (about 0.3 / 0.33 here)
    assert 0.3 < np.mean([r["sigma_patch"] for r in second]) < 1.5
    assert _cfg(steps=40, refine="sure").method.refine_after == 20  # half the steps by default
    assert _cfg(steps=40).method.refine_after == 20  # auto chooses there
    assert _cfg(steps=40, refine="posterior").method.refine_after is None  # no stage
    assert _cfg(steps=40, refine="none").method.refine_after is None


@pytest.mark.parametrize(("threshold", "choice"), [(-np.inf, "posterior"), (np.inf, "sure")])
def test_refine_auto_chooses_at_refine_after_by_the_estimated_gain(monkeypatch, tmp_path, threshold, choice):
    from noise2info import load_run, save_run
    from noise2info.training import refine

    monkeypatch.setattr(refine, "POSTERIOR_MIN_GAIN_DB", threshold)
    _, noisy = noisy_set(std=0.3)
    result = train(noisy, _cfg(steps=40, refine_after=20, log_every=5), progress=False)
    record = result.history.readings["refine"]
    assert record["step"] == 20 and record["choice"] == choice
    assert record["risk_network"] > 0 and record["risk_posterior"] > 0 and record["gain_db"] is not None
    # the setting stays auto; the plan holds the choice, so prediction and a reload follow it
    assert result.config.method.refine == "auto" and result.plan.refine == choice
    save_run(result, tmp_path / "run")
    run = load_run(tmp_path / "run")
    assert run.plan.posterior == (choice == "posterior") and run.history["refine"]["choice"] == choice
    rounds = [r["step"] for r in result.history.sigma_rounds]
    second = [r for r in result.history.steps if r["step"] > 20]
    if choice == "sure":  # the SURE stage, with no sigma rounds after the choice
        assert rounds == [10, 20] and all("div" in r for r in second)
    else:  # Algorithm 2 goes on
        assert rounds == [10, 20, 30, 40] and all("L_ex" in r for r in second)


def test_the_risk_estimate_sees_what_the_posterior_step_gains_on_a_half_trained_network():
    from noise2info.training import Trainer

    _, noisy = noisy_set(std=0.5)
    trainer = Trainer(noisy, _cfg(steps=40, refine="posterior"))
    for _ in range(20):
        trainer.step()
    gain = trainer.posterior_gain()
    # an under-trained blind-spot network loses detail the noisy pixel still holds
    assert gain["risk_posterior"] < gain["risk_network"] and gain["gain_db"] > 0


def test_fit_to_time_derives_the_schedule_for_the_steps_that_fit():
    _, noisy = noisy_set()
    given = _cfg(steps=5, k_t=7)  # k_t given by the user, k_u given by _cfg too
    fitted = fit_to_time(noisy, given, 3.0, device="cpu", keep=("k_t",))
    steps = fitted.training.steps
    assert steps > 5  # a tiny model trains far more than 5 steps in 3 s
    fresh = make_config(preset="tiny", steps=steps, batch_size=4, patch_size=32, log_every=5, k_t=7)
    assert fitted.method.k_t == 7 and fitted.method.first_round == fresh.method.first_round
    assert fitted.method.k_u == fresh.method.k_u  # re-derived (not kept): k_u was not in keep
    assert fitted.training.lr_decay_every == fresh.training.lr_decay_every
    with pytest.raises(ConfigError, match="positive"):
        fit_to_time(noisy, given, 0.0, device="cpu")


def test_same_seed_same_model_different_seed_different_model():
    _, noisy = noisy_set()
    a = train(noisy, _cfg(steps=20), progress=False)
    b = train(noisy, _cfg(steps=20), progress=False)
    c = train(noisy, _cfg(steps=20, seed=1), progress=False)
    for (k, va), vb in zip(a.model.state_dict().items(), b.model.state_dict().values(), strict=True):
        assert torch.equal(va, vb), k
    assert a.history.to_dict() == b.history.to_dict()
    assert not torch.equal(a.model.stem.weight, c.model.stem.weight)


@pytest.mark.parametrize("method", ["noise2same", "noise2self", "supervised"])
def test_other_methods_train_and_keep_sigma_fixed(method):
    clean, noisy = noisy_set()
    extra = {"sigma": 0.5} if method == "noise2same" else {}
    result = train(noisy, _cfg(method=method, steps=20, **extra), clean=clean, progress=False)
    assert result.history.sigma_rounds == []
    assert result.sigma_loss == (0.5 if method == "noise2same" else None)
    assert result.sigma_readout > 0 and result.sigma > 0  # the readout works with any trained denoiser
    steps = result.history.steps
    assert [r["step"] for r in steps] == [5, 10, 15, 20]
    if method == "noise2same":
        # the given sigma weighs L_ex in every record, unchanged from the first step to the last
        assert all(r["sigma_loss"] == 0.5 for r in steps)
        for r in steps:
            assert r["loss"] == pytest.approx(r["L_in"] + 2 * 0.5 * r["L_ex"], rel=1e-6)
    else:  # no sigma_loss at all
        assert all(r.get("sigma_loss") is None for r in steps)
    # it trains: the loss of the last 5 steps is well below that of the first 5
    assert steps[-1]["loss"] < 0.8 * steps[0]["loss"]


def test_training_reduces_the_loss():
    _, noisy = noisy_set(std=0.2)
    result = train(noisy, _cfg(method="noise2same", steps=80), progress=False)
    steps = result.history.steps
    assert np.mean([r["loss"] for r in steps[-3:]]) < np.mean([r["loss"] for r in steps[:3]])


def _gain_db(model, clean, noisy):
    """The PSNR gain of the network's own output over the noisy image, per channel (without
    the posterior step, which alone gains 2 to 4 dB here even with untrained weights)."""
    from noise2info.prediction import denoise

    out = denoise(model, noisy, posterior=False)
    axes = tuple(range(1, noisy.ndim))
    return 10 * np.log10(np.mean((noisy - clean) ** 2, axis=axes) / np.mean((out - clean) ** 2, axis=axes))


def test_3d_and_colour_training_runs():
    rng = np.random.default_rng(0)
    clean3 = smooth_image((24, 24, 24))[None].astype(np.float32)
    vol = clean3 + rng.normal(0, 0.2, clean3.shape).astype(np.float32)
    cfg3 = Config.model_validate(
        {
            "model": {"dims": 3, "channels": 1, "depth": 1, "base_features": 4},
            "method": {"name": "noise2info", "k_t": 1, "k_u": 1, "refine": "sure"},
            "training": {"steps": 40, "batch_size": 2, "patch_size": 16, "lr": 3e-3, "log_every": 10},
        }
    )
    result = train([vol], cfg3, progress=False)
    # sigma rounds in the first stage, SURE's probes in 3-D in the second
    rounds, steps = result.history.sigma_rounds, result.history.steps
    sure = [r["step"] for r in steps if "div" in r]
    assert rounds and sure and max(r["step"] for r in rounds) < min(sure)
    assert "L_ex" in steps[0] and result.model.stem.weight.ndim == 5
    # and the volume comes out denoised (about 7.5 dB here; 4 to 8 over seeds)
    assert _gain_db(result, clean3, vol)[0] > 2.0
    clean = np.stack([smooth_image((48, 48), i) for i in range(3)]).astype(np.float32)
    rgb = clean + rng.normal(0, 0.2, clean.shape).astype(np.float32)
    res = train([rgb], _cfg(channels=3, steps=100, patch_size=32, lr=3e-3, refine="none"), progress=False)
    assert res.model.config.channels == 3
    # each channel denoised as itself (3.6 to 6.3 dB here, 1.3 the least over 5 seeds):
    # none swapped or mixed into another
    assert (_gain_db(res, clean, rgb) > 0.5).all()


def test_mismatched_inputs_are_refused():
    rng = np.random.default_rng(0)
    with pytest.raises(ImageError, match=r"mixed channel counts \(image 0: 1, image 1: 3\)"):
        train([rng.normal(size=(1, 20, 20)), rng.normal(size=(3, 20, 20))], _cfg(), progress=False)
    with pytest.raises(ImageError, match="image 0: 3 channel"):
        train([rng.normal(size=(3, 20, 20))], _cfg(), progress=False)
    with pytest.raises(ConfigError, match="method supervised needs clean images"):
        train([rng.normal(size=(1, 20, 20))], _cfg(method="supervised"), progress=False)


def test_constant_images_warn_and_all_constant_is_refused():
    _, noisy = noisy_set(n=2)
    flat = np.full((1, 40, 40), 3.0, np.float32)
    with pytest.warns(Noise2InfoWarning, match="flat.tif is constant"):
        train([*noisy, flat], _cfg(steps=2), progress=False, names=["a", "b", "flat.tif"])
    with pytest.raises(ImageError, match="every training image is constant"):
        train([flat, flat + 1], _cfg(steps=2), progress=False)


def test_settings_a_method_does_not_use_are_refused():
    with pytest.raises(ConfigError, match="sigma is not a setting of method noise2info"):
        make_config(method="noise2info", sigma=0.5)
    with pytest.raises(ConfigError, match="k_t is not a setting of method noise2same"):
        make_config(method="noise2same", k_t=10)
    with pytest.raises(ConfigError, match="masking is not a setting of method supervised"):
        make_config(method="supervised", masking="donut")


def test_nan_loss_stops_with_a_clear_message():
    _, noisy = noisy_set()
    with pytest.raises(TrainingError, match="loss became"):
        train(noisy, _cfg(lr=1e30, steps=50, method="noise2same"), progress=False)


def test_schedule_is_resolved_once_into_numbers_following_the_paper_ratios():
    for steps in (50_000, 80_000):  # the paper's Hanzi and BSD68 runs: rounds of 900 + 100
        paper = make_config(steps=steps, batch_size=64)
        m = paper.method
        assert (m.k_t, m.k_u, m.first_round, paper.training.lr_decay_every) == (900, 100, 900, 5000)
    # short runs: rounds keep >= 256 estimation patches and the 9:1 ratio of k_t to k_u;
    # the first round comes after 2 % of the steps (at least 10), not after k_t
    small = make_config(steps=1500, batch_size=8)
    m = small.method
    assert (m.k_t, m.k_u, m.first_round, small.training.lr_decay_every) == (288, 32, 30, 500)
    assert make_config(steps=400, batch_size=16).method.first_round == 10
    assert make_config(steps=150, batch_size=4).method.k_t == 50  # >= 3 rounds
    # the estimation patches do not follow k_t
    assert make_config(steps=1500, batch_size=8, k_t=50).method.k_u == 32
    assert make_config(steps=1500, batch_size=8, k_t=1000).method.k_u == 32
    # a round never costs more than the k_t steps before it (3 estimation batches per step)
    assert sigma_schedule(2, 16) == (1, 3, 1)
    # given numbers are kept, and the saved numbers are what a reloaded config uses
    assert make_config(steps=1500, k_t=7, k_u=5).method.k_t == 7
    assert make_config(steps=1500, k_t=7, first_round=3).method.first_round == 3
    again = Config.model_validate_json(small.model_dump_json())
    # vst_a / vst_b, pd_stride and the masked block are auto: the run's plan decides them from
    # the data when training starts
    unset = {
        "training": {"vst_a", "vst_b", "pd_stride"},
        "method": {"masking": {"block"}},
    }
    assert again == small and "null" not in small.model_dump_json(exclude=unset)
    with pytest.raises(ConfigError, match="multiple of"):
        make_config(preset="paper", patch_size=62)


def test_subnormal_flushing_is_restored_after_training():
    tiny = torch.tensor([1e-39]) * 1.0
    assert float(tiny) != 0.0  # IEEE default before
    _, noisy = noisy_set(n=1)
    train(noisy, _cfg(steps=2), progress=False)
    assert float(torch.tensor([1e-39]) * 1.0) != 0.0  # and after


def test_dataloader_workers_do_not_change_the_model():
    # Batch t depends on (seed, t) alone, so worker processes drawing ahead change nothing.
    _, noisy = noisy_set()
    a = train(noisy, _cfg(steps=6, k_t=3), progress=False)
    b = train(noisy, _cfg(steps=6, k_t=3), progress=False, workers=2)
    for (k, va), vb in zip(a.model.state_dict().items(), b.model.state_dict().values(), strict=True):
        assert torch.equal(va, vb), k
    assert a.sigma_loss == b.sigma_loss


def test_the_paper_preset_is_the_papers_network():
    """method.md: 3 levels, 2 downsamplings, 96 / 192 / 384 features, about 5.6 M parameters."""
    from noise2info.models import build_model

    model = build_model(make_config(preset="paper").model)
    widths = sorted({m.out_channels for m in model.modules() if isinstance(m, torch.nn.Conv2d)} - {1})
    assert widths == [96, 192, 384]
    assert len(model.downs) == 2
    assert 5.0e6 < sum(p.numel() for p in model.parameters()) < 6.2e6
