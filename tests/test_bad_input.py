"""Each kind of bad input gives one line naming the file and the problem, exit code 2, and
writes nothing; internal errors exit 1 without a traceback."""

import json
import sys

import numpy as np
import pytest

from helpers import cli, last_json, tiny_train_args
from noise2info import ConfigError, io

TINY = tiny_train_args(steps=3, k_t=2)


def _good(folder, n=2, shape=(24, 20)):
    rng = np.random.default_rng(0)
    for i in range(n):
        io.write_image(folder / f"good{i}.png", rng.integers(0, 255, shape, dtype=np.uint8))


@pytest.fixture(scope="module")
def grey_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("badinput")
    _good(root / "in")
    res = cli("train", root / "in", "--out", root / "run", *TINY)
    assert res.exit_code == 0, res.output
    return root / "run"


def _bad_file(folder, kind):
    if kind == "truncated":
        io.write_image(folder / "bad.png", np.zeros((30, 30), np.uint8))
        data = (folder / "bad.png").read_bytes()
        (folder / "bad.png").write_bytes(data[: len(data) // 2])
        return "bad.png", "cannot read image"
    if kind == "complex":
        np.save(folder / "bad.npy", np.zeros((20, 20), complex))
        return "bad.npy", "unsupported pixel type complex128"
    if kind == "nan":
        arr = np.ones((20, 20), np.float32)
        arr[3, 4] = np.nan
        io.write_image(folder / "bad.tif", arr)
        return "bad.tif", "NaN or Inf"
    if kind == "inf":
        np.save(folder / "bad.npy", np.full((20, 20), np.inf))
        return "bad.npy", "NaN or Inf"
    if kind == "extension":
        (folder / "bad.xyz").write_bytes(b"??")
        return "bad.xyz", "unsupported format .xyz"
    if kind == "broken-bmp":
        (folder / "bad.bmp").write_bytes(b"BM")
        return "bad.bmp", "cannot read image"
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["truncated", "complex", "nan", "inf", "extension", "broken-bmp"])
def test_bad_training_file(tmp_path, kind):
    _good(tmp_path / "in")
    name, message = _bad_file(tmp_path / "in", kind)
    res = cli("train", tmp_path / "in", tmp_path / "in" / name, "--out", tmp_path / "run", *TINY)
    assert res.exit_code == 2
    assert name in res.output and message in res.output and "Traceback" not in res.output
    assert len(res.output.strip().splitlines()) == 1
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("kind", ["truncated", "nan"])
def test_bad_file_to_denoise(tmp_path, grey_run, kind):
    (tmp_path / "in").mkdir()
    name, message = _bad_file(tmp_path / "in", kind)
    res = cli("denoise", grey_run, tmp_path / "in" / name, "--out", tmp_path / "out", "--quiet")
    assert res.exit_code == 2 and name in res.output and message in res.output
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_empty_input_set(tmp_path):
    (tmp_path / "empty").mkdir()
    res = cli("train", tmp_path / "empty", "--out", tmp_path / "run", *TINY)
    assert res.exit_code == 2 and "no images found" in res.output
    assert not (tmp_path / "run").exists()


def test_mixed_channel_counts(tmp_path):
    _good(tmp_path / "in", n=1)
    io.write_image(tmp_path / "in" / "rgb.png", np.zeros((24, 20, 3), np.uint8))
    res = cli("train", tmp_path / "in", "--out", tmp_path / "run", *TINY)
    assert res.exit_code == 2 and "mixed channel counts (good0.png: 1, rgb.png: 3)" in res.output
    assert not (tmp_path / "run").exists()


def test_mixed_2d_and_3d_for_a_3d_model(tmp_path):
    io.write_image(tmp_path / "in" / "vol.tif", np.zeros((8, 16, 16), np.float32))
    io.write_image(tmp_path / "in" / "flat.png", np.zeros((16, 16), np.uint8))
    res = cli("train", tmp_path / "in", "--out", tmp_path / "run", "--dims", "3", *TINY)
    assert res.exit_code == 2 and "flat.png" in res.output and "fewer than 3 spatial axes" in res.output


def test_constant_and_tiny_images_train_and_denoise(tmp_path):
    io.write_image(tmp_path / "in" / "flat.tif", np.full((10, 12), 7.0, np.float32))  # std 0, < patch
    io.write_image(tmp_path / "in" / "small.png", np.arange(90, dtype=np.uint8).reshape(9, 10))
    res = cli("train", tmp_path / "in", "--out", tmp_path / "run", *TINY, "--json")
    assert res.exit_code == 0, res.output
    assert "noise2info: warning: flat.tif is constant" in res.output
    assert np.isfinite(last_json(res)["loss"])
    res = cli("denoise", tmp_path / "run", tmp_path / "in", "--out", tmp_path / "out", "--quiet")
    assert res.exit_code == 0, res.output
    assert np.isfinite(io.read_image(tmp_path / "out" / "flat.tif")).all()


def test_all_constant_images_are_refused(tmp_path):
    io.write_image(tmp_path / "in" / "a.tif", np.full((20, 20), 7.0, np.float32))
    io.write_image(tmp_path / "in" / "b.png", np.zeros((20, 20), np.uint8))
    res = cli("train", tmp_path / "in", "--out", tmp_path / "run", *TINY)
    assert res.exit_code == 2 and "every training image is constant (a.tif, b.png)" in res.output
    assert not (tmp_path / "run").exists()


def test_bmp_and_pgm_images_are_read_and_written_in_their_format(tmp_path, grey_run):
    rng = np.random.default_rng(1)
    io.write_image(tmp_path / "in" / "a.bmp", rng.integers(0, 255, (24, 20), dtype=np.uint8))
    io.write_image(tmp_path / "in" / "b.pgm", rng.integers(0, 255, (24, 20), dtype=np.uint8))
    res = cli("denoise", grey_run, tmp_path / "in", "--out", tmp_path / "out", "--quiet")
    assert res.exit_code == 0, res.output
    for name in ("a.bmp", "b.pgm"):
        out = io.read_image(tmp_path / "out" / name)
        assert out.shape == (24, 20) and out.dtype == np.uint8
        assert (tmp_path / "out" / name).read_bytes()[:2] == (tmp_path / "in" / name).read_bytes()[:2]


def test_denoise_with_wrong_channels_or_dims(tmp_path, grey_run):
    io.write_image(tmp_path / "in" / "rgb.png", np.zeros((24, 20, 3), np.uint8))
    res = cli("denoise", grey_run, tmp_path / "in" / "rgb.png", "--out", tmp_path / "out", "--quiet")
    assert res.exit_code == 2 and "rgb.png: 3 channel(s), but the model was trained on 1" in res.output
    assert not (tmp_path / "out" / "rgb.png").exists()
    cfg = json.loads((grey_run / "config.json").read_text())
    assert cfg["model"]["dims"] == 2
    io.write_image(tmp_path / "in" / "line.npy", np.zeros(20, np.float32))
    res = cli("denoise", grey_run, tmp_path / "in" / "line.npy", "--out", tmp_path / "out", "--quiet")
    assert res.exit_code == 2 and "line.npy" in res.output and "spatial axes" in res.output


def test_model_from_a_newer_version_is_refused(tmp_path, grey_run):
    run = tmp_path / "newer"
    run.mkdir()
    cfg = json.loads((grey_run / "config.json").read_text())
    cfg["version"] = 99
    (run / "config.json").write_text(json.dumps(cfg))
    (run / "model.safetensors").write_bytes((grey_run / "model.safetensors").read_bytes())
    _good(tmp_path / "in", n=1)
    res = cli("denoise", run, tmp_path / "in", "--out", tmp_path / "out", "--quiet")
    assert res.exit_code == 2 and "newer than this noise2info" in res.output


def test_denoise_never_writes_over_an_input(tmp_path, grey_run):
    _good(tmp_path / "in", n=1)
    before = (tmp_path / "in" / "good0.png").read_bytes()
    res = cli("denoise", grey_run, tmp_path / "in" / "good0.png", "--out", tmp_path / "in", "--quiet")
    assert res.exit_code == 2 and "overwrite" in res.output
    assert (tmp_path / "in" / "good0.png").read_bytes() == before


@pytest.mark.parametrize("error", [RuntimeError, ValueError, FileNotFoundError])
def test_internal_errors_exit_1_in_one_line(tmp_path, grey_run, monkeypatch, error):
    """Only a Noise2InfoError is the user's input problem; a ValueError from deep inside
    numpy or torch is an internal error."""
    from noise2info import api

    def broken(*a, **k):
        raise error("something deep broke")

    monkeypatch.setattr(api, "denoise_files", broken)
    res = cli("denoise", grey_run, tmp_path, "--out", tmp_path / "out")
    assert res.exit_code == 1
    assert f"internal error ({error.__name__}: something deep broke)" in res.output
    assert "Traceback" not in res.output


@pytest.mark.parametrize(
    "blocked, command",
    [
        ("onnx", ["export", "{run}", "--onnx", "{tmp}/m.onnx"]),
        ("onnxscript", ["export", "{run}", "--onnx", "{tmp}/m.onnx"]),
        ("bioimageio.spec", ["export", "{run}", "--bioimageio", "{tmp}/m.zip"]),
        ("onnxruntime", ["denoise", "{run}", "{tmp}/in", "--out", "{tmp}/out", "--engine", "onnx"]),
    ],
)
def test_a_missing_extra_is_named_in_one_line(monkeypatch, grey_run, tmp_path, blocked, command):
    _good(tmp_path / "in", n=1)
    if blocked == "onnxruntime":  # the engine exports model.onnx first, which needs onnx itself
        (grey_run / "model.onnx").unlink(missing_ok=True)
        assert cli("export", grey_run, "--onnx", grey_run / "model.onnx").exit_code == 0
    monkeypatch.setitem(sys.modules, blocked, None)  # as if not installed
    res = cli(*[part.format(run=grey_run, tmp=tmp_path) for part in command])
    assert res.exit_code == 2, res.output
    assert f"needs {blocked}: pip install 'noise2info[export]'" in res.output
    assert not (tmp_path / "out").exists() and not (tmp_path / "m.onnx").exists()


def test_missing_zarr_and_napari_are_named(monkeypatch, tmp_path):
    import subprocess

    (tmp_path / "v.zarr").mkdir()
    monkeypatch.setitem(sys.modules, "zarr", None)
    with pytest.raises(ConfigError, match=r"Zarr arrays needs zarr: pip install 'noise2info\[zarr\]'"):
        io.open_image(tmp_path / "v.zarr")
    code = "import sys; sys.modules['napari'] = None; import noise2info.napari"
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert found.returncode != 0 and "pip install 'noise2info[napari]'" in found.stderr
