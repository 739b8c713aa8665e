import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from noise2info import io
from noise2info.data import denormalise, normalise


@pytest.mark.parametrize(
    "name,arr",
    [
        ("a.png", np.arange(30 * 20, dtype=np.uint8).reshape(30, 20)),
        ("b.png", (np.arange(30 * 20).reshape(30, 20) * 97).astype(np.uint16)),
        ("c.png", np.random.default_rng(0).integers(0, 255, (12, 14, 3), dtype=np.uint8)),
        ("d.tif", np.random.default_rng(1).normal(size=(5, 16, 18)).astype(np.float32)),
        ("e.tiff", np.random.default_rng(2).integers(0, 60000, (16, 18), dtype=np.uint16)),
        ("f.npy", np.random.default_rng(3).normal(size=(4, 9, 10)).astype(np.float64)),
    ],
)
def test_write_read_round_trip_keeps_values_and_dtype(tmp_path, name, arr):
    io.write_image(tmp_path / name, arr)
    back = io.read_image(tmp_path / name)
    assert back.dtype == arr.dtype
    np.testing.assert_array_equal(back, arr)
    assert [p.name for p in tmp_path.iterdir()] == [name]  # no temp files left behind


def test_jpeg_round_trip_is_close(tmp_path):
    arr = np.tile(np.linspace(0, 255, 32, dtype=np.uint8), (32, 1))
    io.write_image(tmp_path / "x.jpg", arr)
    back = io.read_image(tmp_path / "x.jpg")
    assert back.dtype == np.uint8 and np.abs(back.astype(int) - arr).mean() < 3


@pytest.mark.parametrize(
    "shape,dims,samples",
    [
        ((30, 20), 2, (1, 1, 30, 20)),
        ((30, 20, 3), 2, (1, 3, 30, 20)),
        ((5, 30, 20), 2, (5, 1, 30, 20)),  # TIFF pages as a batch of 2D images
        ((5, 30, 20), 3, (1, 1, 5, 30, 20)),  # ... or as one volume
        ((4, 30, 20, 3), 2, (4, 3, 30, 20)),
        ((6, 8, 30, 20), 3, (6, 1, 8, 30, 20)),
    ],
)
def test_layouts(shape, dims, samples):
    arr = np.random.default_rng(0).normal(size=shape)
    views = io.sample_views(arr, dims)
    assert (len(views), *views[0].shape) == samples
    # Reading every sample and writing it into a fresh array of the stored shape restores it.
    out = np.zeros_like(arr)
    for src, dst in zip(views, io.sample_views(out, dims), strict=True):
        dst[...] = np.asarray(src)
    np.testing.assert_array_equal(out, arr)


def test_sample_view_reads_only_the_slices_asked_for():
    arr = np.arange(4 * 10 * 12 * 3).reshape(4, 10, 12, 3)
    view = io.sample_views(arr, 2)[2]
    block = view[slice(0, 2), slice(3, 7), slice(5, 6)]
    np.testing.assert_array_equal(block, np.moveaxis(arr[2, 3:7, 5:6, 0:2], -1, 0))
    with pytest.raises(IndexError, match="slices"):
        view[0, 1, 2]


def test_too_few_axes_is_an_error():
    with pytest.raises(io.ImageError, match="fewer than 3 spatial axes"):
        io.sample_views(np.zeros((10, 10)), 3)


@pytest.mark.parametrize("name", ["stack.tif", "stack.npy", "stack.zarr"])
def test_large_formats_open_lazily_and_stream_out(tmp_path, name):
    if name.endswith(".zarr"):
        pytest.importorskip("zarr")
    arr = np.random.default_rng(4).integers(0, 4000, (3, 40, 50), dtype=np.uint16)
    io.write_into(tmp_path / name, arr.shape, arr.dtype, lambda out: out.__setitem__(Ellipsis, arr))
    lazy = io.open_image(tmp_path / name)
    assert io.is_lazy(lazy) and lazy.shape == arr.shape and lazy.dtype == arr.dtype
    np.testing.assert_array_equal(io.read_image(tmp_path / name), arr)
    assert [p.name for p in tmp_path.iterdir()] == [name]  # no temp file or folder left


def test_lazy_input_with_nan_is_named_when_its_statistics_are_taken(tmp_path):
    from helpers import tiny_config
    from noise2info.api import train_files

    bad = np.ones((16, 16), np.float32)
    bad[3, 4] = np.nan
    np.save(tmp_path / "bad.npy", bad)
    assert io.is_lazy(io.open_image(tmp_path / "bad.npy"))  # nothing read when it is opened
    with pytest.raises(io.ImageError, match="bad.npy: image contains NaN"):
        train_files([tmp_path / "bad.npy"], tiny_config(), tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_cast_to_clips_and_rounds():
    x = np.array([-5.0, 0.4, 0.6, 254.6, 300.0])
    np.testing.assert_array_equal(io.cast_to(x, np.uint8), [0, 0, 1, 255, 255])
    assert io.cast_to(x, np.float32).dtype == np.float32


def test_find_inputs(tmp_path):
    for n in ("b.png", "a.tif", "notes.txt"):
        (tmp_path / n).write_bytes(b"x")
    assert [p.name for p in io.find_inputs([tmp_path])] == ["a.tif", "b.png"]
    assert [p.name for p in io.find_inputs([str(tmp_path / "*.png")])] == ["b.png"]
    with pytest.raises(io.ImageError, match="no such file"):
        io.find_inputs([tmp_path / "missing.png"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(io.ImageError, match="no images found"):
        io.find_inputs([tmp_path / "empty"])


def test_bad_files_name_the_file(tmp_path):
    (tmp_path / "broken.png").write_bytes(b"not a png")
    with pytest.raises(io.ImageError, match="broken.png: cannot read image"):
        io.read_image(tmp_path / "broken.png")
    np.save(tmp_path / "nan.npy", np.array([[1.0, np.nan]]))
    with pytest.raises(io.ImageError, match="nan.npy: image contains NaN"):
        io.read_image(tmp_path / "nan.npy")
    (tmp_path / "x.xyz").write_bytes(b"")
    with pytest.raises(io.ImageError, match="x.xyz: unsupported format .xyz"):
        io.read_image(tmp_path / "x.xyz")


dtypes = st.sampled_from([np.uint8, np.uint16, np.float32, np.float64])


@settings(max_examples=40, deadline=None)
@given(
    shape=st.tuples(st.integers(1, 4), st.integers(8, 16), st.integers(8, 16)),  # at least 8 x 8
    dtype=dtypes,
    scale=st.floats(1e-3, 1e4),
    offset=st.floats(-1e3, 1e3),
    seed=st.integers(0, 2**16),
)
def test_load_normalise_denormalise_save_round_trip(tmp_path_factory, shape, dtype, scale, offset, seed):
    rng = np.random.default_rng(seed)
    raw = rng.normal(size=shape) * scale + offset
    arr = io.cast_to(raw, dtype) if np.dtype(dtype).kind == "u" else raw.astype(dtype)
    path = tmp_path_factory.mktemp("rt") / "img.tif"
    io.write_image(path, arr)
    back = io.read_image(path)
    out = np.empty_like(back)
    for src, dst in zip(io.sample_views(back, 2), io.sample_views(out, 2), strict=True):
        dst[...] = io.cast_to(denormalise(*normalise(src)), back.dtype)
    io.write_image(path, out)
    final = io.read_image(path)
    assert final.dtype == arr.dtype and final.shape == arr.shape
    tol = 0 if np.dtype(dtype).kind == "u" else 1e-5 * (np.abs(arr).max() + 1)
    assert np.abs(final.astype(np.float64) - arr.astype(np.float64)).max() <= tol


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path, monkeypatch):
    target = tmp_path / "out.tif"
    io.write_image(target, np.ones((8, 8), np.float32))
    before = target.read_bytes()
    import tifffile

    def half_written(path, arr, **kw):
        with open(path, "wb") as fh:
            fh.write(b"II*\x00partial")
        raise OSError("disk full")

    monkeypatch.setattr(tifffile, "imwrite", half_written)
    with pytest.raises(OSError, match="disk full"):
        io.write_image(target, np.zeros((8, 8), np.float32))
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["out.tif"]  # no temp file left
