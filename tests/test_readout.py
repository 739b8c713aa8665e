"""The noise readout: exact on an oracle, calibrated for what a denoiser keeps of the noise."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from noise2info.readout import haar_detail, noise_readout


@pytest.mark.parametrize("dims", [2, 3])
def test_haar_detail_keeps_the_std_of_white_noise_and_cancels_smooth_signal(dims):
    g = torch.Generator().manual_seed(0)
    shape = (2, 3) + ((64, 64) if dims == 2 else (16, 16, 16))
    z = torch.randn(shape, generator=g, dtype=torch.float64) * 0.7
    assert haar_detail(z).shape == (2, 3, z[0, 0].numel() // 2**dims)
    assert float(haar_detail(z).std()) == pytest.approx(0.7, rel=0.03)
    ramp = torch.arange(64.0).expand(64, 64)  # a linear ramp has no diagonal detail
    assert float(haar_detail(ramp[None, None]).abs().max()) == 0


class Oracle(torch.nn.Module):
    """F(X) = Y whatever X: it removes exactly the noise."""

    def __init__(self, clean):
        super().__init__()
        self.clean = clean
        self.dummy = torch.nn.Parameter(torch.zeros(()))

    def forward(self, x):
        return self.clean.expand_as(x) + 0 * x


class Smoother(torch.nn.Module):
    """A fixed partial denoiser: 0.7 x the 3x3 mean + 0.3 x the input, so it keeps part of the
    noise in place and spreads some to the neighbours, as an under-trained network does."""

    def __init__(self):
        super().__init__()
        self.dummy = torch.nn.Parameter(torch.zeros(()))

    def forward(self, x):
        return 0.7 * F.avg_pool2d(F.pad(x, (1, 1, 1, 1), mode="reflect"), 3, stride=1) + 0.3 * x


def _noisy(clean, std, seed):
    g = torch.Generator().manual_seed(seed)
    return [clean + std * torch.randn((8, *clean.shape[1:]), generator=g) for _ in range(4)]


@pytest.mark.parametrize("std", [0.2, 0.5, 1.0])
def test_readout_of_an_oracle_denoiser_is_the_noise_std(std):
    y = torch.linspace(-1, 1, 64).expand(64, 64).reshape(1, 1, 64, 64) ** 3  # smooth signal
    sigma = noise_readout(Oracle(y), _noisy(y, std, 1), torch.Generator().manual_seed(2))
    assert sigma == pytest.approx(std, rel=0.03)


@pytest.mark.parametrize("std", [0.3, 0.8])
def test_the_probes_calibrate_for_noise_the_denoiser_keeps(std):
    y = torch.zeros(1, 1, 64, 64)
    batches = _noisy(y, std, 3)
    sigma = noise_readout(Smoother(), batches, torch.Generator().manual_seed(4))
    assert sigma == pytest.approx(std, rel=0.03)
    # without the calibration the removed noise alone is far off: the filter keeps some
    removed = torch.cat([haar_detail(x - Smoother()(x)) for x in batches]).abs()
    naive = float(removed.quantile(0.25)) / 0.3186  # quantile 0.25 of |N(0, 1)|
    assert naive / std < 0.8


def test_noise_level_function_recovers_poisson_gaussian_gain_and_offset():
    """X = a Poisson(Y / a) + N(0, b^2) on a smooth ramp; an oracle F: a and b within 10 %."""
    from noise2info.readout import ReadoutStatistics, noise_level_function

    a, b = 0.02, 0.03
    rng = np.random.default_rng(0)
    y = np.tile(np.linspace(0.0, 1.0, 256), (256, 1))
    parts = []
    for i in range(4):
        x = a * rng.poisson(y / a) + rng.normal(0, b, y.shape)
        mean, std = x.mean(), x.std()
        xn = torch.from_numpy((x - mean) / std).float()[None, None]
        yn = torch.from_numpy((y - mean) / std).float()[None, None]
        stats = ReadoutStatistics()
        with torch.no_grad():
            stats.add(Oracle(yn), xn, yn, torch.Generator().manual_seed(i), probes=2)
        parts.append((stats, mean, std))
    nlf = noise_level_function(parts)
    assert nlf["a"] == pytest.approx(a, rel=0.1) and nlf["b"] == pytest.approx(b, rel=0.1)
    expected = np.sqrt(a * np.array(nlf["intensity"]) + b**2)
    assert np.allclose(nlf["sigma"], expected, rtol=0.1)


def test_noise_level_function_of_signal_independent_noise_is_flat():
    from noise2info.readout import ReadoutStatistics, noise_level_function

    rng = np.random.default_rng(1)
    y = np.tile(np.linspace(0.0, 1.0, 256), (256, 1))
    x = y + rng.normal(0, 0.05, y.shape)
    mean, std = x.mean(), x.std()
    stats = ReadoutStatistics()
    yn = torch.from_numpy((y - mean) / std).float()[None, None]
    stats.add(Oracle(yn), torch.from_numpy((x - mean) / std).float()[None, None], yn, torch.Generator(), 2)
    nlf = noise_level_function([(stats, mean, std)])
    assert nlf["b"] == pytest.approx(0.05, rel=0.1) and nlf["a"] < 0.05**2 / 4


def test_patches_of_different_noise_levels_pool_as_an_rms():
    """After each image's normalisation the noise level differs between images; the readout
    must pool them like sigma_n (an rms), not take a quantile of the mixture."""
    y = torch.zeros(1, 1, 64, 64)
    g = torch.Generator().manual_seed(5)
    batches = [
        torch.cat(
            [0.3 * torch.randn(4, 1, 64, 64, generator=g), 0.9 * torch.randn(4, 1, 64, 64, generator=g)]
        )
    ]
    sigma = noise_readout(Oracle(y), batches * 4, torch.Generator().manual_seed(6))
    assert sigma == pytest.approx(np.sqrt((0.3**2 + 0.9**2) / 2), rel=0.03)
