"""Odd files through every command that takes images: each call either exits 0 with a finite
output of the input's shape and dtype, or exits 2 with one line and writes nothing. Never an
internal error (exit 1), never a traceback (docs/reliability.md).

Property-based (hypothesis), seeded and bounded: odd shapes and dtypes in each format the
project reads, damaged bytes (truncated, bit-flipped), random bytes, wrong extensions, empty
files, and folders and dangling links named like images.
"""

from __future__ import annotations

import io as _io
import itertools
import json
import math
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, seed, settings
from hypothesis import strategies as st

from helpers import cli, noisy_set, tiny_train_args
from noise2info import io

PILLOW = (".png", ".jpg", ".bmp", ".gif", ".webp")
FORMATS = (*PILLOW, ".tif", ".npy")
DTYPES = ("uint8", "uint16", "int16", "float32", "float64", "bool", "complex64")
# Seeded: the same files on every run. NOISE2INFO_FUZZ_SEED=N draws others (a rerun with another
# seed), NOISE2INFO_FUZZ_EXAMPLES=N more of them.
SEED = os.environ.get("NOISE2INFO_FUZZ_SEED")
EXAMPLES = int(os.environ.get("NOISE2INFO_FUZZ_EXAMPLES", "100"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=SEED is None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
_counter = itertools.count()


@st.composite
def arrays(draw):
    """An odd array: 1 to 5 axes of 0 to 12 (sometimes 40) values, in an odd dtype."""
    ndim = draw(st.sampled_from([2, 2, 2, 3, 3, 1, 4, 5]))  # mostly images, some odd ones
    shape = tuple(
        draw(st.lists(st.sampled_from([0, 1, 2, 3, 4, 7, 9, 12, 40]), min_size=ndim, max_size=ndim))
    )
    dtype = np.dtype(draw(st.sampled_from(DTYPES)))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    size = math.prod(shape)
    if size > 64 * 64 * 16:  # bounded: a MB at most
        shape = shape[:2]
        size = math.prod(shape)
    values = rng.normal(100, 40, size).reshape(shape)
    special = draw(st.sampled_from(["none", "nan", "inf", "constant"]))
    if special == "constant":
        values[...] = 3
    elif special != "none" and dtype.kind in "fc" and size:
        values.flat[0] = np.nan if special == "nan" else np.inf
    return values.astype(dtype) if dtype.kind != "b" else values > 100


def _encode(array: np.ndarray, suffix: str) -> bytes | None:
    """``array`` as the bytes of a ``suffix`` file, or None where the format cannot hold it."""
    buffer = _io.BytesIO()
    try:
        if suffix == ".npy":
            np.save(buffer, array, allow_pickle=False)
        elif suffix == ".tif":
            import tifffile

            tifffile.imwrite(buffer, array)
        else:
            from PIL import Image

            u8 = np.clip(np.nan_to_num(np.real(array).astype(np.float64)), 0, 255).astype(np.uint8)
            Image.fromarray(u8).save(buffer, format={".jpg": "JPEG"}.get(suffix, suffix[1:].upper()))
    except Exception:  # this array does not fit this format: another case covers it
        return None
    return buffer.getvalue()


@st.composite
def odd_files(draw):
    """``(name, bytes or a kind)``: a file to write, or 'folder' / 'dangling' for a path that
    is not one."""
    kind = draw(
        st.sampled_from(["valid", "truncated", "flipped", "random", "empty", "wrong", "folder", "dangling"])
    )
    suffix = draw(st.sampled_from(FORMATS))
    if kind in ("folder", "dangling"):
        return f"odd{suffix}", kind
    if kind == "empty":
        return f"odd{suffix}", b""
    if kind == "random":
        return f"odd{suffix}", draw(st.binary(min_size=1, max_size=400))
    data = _encode(draw(arrays()), suffix)
    if data is None:
        data = _encode(np.random.default_rng(0).integers(0, 255, (24, 20), np.uint8), suffix)
    if kind == "truncated":
        data = data[: draw(st.integers(0, max(0, len(data) - 1)))]
    elif kind == "flipped":
        raw = bytearray(data)
        for _ in range(draw(st.integers(1, 8))):
            raw[draw(st.integers(0, len(raw) - 1))] ^= 1 << draw(st.integers(0, 7))
        data = bytes(raw)
    elif kind == "wrong":  # one format's bytes under another's name
        suffix = draw(st.sampled_from([s for s in FORMATS if s != suffix]))
    return f"odd{suffix}", data


def _npy(array: np.ndarray) -> bytes:
    buffer = _io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def _tif(array: np.ndarray) -> bytes:
    import tifffile

    buffer = _io.BytesIO()
    tifffile.imwrite(buffer, array)
    return buffer.getvalue()


# The files that once ended in an internal error, each kept as an example of every test.
KNOWN = [
    ("small.npy", _npy(np.zeros((1, 1)))),
    ("small.npy", _npy(np.ones((2, 3)))),
    ("long.npy", _npy(np.ones((1, 4000)))),
    ("seven.npy", _npy(np.random.default_rng(0).random((40, 40, 7)))),
    ("five.npy", _npy(np.zeros((2, 3, 4, 5, 6)))),
    ("empty.tif", _tif(np.zeros((0, 5)))),
    ("line.tif", _tif(np.arange(5.0))),
]


def known(test):
    """``test`` with every file of :data:`KNOWN` as an explicit example (and the seed asked for)."""
    for case in KNOWN:
        test = example(case=case)(test)
    return seed(int(SEED))(test) if SEED is not None else test


def _place(root, case):
    """Write the case into a new folder under ``root``; the input's path."""
    name, content = case
    folder = root / f"case{next(_counter)}"
    folder.mkdir()
    path = folder / name
    if content == "folder":
        path.mkdir()
    elif content == "dangling":
        path.symlink_to(folder / "missing.png")
    else:
        path.write_bytes(content)
    return path


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A tiny one-channel run."""
    root = tmp_path_factory.mktemp("fuzz-run")
    for i, x in enumerate(noisy_set(2, (40, 36))[1]):
        io.write_image(root / "in" / f"a{i}.tif", x[0])
    result = cli("train", root / "in", "--out", root / "run", *tiny_train_args(steps=2))
    assert result.exit_code == 0, result.output
    return root / "run"


def _refused_in_one_line(result) -> bool:
    lines = [line for line in result.output.splitlines() if "noise2info: error:" in line]
    return result.exit_code == 2 and len(lines) == 1 and "Traceback" not in result.output


@FUZZ
@known
@given(case=odd_files())
def test_denoise_answers_every_file(run, tmp_path_factory, case):
    path = _place(tmp_path_factory.mktemp("den"), case)
    out = path.parent / "out"
    result = cli("denoise", run, path, "--out", out, "--quiet", "--json")
    assert result.exit_code in (0, 2), result.output
    if result.exit_code == 2:
        assert _refused_in_one_line(result), result.output
        assert not out.exists() or not any(out.iterdir())  # nothing written
        return
    written = io.read_image(out / path.name)
    read = io.read_image(path)
    assert written.shape == read.shape and written.dtype == read.dtype
    assert np.isfinite(written.astype(np.float64)).all()


@FUZZ
@known
@given(case=odd_files())
def test_estimate_sigma_answers_every_file(run, tmp_path_factory, case):
    path = _place(tmp_path_factory.mktemp("est"), case)
    result = cli("estimate-sigma", run, path, "--batches", "1", "--json")
    assert result.exit_code in (0, 2), result.output
    if result.exit_code == 2:
        assert _refused_in_one_line(result), result.output
        return
    summary = json.loads(result.output.strip().splitlines()[-1])
    for entry in summary["per_image"]:
        assert entry["sigma"] is None or math.isfinite(entry["sigma"])


@settings(FUZZ, max_examples=max(1, EXAMPLES * 3 // 10))
@known
@given(case=odd_files())
def test_train_answers_every_file(tmp_path_factory, case):
    path = _place(tmp_path_factory.mktemp("tr"), case)
    out = path.parent / "run"
    result = cli("train", path, "--out", out, *tiny_train_args(steps=2, k_t=1, k_u=1, patch_size=8, depth=1))
    assert result.exit_code in (0, 2), result.output
    if result.exit_code == 2:
        assert _refused_in_one_line(result), result.output
        assert not out.exists()  # no run folder started
        return
    assert (out / "model.safetensors").is_file() and (out / "plan.json").is_file()
