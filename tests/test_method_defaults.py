"""Every method, with its own defaults, leaves a noisy image better than it found it.

A blind-spot method must stay blind at test time: with a replacement that the network can
tell apart from real pixels it learns to copy the noisy centre once nothing is masked (the
reason noise2self defaults to donut replacement)."""

import pytest
from skimage.metrics import peak_signal_noise_ratio

from helpers import noisy_set
from noise2info import denoise, make_config, train
from noise2info.config import METHODS


@pytest.mark.parametrize("method", list(METHODS))
def test_every_methods_defaults_improve_a_noisy_image(method):
    clean, noisy = noisy_set(n=3, shape=(48, 48), std=0.2, seed=1)
    cfg = make_config(method=method, preset="tiny", steps=150, batch_size=4, patch_size=32, lr=2e-3, seed=0)
    result = train(noisy, cfg, clean=clean, progress=False)
    for y, x in zip(clean, noisy, strict=True):
        before = peak_signal_noise_ratio(y[0], x[0], data_range=1.0)
        after = peak_signal_noise_ratio(y[0], denoise(result.model, x)[0], data_range=1.0)
        assert after > before + 3.0, (method, before, after)
