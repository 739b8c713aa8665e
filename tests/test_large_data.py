"""Large data: lazy (memory-mapped / Zarr) training reads and streamed, bounded-memory denoise."""

import tracemalloc

import numpy as np
import pytest
import torch

from helpers import noisy_set, small_model
from noise2info import api, io, make_config
from noise2info.data import normalisation
from noise2info.plan import Plan
from noise2info.run import save_model
from noise2info.training import Trainer


def _cfg(**kw):
    base = dict(preset="tiny", steps=4, batch_size=4, patch_size=32, k_t=2, k_u=2, seed=0)
    return make_config(**{**base, **kw})


def _model(dims=2):
    return small_model(dims=dims)  # the tiny preset's network


def test_training_on_a_memory_mapped_stack_reads_lazily_and_equals_in_memory(tmp_path):
    _, noisy = noisy_set(n=3, shape=(48, 40))
    stack = np.concatenate(noisy)  # (3, 48, 40): three pages
    np.save(tmp_path / "stack.npy", stack)
    loaded = api.load_images([tmp_path / "stack.npy"], 2)
    assert isinstance(loaded[0].array, np.memmap)  # nothing read into memory yet
    images, names = api._samples(loaded)
    lazy = Trainer(images, _cfg(), stats=api._stats(images, names))
    eager = Trainer(noisy, _cfg())
    assert lazy.fingerprint == eager.fingerprint
    for _ in range(4):
        lazy.step(), eager.step()
    for (k, a), b in zip(lazy.model.state_dict().items(), eager.model.state_dict().values(), strict=True):
        assert torch.equal(a, b), k


def test_streamed_denoise_of_a_tiff_stack_equals_in_memory(tmp_path):
    model = _model()
    rng = np.random.default_rng(0)
    stack = rng.integers(1000, 3000, size=(2, 150, 170), dtype=np.uint16)
    io.write_image(tmp_path / "in" / "stack.tif", stack)
    (tmp_path / "run").mkdir()
    save_model(model, make_config(preset="tiny"), tmp_path / "run", Plan(refine="posterior"))
    # A run that chose the posterior step: its window widens the tiles' margins (52 pixels
    # here), so tiles of 128.
    api.denoise_files(tmp_path / "run", [tmp_path / "in"], tmp_path / "out", tile=128, progress=False)
    out = io.open_image(tmp_path / "out" / "stack.tif")
    assert isinstance(out, np.memmap) and out.dtype == np.uint16  # written by memory map
    expected = api.denoise_array(model, stack, posterior=True)  # in memory, untiled
    assert np.abs(out.astype(int) - expected.astype(int)).max() <= 1  # rounding of 1e-4 differences


def test_zarr_volume_in_zarr_volume_out(tmp_path):
    pytest.importorskip("zarr")
    model = _model(dims=3)
    vol = np.random.default_rng(1).normal(5, 2, size=(20, 36, 30)).astype(np.float32)
    io.write_into(
        tmp_path / "in" / "vol.zarr",
        vol.shape,
        vol.dtype,
        lambda z: z.__setitem__(..., vol),
        chunks=(10, 18, 30),
    )
    (tmp_path / "run").mkdir()
    save_model(model, make_config(preset="tiny", dims=3), tmp_path / "run", Plan(refine="posterior"))
    done = api.denoise_files(tmp_path / "run", [tmp_path / "in"], tmp_path / "out", progress=False)
    assert [p.name for p in done.written] == ["vol.zarr"] and done.skipped == []
    out = io.open_image(tmp_path / "out" / "vol.zarr")
    assert io.is_lazy(out) and out.chunks == (10, 18, 30)  # the input's chunking is kept
    expected = api.denoise_array(model, vol, posterior=True)  # as the run chose
    np.testing.assert_allclose(np.asarray(out[...]), expected, atol=1e-4)


def test_streaming_a_memory_mapped_image_keeps_memory_to_a_few_tiles(tmp_path, monkeypatch):
    model = _model()
    image = np.random.default_rng(2).normal(100, 10, size=(1024, 1024)).astype(np.float32)  # 4 MiB
    np.save(tmp_path / "big.npy", image)
    del image
    monkeypatch.setattr(normalisation, "SLAB_BYTES", 256 * 1024)
    lazy = io.open_image(tmp_path / "big.npy")

    def fill(out):
        api.denoise_array(model, lazy, tile=128, out=out)

    tracemalloc.start()
    io.write_into(tmp_path / "out.npy", lazy.shape, lazy.dtype, fill)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 1.5 * 2**20, f"peak {peak / 2**20:.1f} MiB for a 4 MiB image"
    out = np.load(tmp_path / "out.npy")
    assert out.shape == (1024, 1024) and np.isfinite(out).all() and 80 < out.mean() < 120


def test_statistics_in_slabs_equal_whole_image(monkeypatch):
    image = np.random.default_rng(3).normal(7, 3, size=(2, 50, 20))
    whole = normalisation.channel_stats(image)
    monkeypatch.setattr(normalisation, "SLAB_BYTES", 1000)  # 3 rows per slab
    slabs = normalisation.channel_stats(image)
    for a, b in zip(whole, slabs, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    np.testing.assert_allclose(whole[0].ravel(), image.mean(axis=(1, 2)), rtol=1e-12)
    np.testing.assert_allclose(whole[1].ravel(), image.std(axis=(1, 2)), rtol=1e-12)
