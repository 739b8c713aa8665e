"""The shipped starting point: its synthetic data, how a config resolves ``init``, and that a
run starts from it."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from helpers import noisy_set, tiny_config
from noise2info import make_config
from noise2info.data.synthetic import dead_leaves, dead_leaves_set
from noise2info.errors import ConfigError
from noise2info.models.pretrained import find_pretrained, shipped_networks
from noise2info.pipeline import run_stage
from noise2info.training import Trainer


def test_dead_leaves_are_seeded_images_in_the_unit_range():
    a = dead_leaves(64, np.random.default_rng(3))
    b = dead_leaves(64, np.random.default_rng(3))
    c = dead_leaves(64, np.random.default_rng(4))
    assert a.shape == (64, 64) and a.dtype == np.float32
    assert 0 <= a.min() and a.max() <= 1 and a.std() > 0.05  # leaves of many grey levels
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    images = dead_leaves_set(3, 32, seed=0)
    assert [im.shape for im in images] == [(1, 32, 32)] * 3
    np.testing.assert_array_equal(images[1], dead_leaves_set(3, 32, seed=0)[1])


def test_dead_leaves_refuse_a_bad_size():
    with pytest.raises(ValueError, match="at least 4"):
        dead_leaves(2, np.random.default_rng(0))


def test_the_package_ships_weights_for_the_default_network():
    from noise2info.models import build_model
    from noise2info.models.pretrained import load_pretrained
    from noise2info.prediction import denoise

    default = make_config(init="random").model  # grey 2-D, the cpu preset
    assert find_pretrained(default) is not None
    assert default in shipped_networks()
    torch.manual_seed(0)
    fresh = build_model(default).eval()
    shipped = build_model(default)
    assert load_pretrained(shipped, default) == find_pretrained(default)
    shipped.eval()
    state, init = shipped.state_dict(), fresh.state_dict()
    assert set(state) == set(init)
    weights = [k for k, v in init.items() if v.is_floating_point() and "running" not in k]
    assert all(not torch.equal(state[k], init[k]) for k in weights)  # every weight trained
    # and they denoise: a dead-leaves image under noise of half its std gains several dB (7 dB
    # here, 5 to 7.4 over seeds), where random weights make it worse (-6 dB)
    rng = np.random.default_rng(0)
    clean = dead_leaves(64, rng)[None].astype(np.float64)
    noisy = clean + rng.normal(0, 0.5 * clean.std(), clean.shape)

    def gain_db(net):
        out = denoise(net, noisy, posterior=False, lines=False)
        return 10 * np.log10(np.mean((noisy - clean) ** 2) / np.mean((out - clean) ** 2))

    assert gain_db(shipped) > 3.0 and gain_db(fresh) < 0.5


def _start(config) -> str:
    """What the start stage decides for ``config``."""
    return run_stage("start", [], config).plan.init


def test_init_auto_resolves_to_what_the_package_ships():
    assert make_config().training.init == "auto"
    assert _start(make_config()) == "pretrained"  # the default network
    assert _start(make_config(preset="tiny")) == "random"  # no weights for tiny
    # colour: the grey start on each channel apart; no colour start ships for them together
    assert _start(make_config(channels=3)) == "pretrained"
    assert run_stage("start", [], make_config(channels=3)).plan.channels_apart
    assert _start(make_config(channels=3, colour="together")) == "random"
    assert _start(make_config(init="random")) == "random"


def test_the_trainer_records_how_the_run_started():
    _, noisy = noisy_set(2, shape=(32, 32))
    rgb = [np.repeat(x, 3, axis=0) for x in noisy]  # channels set from the data, after make_config
    cfg = make_config(steps=2, batch_size=2, patch_size=32, channels=3, colour="together")
    assert Trainer(rgb, cfg, device="cpu").plan.init == "random"
    grey = make_config(steps=2, batch_size=2, patch_size=32)
    trainer = Trainer(noisy, grey, device="cpu")
    assert trainer.plan.init == "pretrained" and trainer.config.training.init == "auto"  # the setting kept


def test_a_run_starts_from_the_shipped_weights():
    _, noisy = noisy_set(2, shape=(32, 32))
    cfg = make_config(steps=2, batch_size=2, patch_size=32, init="pretrained")
    trainer = Trainer(noisy, cfg, device="cpu")
    shipped = load_file(find_pretrained(cfg.model))
    state = trainer.model.state_dict()
    assert set(state) == set(shipped)
    for name, value in shipped.items():
        torch.testing.assert_close(state[name].contiguous(), value, rtol=0, atol=0)
    scratch = Trainer(noisy, make_config(steps=2, batch_size=2, patch_size=32, init="random"), device="cpu")
    assert not torch.equal(scratch.model.state_dict()["stem.weight"], shipped["stem.weight"])


def test_init_pretrained_without_shipped_weights_says_so():
    _, noisy = noisy_set(2, shape=(32, 32))
    message = "no weights trained on gaussian noise for this network.*init random"
    with pytest.raises(ConfigError, match=message):
        Trainer(noisy, tiny_config(init="pretrained"), device="cpu")


def test_an_installation_without_shipped_weights_starts_from_random(monkeypatch, tmp_path):
    from noise2info.models import pretrained

    monkeypatch.setattr(pretrained, "files", lambda _package: tmp_path)  # no weights/ folder
    pretrained._shipped.cache_clear()
    try:
        assert find_pretrained(make_config().model) is None
        assert _start(make_config()) == "random"
    finally:
        monkeypatch.undo()
        pretrained._shipped.cache_clear()
    assert find_pretrained(make_config().model) is not None  # the real folder again


def _camera_photos(count: int = 3, side: int = 96, seed: int = 0) -> tuple[list, list]:
    """Colour leaves smooth at the pixel scale through a consumer camera's pipeline (noise
    reduction, JPEG): references and noisy photos, ``(3, side, side)``."""
    from dataclasses import replace

    from noise2info.data.camera import PHOTO_ZOOM, TEST_BED, enlarge

    rng = np.random.default_rng(seed)
    camera = replace(TEST_BED["consumer-jpeg"][0], jpeg=95)  # the consumer kind, a lower quality
    refs, noisy = [], []
    for _ in range(count):
        small = dead_leaves(side // PHOTO_ZOOM + 2, rng, colour=True)
        ref, x = camera.apply(enlarge(small)[:, :side, :side], rng)
        refs.append(ref)
        noisy.append(x.astype(np.float32))
    return refs, noisy


def test_correlated_noise_on_colour_channels_starts_from_the_camera_start(monkeypatch):
    from noise2info.data.camera import real_sim_images
    from noise2info.models import pretrained
    from noise2info.pipeline import explain, make_plan, notes

    camera = [x.astype(np.float32) for x in real_sim_images("camera", side=96)[2]]
    planning = make_plan(camera, make_config(channels=3))
    plan = planning.plan
    assert (plan.init, plan.channels_apart, plan.start) == ("pretrained", True, "camera")
    assert "camera start" in notes(plan, planning.readings)
    assert "start trained on camera-pipeline noise" in " ".join(explain(plan, planning.readings))
    _, white = noisy_set(2, shape=(64, 64))
    assert make_plan(white, make_config()).plan.start == "gaussian"
    # grey images with correlated noise are not camera channels: not measured, Gaussian start
    assert make_plan([x[:1] for x in camera], make_config()).plan.start == "gaussian"
    assert make_plan(camera, make_config(channels=3, init="random")).plan.start == "gaussian"
    assert make_plan(camera, make_config(channels=3, correlation="none")).plan.start == "gaussian"
    # and the trainer loads it: other weights than the Gaussian start's
    cfg = make_config(steps=2, batch_size=2, patch_size=32, channels=3)
    trainer = Trainer(camera, cfg, device="cpu")
    assert trainer.plan.start == "camera"
    shipped = load_file(find_pretrained(trainer.config.model, "camera"))
    gaussian = load_file(find_pretrained(trainer.config.model))
    assert not torch.equal(shipped["stem.weight"], gaussian["stem.weight"])
    for name, value in shipped.items():
        torch.testing.assert_close(trainer.model.state_dict()[name].contiguous(), value, rtol=0, atol=0)
    # an installation with the Gaussian start only starts such images from it
    only_gaussian = {key: path for key, path in pretrained._shipped().items() if key[1] == "gaussian"}
    monkeypatch.setattr(pretrained, "_shipped", lambda: only_gaussian)
    assert make_plan(camera, make_config(channels=3)).plan.start == "gaussian"
    with pytest.raises(ValueError, match="noise must be one of"):
        find_pretrained(cfg.model, "poisson")


def test_the_camera_start_denoises_camera_noise_where_the_gaussian_start_loses():
    from noise2info.models import build_model
    from noise2info.models.pretrained import load_pretrained
    from noise2info.prediction import denoise

    grey = make_config().model
    refs, noisy = _camera_photos()

    def gain_db(noise: str) -> float:
        net = build_model(grey)
        load_pretrained(net, grey, noise)
        net.eval()
        gains = []
        for ref, x in zip(refs, noisy, strict=True):
            out = np.concatenate([denoise(net, x[c : c + 1], posterior=False, lines=False) for c in range(3)])
            gains.append(10 * np.log10(np.mean((x - ref) ** 2) / np.mean((out - ref) ** 2)))
        return float(np.mean(gains))

    # on 96-pixel photos through a q95 JPEG, four seeds: camera +0.59, +1.27, +0.74, +0.44 dB,
    # the Gaussian start -2.39, -0.35, -2.21, -2.35 (it reads the JPEG's blotches as detail)
    camera, gaussian = gain_db("camera"), gain_db("gaussian")
    assert camera > 0.25 and camera > gaussian + 1.0, (camera, gaussian)
