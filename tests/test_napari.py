"""The napari plugin, headless: napari's own viewer fixture on a virtual screen (pytest-xvfb),
real widgets, a tiny model trained through the Train widget, stopped, and used to denoise."""

from __future__ import annotations

import os

import numpy as np
import pytest

from helpers import noisy_set

napari = pytest.importorskip("napari", reason="the napari extra is not installed")
pytest.importorskip("pytestqt", reason="pytest-qt is not installed")
if not os.environ.get("DISPLAY"):  # pytest-xvfb sets it where Xvfb is installed (.ci/run does)
    pytest.skip("no display: install Xvfb (xvfb) for the napari tests", allow_module_level=True)

from noise2info.napari.layers import layer_data, layer_samples  # noqa: E402

TIMEOUT_MS = 120_000


@pytest.fixture
def widgets():
    from noise2info.napari import widgets

    widgets.TRAINED.clear()
    yield widgets
    widgets.TRAINED.clear()


def _tiny(widget, steps: int):
    widget.preset.setCurrentText("tiny")
    widget.steps.setValue(steps)


@pytest.mark.parametrize(
    "shape, rgb, dims, said",
    [
        ((40, 36), False, 2, "2-D, 1 channel, 1 image of 40 x 36"),
        ((3, 40, 36), False, 2, "2-D, 1 channel, 3 images of 40 x 36"),
        ((8, 40, 36), False, 3, "3-D, 1 channel, 1 image of 8 x 40 x 36"),
        ((40, 36, 3), True, 2, "2-D, 3 channels (RGB), 1 image of 40 x 36"),
    ],
)
def test_layers_map_to_samples_and_back(shape, rgb, dims, said):
    data = np.random.default_rng(0).random(shape)
    samples, understood = layer_samples(data, rgb, dims)
    assert understood == said
    assert all(s.ndim == 1 + dims for s in samples)
    np.testing.assert_array_equal(layer_data(samples, shape, rgb), data)


def test_manifest_and_sample_data():
    import npe2

    pm = npe2.PluginManager.instance()
    pm.discover()
    manifest = pm.get_manifest("noise2info")
    assert [w.display_name for w in manifest.contributions.widgets] == ["Train", "Denoise", "Estimate noise"]
    from noise2info.demo import DEMO_NOISE_STD, demo_images
    from noise2info.napari.sample_data import noisy_samples

    layers = noisy_samples()
    clean = demo_images()
    assert [meta["name"] for _, meta in layers] == [f"{name} (noisy)" for name in clean]
    for (data, _), image in zip(layers, clean.values(), strict=True):
        assert data.dtype == np.float32 and data.shape == image.shape
        # each the demo's clean image plus white Gaussian noise of the demo's std
        noise = data - image
        assert noise.std() == pytest.approx(DEMO_NOISE_STD, rel=0.01) and abs(noise.mean()) < 2e-3
        assert abs(np.corrcoef(noise[:, 1:].ravel(), noise[:, :-1].ravel())[0, 1]) < 0.02
    np.testing.assert_array_equal(noisy_samples()[0][0], layers[0][0])  # seeded
    assert not np.array_equal(noisy_samples(seed=1)[0][0], layers[0][0])


def test_train_stop_and_denoise_through_the_widgets(make_napari_viewer, qtbot, widgets):
    viewer = make_napari_viewer()
    clean, noisy = noisy_set(2, (48, 40))
    viewer.add_image(noisy[0][0], name="noisy")
    viewer.add_image(noisy[1][0], name="second")
    train = widgets.TrainWidget(viewer)
    viewer.window.add_dock_widget(train, name="Train")

    train.select("noisy", "second")
    assert (
        train.understood.text()
        == "noisy: 2-D, 1 channel, 1 image of 48 x 40; second: 2-D, 1 channel, 1 image of 48 x 40"
    )
    _tiny(train, 6)
    train.start_button.click()
    qtbot.waitUntil(lambda: train.state != "training", timeout=TIMEOUT_MS)
    assert train.state == "done", train.readout.text()
    assert train.progress.value() == 6
    assert train.result.sigma is not None and "noise std" in train.readout.text()
    assert train.ax_loss.lines and len(train.ax_loss.lines[0].get_xdata()) >= 1  # the live curve
    assert list(widgets.TRAINED) == ["trained on noisy, second"]

    # A long run, stopped from the widget: the model so far is kept and offered.
    _tiny(train, 100_000)
    train.start_button.click()
    qtbot.waitUntil(lambda: train.progress.value() >= 3, timeout=TIMEOUT_MS)
    train.stop_button.click()
    qtbot.waitUntil(lambda: train.state != "training", timeout=TIMEOUT_MS)
    assert train.state == "stopped", train.readout.text()
    assert "stopped at step" in train.readout.text()
    assert 3 <= train.progress.value() < 100_000

    denoise = widgets.DenoiseWidget(viewer)
    viewer.window.add_dock_widget(denoise, name="Denoise")
    assert denoise.model_choice.count() == 3  # two trained (newest first) and a run folder
    denoise.layer.setCurrentText("noisy")
    denoise.model_choice.setCurrentIndex(1)  # the finished run
    denoise.button.click()
    qtbot.waitUntil(lambda: denoise.output is not None, timeout=TIMEOUT_MS)
    out = viewer.layers["noisy denoised"]
    assert out.data.shape == (48, 40) and out.data.dtype == noisy[0].dtype
    from noise2info import denoise as denoise_fn

    want = denoise_fn(widgets.TRAINED["trained on noisy, second"], noisy[0])[0]
    np.testing.assert_allclose(out.data, want, rtol=1e-5, atol=1e-5)


def test_estimate_noise_widget_reads_the_level_and_the_noise_level_function(make_napari_viewer, widgets):
    viewer = make_napari_viewer()
    rng = np.random.default_rng(0)
    ramp = np.tile(np.linspace(20, 400, 256), (256, 1))
    gain, offset = 2.0, 3.0  # X = a Poisson(Y / a) + N(0, b^2)
    noisy = gain * rng.poisson(ramp / gain) + rng.normal(0, offset, ramp.shape)
    viewer.add_image(noisy.astype(np.float32), name="counts")
    widget = widgets.NoiseWidget(viewer)
    found = widget.estimate()
    assert found is not None and found["sigma_intensity"] > 0
    nlf = found["nlf"]
    assert nlf["a"] == pytest.approx(gain, rel=0.2)
    assert "noise level function" in widget.result.text()
    assert widget.figure.axes and widget.figure.axes[0].lines  # the plot
