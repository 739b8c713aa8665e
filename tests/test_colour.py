"""Colour and other multi-channel images: one grey network for each channel (the shipped grey
start applies), and the noise reading of JPEG'd correlated noise scaled to sigma_loss."""

import numpy as np
import pytest
import torch

from helpers import noisy_set, tiny_config
from noise2info.config import ModelConfig
from noise2info.models import build_model
from noise2info.pipeline import make_plan


def test_a_network_apart_is_the_grey_network_on_each_channel():
    torch.manual_seed(0)
    config = ModelConfig(channels=3, depth=1, base_features=4, channels_apart=True)
    apart = build_model(config).eval()
    grey = build_model(config.grey).eval()
    grey.load_state_dict(apart.state_dict())  # the same weights: a grey network's
    x = torch.randn(2, 3, 16, 16)
    with torch.no_grad():
        each = torch.cat([grey(x[:, c : c + 1]) for c in range(3)], dim=1)
        assert torch.allclose(apart(x), each, atol=1e-6)
        # and not the same as a network that mixes them
        assert not torch.allclose(apart(x[:, [1, 0, 2]])[:, 0], apart(x)[:, 0])


def _colour(n=2, shape=(48, 40)):
    noisy, _ = noisy_set(n, shape)
    return [np.concatenate([im, im[:, ::-1], 1 - im]) for im in noisy]


def test_colour_auto_goes_apart_where_a_grey_start_ships():
    images = _colour()
    grey_images, _ = noisy_set(2)

    def plan(images, **settings):
        config = tiny_config(preset="cpu", **settings)
        channels = images[0].shape[0]
        config = config.model_copy(update={"model": config.model.model_copy(update={"channels": channels})})
        return make_plan(images, config).plan

    apart = plan(images)
    assert apart.channels_apart and apart.init == "pretrained"  # the grey start, on each channel
    together = plan(images, colour="together")
    assert not together.channels_apart and together.init == "random"  # no colour start ships
    assert not plan(grey_images).channels_apart
    tiny = tiny_config()  # no start ships for the tiny network: auto keeps channels together
    tiny = tiny.model_copy(update={"model": tiny.model.model_copy(update={"channels": 3})})
    assert not make_plan(images, tiny).plan.channels_apart


def test_a_run_apart_trains_saves_and_reloads(tmp_path):
    import noise2info
    from noise2info import load_run, save_run

    images = _colour()
    config = tiny_config(colour="apart", init="random")
    config = config.model_copy(update={"model": config.model.model_copy(update={"channels": 3})})
    result = noise2info.train(images, config, progress=False)
    assert result.plan.channels_apart and result.config.model.channels_apart
    # trained on each channel as a grey image: a grey network's cost per step
    from noise2info.training import Trainer

    seen = Trainer(images, config, device="cpu").images
    assert len(seen) == 3 * len(images) and all(im.shape == (1, *images[0].shape[1:]) for im in seen)
    np.testing.assert_array_equal(seen[4][0], images[1][1])
    assert result.model.stem.in_channels == 1 and result.model.head[-1].out_channels == 1
    save_run(result, tmp_path / "run")
    run = load_run(tmp_path / "run", device="cpu")
    assert run.plan.channels_apart
    np.testing.assert_allclose(noise2info.denoise(run, images[0]), noise2info.denoise(result, images[0]))
    assert noise2info.denoise(run, images[0]).shape == images[0].shape


def _trainer(images, **settings):
    from noise2info.training import Trainer

    config = tiny_config(**settings)
    channels = images[0].shape[0]
    config = config.model_copy(update={"model": config.model.model_copy(update={"channels": channels})})
    return Trainer(images, config, device="cpu")


def _rms(values) -> float:
    return float(np.sqrt(np.nanmean(np.square(values))))


def _jpeg_correlated(n=3, side=96, std=0.04, quality=85):
    """Smooth images with noise correlated between neighbours, saved as JPEGs (a camera's)."""
    from scipy.ndimage import gaussian_filter

    from helpers import smooth_image
    from noise2info.data.camera import jpeg_roundtrip

    rng = np.random.default_rng(0)
    out = []
    for i in range(n):
        clean = smooth_image((side, side), seed=i).reshape(side, side)
        clean = 0.2 + 0.6 * (clean - clean.min()) / np.ptp(clean)
        noise = gaussian_filter(rng.normal(0, 1, (side, side)), 0.8)
        out.append(jpeg_roundtrip((clean + noise * std / noise.std())[None], quality).astype(np.float32))
    return out


def test_jpeg_correlated_noise_readings_are_scaled_to_sigma_loss_and_white_noise_is_not():
    images = _jpeg_correlated()
    trainer = _trainer(images)
    reading = trainer.history.readings["correlation"]
    assert reading["correlated"] and reading["jpeg"] and trainer.plan.noise_lags is None
    from noise2info.posterior import LEAK_FLOOR

    own = _rms(trainer.image_sigmas())
    # the step keeps part of each pixel's residual: the prediction carries some of the noise
    assert trainer.plan.posterior_floor == LEAK_FLOOR > 0
    trainer.objective.sigma_loss = 3 * own  # as if Noise2Info's estimate read the noise 3x higher
    trainer.calibrate_noise()
    assert trainer.plan.noise_scale == pytest.approx(3.0, rel=1e-6)
    assert _rms(trainer.image_sigmas()) == pytest.approx(3 * own, rel=1e-6)
    # estimate-sigma reports each image's noise as denoise reads it, not the raw reading
    from noise2info import api
    from noise2info.noise_level import BOUND_SHARE

    read = api.estimate_sigma(images, trainer, batches=1, k_mc=2)
    as_denoise = [_rms(row) for row in trainer.image_sigmas()]
    np.testing.assert_allclose([e["sigma"] for e in read["per_image"]], as_denoise, rtol=1e-6)
    if read["sigma_bound"] is not None:  # all images: the run's rule for JPEG'd noise
        assert read["sigma"] == pytest.approx(BOUND_SHARE * read["sigma_bound"])
    # No choice on a risk estimate for white noise, which reads this noise 10x off: the
    # posterior step with the scaled readings, and no expected gain
    record = trainer.choose_refinement()
    assert record["choice"] == "posterior" and record["gain_db"] is None and "JPEG" in record["why"]
    assert trainer.plan.posterior
    trainer.objective.sigma_loss = 0.5 * own  # never scaled down: the bound is an upper one
    trainer.calibrate_noise()
    assert trainer.plan.noise_scale == 1.0

    white, _ = noisy_set(3, (64, 64), std=0.1)
    trainer = _trainer(white)
    trainer.objective.sigma_loss = 10.0
    trainer.calibrate_noise()
    assert trainer.plan.noise_scale is None  # independent noise reads right as it is


def test_a_run_apart_exports_to_onnx_and_predicts_the_same(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    import noise2info
    from noise2info import load_run, save_run
    from noise2info.export import exported_network
    from noise2info.export.onnx import export_onnx

    images = _colour()
    config = tiny_config(colour="apart", init="random")
    config = config.model_copy(update={"model": config.model.model_copy(update={"channels": 3})})
    run = load_run(save_run(noise2info.train(images, config, progress=False), tmp_path / "run"), "cpu")
    path = export_onnx(run, tmp_path / "m.onnx")
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x = np.stack(images)[:, :, :16, :24].astype(np.float32)
    with torch.no_grad():
        want = exported_network(run)(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(session.run(None, {"input": x})[0], want, rtol=1e-4, atol=1e-4)


def test_the_cli_trains_and_denoises_colour_photos_channel_by_channel(tmp_path):
    """Colour files on disk reach the channels-apart stage as lazy views (io.SampleView), not
    arrays: their channels are sliced as the arrays' are (a TypeError from the view once), and
    denoise writes each photo back in its own format, permissions and all."""
    import os

    from PIL import Image

    from helpers import cli, tiny_train_args
    from noise2info import io

    rng = np.random.default_rng(0)
    folder = tmp_path / "photos"
    folder.mkdir()
    y, x = np.mgrid[:64, :64]
    for i, suffix in enumerate((".png", ".jpg")):
        clean = np.stack([np.sin(x / (5 + i)), np.cos(y / 7), np.sin((x + y) / 9)], axis=-1) * 80 + 128
        noisy = np.clip(clean + rng.normal(0, 12, clean.shape), 0, 255).astype(np.uint8)
        Image.fromarray(noisy).save(folder / f"photo{i}{suffix}")
    run = tmp_path / "run"
    res = cli("train", folder, "--out", run, "--colour", "apart", *tiny_train_args())
    assert res.exit_code == 0, res.output
    res = cli("denoise", run, folder, "--out", tmp_path / "out", "--quiet")
    assert res.exit_code == 0, res.output
    named_like_a_file = cli("denoise", run, folder / "photo0.png", "--out", tmp_path / "clean.png")
    assert named_like_a_file.exit_code == 2 and "give a folder" in named_like_a_file.output
    assert not (tmp_path / "clean.png").exists()
    umask = os.umask(0)
    os.umask(umask)
    for name in ("photo0.png", "photo1.jpg"):
        out = tmp_path / "out" / name
        assert io.read_image(out).shape == (64, 64, 3) and io.read_image(out).dtype == np.uint8
        assert out.stat().st_mode & 0o777 == 0o666 & ~umask  # as any new file, not a temp file's 0600
