"""End-to-end CLI tests on tiny synthetic data (click's runner, in process)."""

import json
from pathlib import Path

import numpy as np
import pytest

from helpers import cli, last_json, noisy_set, smooth_image, tiny_train_args
from noise2info import io, load_run
from noise2info.config import TrainingConfig
from noise2info.prediction import denoise

TINY = tiny_train_args()


def _run(args):
    return cli(*args, catch=False)


def _images():
    """The clean and noisy images of ``data``: im0-2.png (8-bit, clipped) and stack.tif."""
    return noisy_set(n=3, shape=(40, 36), std=0.15)


def _gain_db(clean, noisy, denoised):
    return 10 * np.log10(np.mean((noisy - clean) ** 2) / np.mean((denoised - clean) ** 2))


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    _, noisy = _images()
    inp = root / "in"
    for i, x in enumerate(noisy):
        io.write_image(inp / f"im{i}.png", io.cast_to(np.clip(x[0], 0, 1) * 255, np.uint8))
    io.write_image(inp / "stack.tif", np.stack([x[0] for x in noisy]).astype(np.float32))
    return root


@pytest.fixture(scope="module")
def run_dir(data):
    out = data / "run"
    res = _run(["train", data / "in", "--out", out, *TINY, "--json"])
    assert res.exit_code == 0, res.output
    return out, json.loads(res.output.strip().splitlines()[-1])


def test_train_writes_run_and_json_summary(data, run_dir, tmp_path):
    out, summary = run_dir
    assert {"sigma_loss", "sigma", "steps", "seconds"} <= set(summary)
    # the default (refine auto) chose at half the steps, and prediction follows the choice
    choice = summary["refine"]["choice"]
    assert summary["refine"]["step"] == 3 and choice in ("posterior", "sure")
    assert summary["posterior"] is (choice == "posterior")
    for name in ("model.safetensors", "config.json", "plan.json", "history.json", "curves.png"):
        assert (out / name).is_file()
    # the settings as given, what the run decided from its images apart
    assert json.loads((out / "config.json").read_text())["method"]["refine"] == "auto"
    assert json.loads((out / "plan.json").read_text()) == summary["plan"]
    assert summary["plan"]["refine"] == choice
    history = json.loads((out / "history.json").read_text())
    assert history["refine"] == summary["refine"]
    # Algorithm 2 throughout, or its rounds up to the SURE stage
    assert [r["step"] for r in history["sigma_rounds"]] == ([3, 6] if choice == "posterior" else [3])
    # the summary reports the run's own estimate: 1 lowered to each round's sigma* when smaller
    expected = 1.0
    for r in history["sigma_rounds"]:
        if r["sigma_star"] is not None:
            expected = min(expected, r["sigma_star"])
    assert summary["steps"] == 6 and summary["sigma_loss"] == expected == history["sigma_loss"]
    # no line noise read in these images: denoise leaves the offsets alone
    assert summary["line_noise"] == "none" and summary["lines"]["found"] == []
    # denoise --check's expected gain, on 4 of the 6 training samples (3 PNGs, a stack of 3),
    # evenly spaced: samples 0, 2, 3 and 5 as denoise rates them one by one
    res = _run(["denoise", out, data / "in", "--out", tmp_path / "checked", "--quiet", "--json"])
    rated = {Path(p).name: found for p, found in last_json(res)["gains"].items()}
    names = ("im0.png", "im1.png", "im2.png", "stack.tif")
    per_sample = [g["gain_db"] for name in names for g in rated[name]]
    assert len(per_sample) == 6 and None not in per_sample
    chosen = [per_sample[i] for i in (0, 2, 3, 5)]
    assert summary["expected_gain"] == {
        "images": 4,
        "mean_db": pytest.approx(np.mean(chosen), abs=0.006),
        "lowest_db": min(chosen),
        "worse": sum(g < 0 for g in chosen),
    }


def test_train_for_a_wall_clock_time(data, tmp_path):
    out = tmp_path / "timed"
    res = _run(["train", data / "in", "--out", out, *tiny_train_args(steps=None), "--time", "3s", "--json"])
    assert res.exit_code == 0, res.output
    summary = last_json(res)
    saved = json.loads((out / "config.json").read_text())
    assert summary["time_budget"] == 3.0 and summary["steps"] == saved["training"]["steps"] > 6
    assert saved["method"]["k_t"] == 3  # given on the command line: kept
    both = cli("train", data / "in", "--out", tmp_path / "x", *TINY, "--time", "1m")
    assert both.exit_code == 2 and "--steps or --time" in both.output
    bad = cli("train", data / "in", "--out", tmp_path / "y", "--time", "soon")
    assert bad.exit_code == 2 and "not a duration" in bad.output


@pytest.mark.parametrize(
    "text, seconds", [("90s", 90), ("10m", 600), ("1h30m", 5400), ("1.5h", 5400), ("45", 45)]
)
def test_durations(text, seconds):
    from noise2info.cli import Duration

    assert Duration().convert(text, None, None) == seconds


def test_options_not_given_take_the_config_defaults(data, monkeypatch):
    """Only the options given reach make_config, so a default changed in config.py reaches
    the CLI by itself; the help shows config.py's defaults."""
    from noise2info.cli import training as cli_module  # where train builds its config

    seen = {}

    def spy(**overrides):
        seen.update(overrides)
        return cli_module.make_config.__wrapped__(**overrides)

    spy.__wrapped__ = cli_module.make_config
    monkeypatch.setattr(cli_module, "make_config", spy)
    res = _run(["train", data / "in" / "im0.png", "--out", data / "run-default", *TINY])
    assert res.exit_code == 0, res.output
    assert set(seen) == {"preset", "steps", "batch_size", "patch_size", "k_t", "k_u"}
    saved = json.loads((data / "run-default" / "config.json").read_text())
    assert saved["training"]["log_every"] == TrainingConfig.model_fields["log_every"].default
    help_text = " ".join(cli("train", "--help").output.split())
    assert f"steps between history records [default: {saved['training']['log_every']}]" in help_text


def test_a_setting_the_method_does_not_use_is_an_error(data):
    res = cli("train", data / "in", "--out", data / "run-bad", *TINY, "--sigma", "0.5")
    assert res.exit_code == 2 and "sigma is not a setting of method noise2info" in res.output
    assert not (data / "run-bad").exists()


def test_denoise_keeps_names_formats_and_dtypes(data, run_dir):
    out_dir = data / "den"
    res = _run(["denoise", run_dir[0], data / "in", "--out", out_dir, "--quiet", "--device", "cpu"])
    assert res.exit_code == 0, res.output
    inputs = io.find_inputs([data / "in"])
    assert sorted(p.name for p in out_dir.iterdir()) == sorted(p.name for p in inputs)
    model = load_run(run_dir[0], "cpu")  # the network with its plan, as denoise runs it
    clean = np.concatenate(_images()[0])  # (3, 40, 36) in [0, 1]
    for src in inputs:
        a, b = io.read_image(src), io.read_image(out_dir / src.name)
        assert a.shape == b.shape and a.dtype == b.dtype
        # what the Python API makes of each plane, written in the input's dtype (8-bit rounded)
        planes = a[None] if a.ndim == 2 else a
        want = io.cast_to(np.stack([denoise(model, p[None])[0] for p in planes]).reshape(a.shape), a.dtype)
        np.testing.assert_allclose(b.astype(np.float64), want, atol=1 if a.dtype == np.uint8 else 1e-5)
        # in the input's own units, and closer to the clean image than the input is
        scale = 255.0 if a.dtype == np.uint8 else 1.0
        truth = clean[int(src.stem[-1])] if src.suffix == ".png" else clean
        assert _gain_db(truth, a / scale, b / scale) > 0.5  # 0.9 to 1.4 dB here


def test_denoise_with_tiles_and_tta(data, run_dir, tmp_path):
    # an image larger than a tile (the tiny model's overlap margin is 52: tiles from 120 up)
    clean, noisy = noisy_set(n=1, shape=(160, 136), std=0.15, seed=7)
    io.write_image(tmp_path / "big.tif", noisy[0][0])
    res = _run(
        [
            "denoise",
            run_dir[0],
            tmp_path / "big.tif",
            "--out",
            tmp_path / "den",
            "--tile",
            "128",
            "--tta",
            "--quiet",
            "--json",
        ]
    )
    assert res.exit_code == 0, res.output
    assert last_json(res)["outputs"] == [str(tmp_path / "den" / "big.tif")]
    got = io.read_image(tmp_path / "den" / "big.tif")
    # the tiles stitch to the untiled result, with the 8 views averaged
    model = load_run(run_dir[0], "cpu")
    np.testing.assert_allclose(got, denoise(model, noisy[0], tta=True)[0], atol=1e-4)
    assert np.abs(got - denoise(model, noisy[0])[0]).max() > 1e-2  # TTA changed it
    assert _gain_db(clean[0][0], noisy[0][0], got) > 0.5  # 2.3 dB here


def test_estimate_sigma_reports_normalised_and_intensity_units(data, run_dir):
    res = _run(
        [
            "estimate-sigma",
            run_dir[0],
            data / "in" / "im0.png",
            data / "in" / "im1.png",
            "--batches",
            "2",
            "--plot",
            data / "nlf.png",
            "--json",
        ]
    )
    assert res.exit_code == 0, res.output
    out = last_json(res)
    assert [e["image"] for e in out["per_image"]] == ["im0.png", "im1.png"]
    clean = _images()[0]
    truths = []  # the true noise std of each image, in 8-bit units (clipping makes it < 0.15 * 255)
    for i, e in enumerate(out["per_image"]):  # intensity = normalised * the image's own std
        image = io.read_image(data / "in" / e["image"]).astype(np.float64)
        truth = (image - 255 * clean[i][0]).std()
        truths.append(truth)
        assert e["sigma_intensity"] == pytest.approx(e["sigma"] * image.std(), rel=1e-6)
        # within 20 % of the truth (10 % off here), in both units
        assert e["sigma_intensity"] == pytest.approx(truth, rel=0.2)
        assert e["sigma"] == pytest.approx(truth / image.std(), rel=0.2)
        assert e["sigma_bound"] >= 0.9 * truth / image.std()  # an upper bound
    values = [e["sigma_intensity"] for e in out["per_image"]]
    assert out["sigma_intensity_mean"] == pytest.approx(np.mean(values))
    assert out["sigma"] == pytest.approx(np.mean([e["sigma"] for e in out["per_image"]]), rel=0.2)
    # Gaussian noise: the noise level function is about flat at the true std (in 8-bit units)
    truth = float(np.sqrt(np.mean(np.square(truths))))
    for key in ("noise_level_function", "noise_level_function_direct"):
        nlf = out[key]
        intensity = np.array(nlf["intensity"])
        assert len(intensity) == len(nlf["sigma"]) >= 2 and (np.diff(intensity) > 0).all()
        assert 0 < intensity[0] and intensity[-1] < 255
        # each bin and the fitted line within 30 % of the truth (at most 22 % off here)
        np.testing.assert_allclose(nlf["sigma"], truth, rtol=0.3)
        np.testing.assert_allclose(np.sqrt(nlf["a"] * intensity + nlf["b"] ** 2), truth, rtol=0.3)
    assert (data / "nlf.png").is_file()


def test_train_3d_volume(tmp_path):
    rng = np.random.default_rng(0)
    clean = smooth_image((24, 24, 24)).astype(np.float32)
    noisy = (clean + rng.normal(0, 0.2, clean.shape)).astype(np.float32)
    io.write_image(tmp_path / "vol.tif", noisy)
    args = tiny_train_args(
        steps=40, k_t=None, k_u=None, dims=3, depth=1, batch_size=2, patch_size=16, lr=3e-3
    )
    res = _run(["train", tmp_path / "vol.tif", "--out", tmp_path / "run", *args])
    assert res.exit_code == 0, res.output
    assert json.loads((tmp_path / "run" / "config.json").read_text())["model"]["dims"] == 3
    # a 3-D network (5-D convolution weights) that denoises the volume as a volume
    model = load_run(tmp_path / "run", "cpu").model
    assert model.stem.weight.ndim == 5
    # (the network alone: the posterior step by itself gains about 3.5 dB even untrained)
    den = tmp_path / "den"
    res = _run(["denoise", tmp_path / "run", tmp_path / "vol.tif", "--out", den, "--no-posterior", "--quiet"])
    assert res.exit_code == 0, res.output
    out = io.read_image(den / "vol.tif")
    assert out.shape == noisy.shape and out.dtype == np.float32
    assert _gain_db(clean, noisy, out) > 3.0  # 5.3 dB here (5.3 to 11.3 over seeds)


@pytest.mark.parametrize(
    "args,message",
    [
        (["train", "missing.png", "--out", "r"], "missing.png: no such file"),
        (["denoise", "no-run", "x.png", "--out", "o"], "not a noise2info run directory"),
        (["train", ".", "--out", "r", "--patch-size", "30", "--preset", "tiny"], "multiple of"),
    ],
)
def test_errors_are_one_line_with_exit_code_2(tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.png").write_bytes(b"")
    res = cli(*args)
    assert res.exit_code == 2
    assert message in res.output
    assert "Traceback" not in res.output


def test_denoise_refuses_to_overwrite_inputs(data, run_dir):
    res = cli(*["denoise", str(run_dir[0]), str(data / "in" / "im0.png"), "--out", str(data / "in")])
    assert res.exit_code == 2 and "overwrite" in res.output


@pytest.mark.slow
def test_demo_runs_end_to_end(tmp_path):
    res = _run(["demo", "--out", tmp_path / "demo", "--steps", "4", "--json", "--quiet", "--device", "cpu"])
    assert res.exit_code == 0, res.output
    s = json.loads(res.output.strip().splitlines()[-1])
    assert {"sigma_true", "sigma_loss", "psnr_noisy", "psnr_denoised", "seconds"} <= set(s)
    assert 0.05 < s["sigma_true"] < 1.0
    assert (tmp_path / "demo" / "before_after.png").is_file()
    assert (tmp_path / "demo" / "curves.png").is_file()


def test_too_small_tile_says_what_to_use(data, run_dir):
    res = cli(
        *[
            "denoise",
            str(run_dir[0]),
            str(data / "in" / "im0.png"),
            "--out",
            str(data / "den3"),
            "--tile",
            "16",
            "--quiet",
        ],
    )
    assert res.exit_code == 2 and "use a tile of at least" in res.output
    assert not (data / "den3" / "im0.png").exists()


def test_denoise_skips_complete_outputs_and_resumes(data, run_dir, tmp_path):
    out = tmp_path / "den"
    first = _run(["denoise", run_dir[0], data / "in" / "im0.png", "--out", out, "--quiet", "--json"])
    assert json.loads(first.output.strip().splitlines()[-1])["skipped"] == 0
    stamp = (out / "im0.png").stat().st_mtime_ns
    again = _run(["denoise", run_dir[0], data / "in", "--out", out, "--quiet", "--json"])
    summary = json.loads(again.output.strip().splitlines()[-1])
    assert summary["skipped"] == 1 and len(summary["outputs"]) == 3  # the other three inputs
    assert (out / "im0.png").stat().st_mtime_ns == stamp
    redo = _run(["denoise", run_dir[0], data / "in" / "im0.png", "--out", out, "--overwrite", "--quiet"])
    assert redo.exit_code == 0 and (out / "im0.png").stat().st_mtime_ns != stamp


def test_train_stabilises_photon_counts_and_denoise_writes_counts(tmp_path):
    rng = np.random.default_rng(1)
    inp = tmp_path / "counts"
    for i in range(3):  # 16-bit photon counts: X = Poisson(Y) + N(0, 2^2), Y up to 200
        y = 5 + 195 * smooth_image((64, 64), i)
        io.write_image(
            inp / f"c{i}.tif", np.clip(rng.poisson(y) + rng.normal(0, 2, y.shape), 0, None).astype(np.uint16)
        )
    res = _run(["train", inp, "--out", tmp_path / "run", *TINY, "--json"])
    assert res.exit_code == 0, res.output
    vst = last_json(res)["vst"]
    assert vst is not None and vst["a"] == pytest.approx(1.0, rel=0.2)
    res = _run(["denoise", tmp_path / "run", inp / "c0.tif", "--out", tmp_path / "out"])
    assert res.exit_code == 0, res.output
    out = io.read_image(tmp_path / "out" / "c0.tif")
    assert out.dtype == np.uint16 and out.shape == (64, 64)
    res = _run(
        ["estimate-sigma", tmp_path / "run", inp / "c1.tif", "--batches", "1", "--plot", tmp_path / "n.png"]
    )
    assert res.exit_code == 0 and "(stabilised units)" in res.output and (tmp_path / "n.png").is_file()
    res = _run(["train", inp, "--out", tmp_path / "run2", *TINY, "--vst", "none", "--json"])
    assert res.exit_code == 0 and last_json(res)["vst"] is None
