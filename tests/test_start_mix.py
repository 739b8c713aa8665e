"""The camera start's own prediction mixed into the output of JPEG'd colour (and grey) photos and
of noise-reduced colour photos (``plan.start_share``): decided by the correlation stage, applied
after the posterior step by denoise and by the exported network, rated by the check, and
switched off by ``mix_start``."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.ndimage import gaussian_filter

from helpers import cli
from noise2info import make_config
from noise2info.data import channel_stats
from noise2info.data.camera import real_sim_images
from noise2info.errors import ConfigError
from noise2info.export.network import exported_denoiser, exported_network
from noise2info.io import read_image, write_image
from noise2info.models import build_model
from noise2info.models.pretrained import shipped_start, start_digest
from noise2info.pipeline import START_SHARE, explain, make_plan, notes
from noise2info.plan import Plan
from noise2info.prediction import denoise
from noise2info.run import load_run, save_model


def _photos(kind: str) -> list[np.ndarray]:
    return [x.astype(np.float32) for x in real_sim_images(kind, side=96)[2]]


def test_jpegd_colour_photos_mix_in_the_camera_start():
    phone = _photos("phone-jpeg")  # JPEG q90
    planning = make_plan(phone, make_config(channels=3))
    plan = planning.plan
    assert (plan.start, plan.start_share) == ("camera", START_SHARE)
    assert plan.start_digest == start_digest(make_config().model, "camera")  # the file it mixes in
    assert "blended with the camera start (50%)" in notes(plan, planning.readings)
    assert "--no-mix-start" in " ".join(explain(plan, planning.readings))
    # demosaiced noise without JPEG: the camera start, fine-tuned, alone
    camera = make_plan(_photos("camera"), make_config(channels=3)).plan
    assert (camera.start, camera.start_share) == ("camera", 0.0)
    # noise reduced in the camera (its noise shared by the channels), saved at q98, which does
    # not read as JPEG: mixed too
    planning = make_plan(_photos("consumer-jpeg"), make_config(channels=3))
    assert not planning.readings["correlation"]["jpeg"]
    assert (planning.plan.start, planning.plan.start_share) == ("camera", START_SHARE)
    assert "noise-reduced" in " ".join(explain(planning.plan, planning.readings))
    for settings in ({"correlation": "none"}, {"init": "random"}, {"pd_stride": 2}):  # no camera start
        assert make_plan(phone, make_config(channels=3, **settings)).plan.start_share == 0.0, settings
    # a grey photo (one channel of the JPEG'd ones) too; grey demosaiced noise without JPEG
    # (resampled, not a photo as saved) keeps the Gaussian start
    grey = make_plan([x[:1] for x in phone], make_config()).plan
    assert (grey.start, grey.start_share) == ("camera", START_SHARE)
    assert make_plan([x[:1] for x in _photos("camera")], make_config()).plan.start == "gaussian"
    assert make_plan(phone, make_config(channels=3, pd_stride=2)).plan.start == "gaussian"
    assert Plan.model_validate_json('{"version": 1, "start": "camera"}').start_share == 0.0  # old runs


def _mixing(refine: str) -> tuple[torch.nn.Module, Plan]:
    config = make_config(channels=3).model.model_copy(update={"channels_apart": True})
    torch.manual_seed(0)
    net = build_model(config).eval()
    plan = Plan(init="pretrained", start="camera", start_share=0.5, channels_apart=True, refine=refine)
    return net, plan


@pytest.mark.parametrize("refine", ["posterior", "none"])
def test_denoise_mixes_the_start_after_the_posterior_step(refine):
    net, plan = _mixing(refine)
    x = _photos("phone-jpeg")[0][:, :64, :64]
    mixed, gain = denoise(net, x, plan=plan, return_gain=True)
    alone = denoise(net, x, plan=plan, mix_start=False)
    start = denoise(shipped_start(net.config, "camera"), x, plan=Plan(channels_apart=True))
    np.testing.assert_allclose(mixed, 0.5 * alone + 0.5 * start, atol=1e-4 * float(np.std(x)))
    assert np.abs(mixed - alone).max() > 0.01 * np.std(x)  # the mix does something
    assert gain["gain_db"] is not None  # the mix is rated (no JPEG'd noise scale in this plan)
    assert denoise(net, x, plan=plan, mix_start=False, return_gain=True)[1]["gain_db"] is not None
    scaled = plan.model_copy(update={"noise_scale": 2.0})  # JPEG'd noise: no gain is given
    assert denoise(net, x, plan=scaled, return_gain=True)[1]["gain_db"] is None


@pytest.mark.parametrize("refine", ["posterior", "none"])
def test_the_expected_gain_rates_the_mix_with_the_start(refine):
    """A known answer: white Gaussian noise of known std on smooth colour texture. The
    expected gain of the mixed output (the start's response to the probe included) matches
    its true gain; the run's own rating, which the mix's was before, is far from it."""
    net, plan = _mixing(refine)
    rng = np.random.default_rng(0)
    clean = gaussian_filter(rng.normal(size=(3, 96, 96)), (0, 2, 2))
    clean -= clean.mean(axis=(1, 2), keepdims=True)
    clean = 0.5 + 0.25 * clean / clean.std(axis=(1, 2), keepdims=True)
    x = (clean + rng.normal(0, 0.04, clean.shape)).astype(np.float32)
    sigma = 0.04 / float(np.mean(channel_stats(x)[1]))  # normalised units
    mixed, gain = denoise(net, x, plan=plan, return_gain=True, sigma=sigma)
    alone = denoise(net, x, plan=plan, return_gain=True, sigma=sigma, mix_start=False)[1]

    def true_gain(out):
        return 10 * np.log10(np.mean((x - clean) ** 2) / np.mean((out - clean) ** 2))

    assert gain["gain_db"] == pytest.approx(true_gain(mixed), abs=0.2)
    assert abs(alone["gain_db"] - true_gain(mixed)) > 0.5


def test_tiles_and_tta_mix_the_same_way():
    net, plan = _mixing("posterior")
    x = real_sim_images("phone-jpeg", side=160)[2][0].astype(np.float32)
    whole = denoise(net, x, plan=plan, tile=160)
    # tiles keep the network's receptive radius, which is the start's too
    np.testing.assert_allclose(denoise(net, x, plan=plan, tile=128), whole, atol=1e-4 * float(np.std(x)))
    x = x[:, :64, :64]
    tta = denoise(net, x, plan=plan, tta=True)
    alone_tta = denoise(net, x, plan=plan, tta=True, mix_start=False)
    start_tta = denoise(shipped_start(net.config, "camera"), x, plan=Plan(channels_apart=True), tta=True)
    np.testing.assert_allclose(tta, 0.5 * alone_tta + 0.5 * start_tta, atol=1e-4 * float(np.std(x)))


def test_the_start_is_the_one_the_run_recorded_and_leaves_torchs_random_state_alone():
    from noise2info.models import pretrained

    net, plan = _mixing("none")
    x = _photos("phone-jpeg")[0][:, :32, :32]
    pretrained._start.cache_clear()
    state = torch.get_rng_state()
    recorded = plan.model_copy(update={"start_digest": start_digest(net.config, "camera")})
    denoise(net, x, plan=recorded)
    assert torch.equal(torch.get_rng_state(), state)
    other = plan.model_copy(update={"start_digest": "0" * 16})
    with pytest.raises(ConfigError, match="but this installation ships"):
        denoise(net, x, plan=other)
    denoise(net, x, plan=other, mix_start=False)  # the run's own output needs no start
    with pytest.raises(ConfigError, match="graph can hold only"):  # no noise level for the step
        exported_network(net, plan.model_copy(update={"refine": "posterior"}))


def test_the_exported_network_ends_with_the_mix():
    net, plan = _mixing("none")
    x = _photos("phone-jpeg")[0][:, :64, :64]
    exported = exported_network(net, plan)
    with torch.no_grad():
        y = exported(torch.from_numpy(x[None]))[0].numpy()
    np.testing.assert_allclose(y, denoise(net, x, plan=plan), atol=1e-4 * float(np.std(x)))
    # a bioimage.io package rebuilds it from the config's fields and the state dict
    rebuilt = exported_denoiser(**net.config.model_dump(), start_share=0.5)
    rebuilt.load_state_dict(exported.state_dict(), strict=True)
    with torch.no_grad():
        np.testing.assert_allclose(rebuilt(torch.from_numpy(x[None]))[0].numpy(), y, atol=1e-5)
    # the network alone, exported without the step it takes, has no mix either
    stepped = plan.model_copy(update={"refine": "posterior"})
    assert exported_network(net, stepped, posterior=False).start is None


def _saved_run(tmp_path):
    """A run folder with a mixing plan that takes the posterior step, and a folder with one
    JPEG'd photo: ``(run_dir, inputs, photo as (C, Y, X))``."""
    net, plan = _mixing("posterior")
    plan = plan.model_copy(update={"noise_prior": [(2 * np.log(0.05), 0.0)]})
    config = make_config(channels=3).model_copy(update={"model": net.config})
    run_dir = save_model(net, config, tmp_path / "run", plan)
    inputs = tmp_path / "in"
    inputs.mkdir()
    x = _photos("phone-jpeg")[1][:, :64, :64]
    write_image(inputs / "photo.tif", np.moveaxis(x, 0, -1))  # (Y, X, C) on disk
    return run_dir, inputs, x


def _denoised(tmp_path, run_dir, inputs, name: str, *flags: str) -> np.ndarray:
    done = cli("denoise", run_dir, inputs, "--out", tmp_path / name, "--no-check", "--quiet", *flags)
    assert done.exit_code == 0, done.output
    return np.moveaxis(read_image(tmp_path / name / "photo.tif"), -1, 0)


def test_cli_mixes_by_default_and_no_mix_start_gives_the_run_alone(tmp_path):
    run_dir, inputs, x = _saved_run(tmp_path)
    run = load_run(run_dir, "cpu")
    mixed = _denoised(tmp_path, run_dir, inputs, "mixed")
    alone = _denoised(tmp_path, run_dir, inputs, "alone", "--no-mix-start")
    np.testing.assert_allclose(mixed, denoise(run, x), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(alone, denoise(run, x, mix_start=False), rtol=1e-5, atol=1e-5)
    assert np.abs(mixed - alone).max() > 0.01 * np.std(x)


def test_the_onnx_engine_carries_the_step_and_the_mix_in_its_graph(tmp_path):
    pytest.importorskip("onnxruntime", reason="the export extra is not installed")
    run_dir, inputs, x = _saved_run(tmp_path)
    engine = _denoised(tmp_path, run_dir, inputs, "onnx", "--engine", "onnx")
    with torch.no_grad():
        want = exported_network(load_run(run_dir, "cpu"))(torch.from_numpy(x[None]))[0].numpy()
    np.testing.assert_allclose(engine, want, rtol=1e-4, atol=1e-4)
    from noise2info.export.onnx import OnnxDenoiser

    assert OnnxDenoiser(run_dir / "model.onnx").meta["start_share"] == 0.5
    alone = _denoised(tmp_path, run_dir, inputs, "alone", "--no-mix-start")
    assert np.abs(engine - alone).max() > 0.01 * np.std(x)  # the graph mixes
    refused = cli("denoise", run_dir, inputs, "--out", tmp_path / "x", "--engine", "onnx", "--no-mix-start")
    assert refused.exit_code == 2 and "mix with the shipped start" in refused.output
