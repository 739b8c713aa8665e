"""Export: the shipped network (normalisation inside), ONNX with ONNX Runtime, bioimage.io
packages validated with bioimageio.core's own model test, and ``denoise --engine onnx``."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from helpers import cli, noisy_set, small_model
from noise2info import ConfigError, denoise, load_run, make_config
from noise2info.export import ExportedDenoiser, exported_network
from noise2info.io import read_image, write_image
from noise2info.plan import Plan
from noise2info.run import save_model

ort = pytest.importorskip("onnxruntime", reason="the export extra is not installed")


def _run(tmp_path, name="run", plan=None, **settings):
    """A run folder holding a small untrained-but-settled model (no training needed) and
    ``plan``, what its run decided."""
    model_keys = {k: settings.pop(k) for k in ("dims", "channels", "depth", "base_features") if k in settings}
    net = small_model(**{"depth": 1, "base_features": 4, **model_keys})
    config = make_config(
        preset="tiny", **{**model_keys, "depth": net.config.depth, "base_features": 4}, **settings
    )
    return save_model(net, config, tmp_path / name, plan)


def _noisy(shape, seed=0):
    rng = np.random.default_rng(seed)
    return (50 + 20 * rng.random(shape)).astype(np.float32)


@pytest.mark.parametrize(
    "dims, channels, vst",
    [(2, 1, None), (2, 3, None), (3, 1, None), (2, 1, (2.0, 3.0))],
)
def test_exported_network_is_denoise_without_the_posterior_step(tmp_path, dims, channels, vst):
    run = load_run(_run(tmp_path, dims=dims, channels=channels, plan=Plan(vst=vst)), "cpu")
    net = exported_network(run)
    shape = (channels, 9, 13, 10)[: 1 + dims] if dims == 3 else (channels, 13, 10)
    x = _noisy(shape)
    want = denoise(run, x, posterior=False, lines=False)
    with torch.no_grad():
        got = net(torch.from_numpy(x[None]))[0].numpy()
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-3)
    assert np.abs(got - x).mean() > 1e-3  # it did something


NOISE_PRIOR = [(2 * math.log(3.0), 0.0)]  # the training images' noise: std 3 (intensity)
STEP = Plan(refine="posterior", noise_prior=NOISE_PRIOR)  # a run that chose the posterior step


@pytest.mark.parametrize("dims", [2, 3])
def test_exported_posterior_step_is_denoise_with_the_noise_std_fixed(tmp_path, dims):
    run = load_run(_run(tmp_path, dims=dims, plan=STEP), "cpu")
    net = exported_network(run)
    assert net.noise_std == pytest.approx([3.0])
    x = _noisy((1, 9, 13, 10)[: 1 + dims] if dims == 3 else (1, 13, 10))
    want = denoise(run, x, sigma=3.0 / x.std(), posterior=True, lines=False)
    with torch.no_grad():
        got = net(torch.from_numpy(x[None]))[0].numpy()
        alone = exported_network(run, posterior=False)(torch.from_numpy(x[None]))[0].numpy()
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-3)
    assert np.abs(got - alone).max() > 1e-2  # the step did something


def test_exported_posterior_step_keeps_the_plans_floor(tmp_path):
    floored = Plan(refine="posterior", noise_prior=NOISE_PRIOR, posterior_floor=0.9)
    run = load_run(_run(tmp_path, dims=2, plan=floored), "cpu")
    x = _noisy((1, 13, 10))
    want = denoise(run, x, sigma=3.0 / x.std(), posterior=True, lines=False)
    free = denoise(run, x, plan=STEP, sigma=3.0 / x.std(), posterior=True, lines=False)
    assert np.abs(want - free).max() > 1e-3  # the floor did something
    net = exported_network(run)
    with torch.no_grad():
        got = net(torch.from_numpy(x[None]))[0].numpy()
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize(
    "dims, channels, refine",
    [(2, 1, "none"), (2, 3, "none"), (3, 1, "none"), (2, 1, "posterior"), (3, 1, "posterior")],
)
def test_onnx_matches_pytorch_at_dynamic_shapes(tmp_path, dims, channels, refine):
    from noise2info.export.onnx import OnnxDenoiser, export_onnx

    prior = {"noise_prior": NOISE_PRIOR * channels} if refine == "posterior" else {}
    run = load_run(_run(tmp_path, dims=dims, channels=channels, plan=Plan(refine=refine, **prior)), "cpu")
    path = export_onnx(run, tmp_path / "m.onnx")
    net = exported_network(run)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    sizes = [(16, 16), (17, 23), (5, 31)] if dims == 2 else [(8, 8, 8), (5, 9, 11)]
    for batch in (1, 2):
        for size in sizes:
            x = _noisy((batch, channels, *size), seed=batch)
            got = session.run(None, {"input": x})[0]
            with torch.no_grad():
                want = net(torch.from_numpy(x)).numpy()
            assert got.shape == x.shape
            np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
    engine = OnnxDenoiser(path)
    assert (engine.dims, engine.channels) == (dims, channels)
    assert (engine.meta["posterior_noise_std"] is not None) == (refine == "posterior")
    assert engine.plan == run.plan  # the run's plan travels in the file


def test_export_refuses_pixel_shuffled_runs(tmp_path):
    with pytest.raises(ConfigError, match="pd_stride"):
        exported_network(load_run(_run(tmp_path, plan=Plan(pd_stride=2)), "cpu"))


def test_exported_network_keeps_a_constant_channel(tmp_path):
    run = load_run(_run(tmp_path), "cpu")
    model = run.model
    net = exported_network(run)
    assert isinstance(net, ExportedDenoiser)
    # A constant channel has std 0: it is normalised to zeros (divided by 1, not 0) and the
    # network's answer to zeros comes back on top of the constant, as denoise writes it.
    with torch.no_grad():
        zeros = model(torch.zeros(1, 1, 12, 12))
        for value in (7.0, -300.0):
            x = torch.full((1, 1, 12, 12), value)
            y = net(x)
            torch.testing.assert_close(y, value + zeros, rtol=0, atol=1e-4)
            want = denoise(run, x[0].numpy(), posterior=False, lines=False)
            np.testing.assert_allclose(y[0].numpy(), want, rtol=0, atol=1e-4)
    assert zeros.abs().mean() > 0.1  # far from 0: the checks above tell value + f(0) from value


@pytest.mark.slow
@pytest.mark.parametrize("dims, refine", [(2, "none"), (3, "none"), (2, "posterior"), (2, "floor")])
def test_bioimageio_package_passes_the_library_model_test(tmp_path, dims, refine):
    pytest.importorskip("bioimageio.core", reason="the export extra is not installed")
    from bioimageio.core import test_model

    plans = {"posterior": STEP, "floor": STEP.model_copy(update={"posterior_floor": 0.9})}
    run = _run(tmp_path, dims=dims, plan=plans[refine] if refine in plans else Plan(refine=refine))
    out = tmp_path / "pkg.zip"
    result = cli("export", run, "--bioimageio", out, "--author", "Tester")
    assert result.exit_code == 0 and out.is_file(), result.output
    summary = test_model(str(out))
    assert summary.status == "passed", summary.format()

    # The package's test output is what noise2info denoise writes (without the posterior step).
    import zipfile

    with zipfile.ZipFile(out) as z:
        z.extract("test_input.npy", tmp_path)
        z.extract("test_output.npy", tmp_path)
        names = set(z.namelist())
    assert {"rdf.yaml", "weights.pt", "weights.onnx", "cover.png", "README.md"} <= names
    x = np.load(tmp_path / "test_input.npy")[0]
    step = dict(posterior=True, sigma=3.0 / x.std()) if refine in plans else dict(posterior=False)
    want = denoise(load_run(run, "cpu"), x, lines=False, **step)
    np.testing.assert_allclose(np.load(tmp_path / "test_output.npy")[0], want, rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("refine", ["none", "posterior"])
def test_cli_denoise_with_the_onnx_engine_equals_the_torch_engine(tmp_path, refine):
    run = _run(tmp_path, plan=Plan(refine=refine))  # the posterior step as trained, in both engines
    _, noisy = noisy_set(2, (40, 36))
    inputs = tmp_path / "in"
    inputs.mkdir()
    for i, im in enumerate(noisy):
        write_image(inputs / f"im{i}.tif", im[0])
    ok = cli("denoise", run, inputs, "--out", tmp_path / "onnx", "--engine", "onnx", "--quiet")
    assert ok.exit_code == 0, ok.output
    assert (run / "model.onnx").is_file()  # exported on first use, kept for the next
    again = cli(
        "denoise", run / "model.onnx", inputs, "--out", tmp_path / "file", "--engine", "onnx", "--quiet"
    )
    assert again.exit_code == 0, again.output  # the .onnx file alone, config inside
    ref = cli("denoise", run, inputs, "--out", tmp_path / "torch", "--no-check", "--quiet")
    assert ref.exit_code == 0, ref.output
    plain = cli(
        "denoise", run, inputs, "--out", tmp_path / "plain", "--no-posterior", "--no-check", "--quiet"
    )
    assert plain.exit_code == 0, plain.output
    for i in range(2):
        a, b = read_image(tmp_path / "onnx" / f"im{i}.tif"), read_image(tmp_path / "torch" / f"im{i}.tif")
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)
        np.testing.assert_array_equal(read_image(tmp_path / "file" / f"im{i}.tif"), a)
        moved = np.abs(b - read_image(tmp_path / "plain" / f"im{i}.tif")).max()
        assert (moved > 1e-3) == (refine == "posterior")  # the step did something where trained
    bad = cli("denoise", run, inputs, "--out", tmp_path / "x", "--engine", "onnx", "--safe")
    assert bad.exit_code == 2 and "no line removal or check" in bad.output


def test_cli_export_needs_a_target(tmp_path):
    result = cli("export", str(_run(tmp_path)))
    assert result.exit_code == 2 and "nothing to export" in result.output
