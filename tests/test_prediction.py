import copy

import numpy as np
import pytest
import torch

from helpers import small_model, smooth_image
from noise2info import ImageError
from noise2info.config import ModelConfig
from noise2info.models import inference_model, receptive_radius
from noise2info.prediction import denoise, plan_tiles


@pytest.mark.parametrize("size,tile,margin", [(100, 40, 8), (64, 64, 8), (96, 48, 12), (33, 16, 4)])
def test_plan_tiles_covers_every_pixel_once_in_order(size, tile, margin):
    plan = plan_tiles(size, tile, margin)
    kept = np.zeros(size, int)
    for start, a, b in plan:
        assert start <= a < b <= start + min(tile, size)
        assert a - start >= (margin if a > 0 else 0)  # the kept part stays clear of cut edges
        assert start + min(tile, size) - b >= (margin if b < size else 0)
        kept[a:b] += 1
    assert (kept == 1).all()  # every pixel kept exactly once
    keeps = [(a, b) for _, a, b in plan]
    assert keeps == sorted(keeps) and all(b == a2 for (_, b), (a2, _) in zip(keeps, keeps[1:], strict=False))
    assert keeps[0][0] == 0 and keeps[-1][1] == size


def test_plan_tiles_rejects_too_small_tiles():
    with pytest.raises(ValueError, match="twice the overlap"):
        plan_tiles(100, 16, 8)


@pytest.mark.parametrize("dims", [2, 3])
def test_inference_model_predicts_as_the_model_and_leaves_it_alone(dims):
    model = small_model(dims=dims, depth=1, base_features=8, channels=2).train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    net = inference_model(model)
    x = torch.randn(2, 2, *(16,) * dims)
    with torch.no_grad():
        want, got, again = copy.deepcopy(model).eval()(x), net(x), inference_model(net)(x)
    assert torch.allclose(want, got, atol=1e-5 * want.abs().max().item())
    assert torch.allclose(got, again) and model.training
    assert sum(isinstance(m, torch.nn.BatchNorm2d | torch.nn.BatchNorm3d) for m in net.modules()) < sum(
        isinstance(m, torch.nn.BatchNorm2d | torch.nn.BatchNorm3d) for m in model.modules()
    )
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_tiled_equals_untiled():
    model = small_model()
    rng = np.random.default_rng(0)
    image = rng.normal(size=(1, 150, 130)) * 20 + 100
    whole = denoise(model, image, tile=None)
    tiled = denoise(model, image, tile=receptive_radius(model.config) * 2 + 24)
    assert np.abs(whole - tiled).max() < 1e-4 * np.abs(whole).max()
    assert np.abs(whole - tiled).max() < 1e-2  # intensity units, image std 20


def test_tiled_equals_untiled_3d():
    model = small_model(dims=3, depth=1, base_features=4)
    image = np.random.default_rng(1).normal(size=(1, 30, 34, 28)).astype(np.float32)
    whole = denoise(model, image)
    tiled = denoise(model, image, tile=2 * receptive_radius(model.config) + 6)
    assert np.abs(whole - tiled).max() < 1e-4


def test_denoise_keeps_shape_units_and_handles_odd_sizes():
    model = small_model(channels=3)
    rng = np.random.default_rng(2)
    image = rng.uniform(0, 1, size=(3, 37, 51))
    out = denoise(model, image)
    assert out.shape == image.shape
    # Each channel is normalised by its own mean and std and the result mapped back to the
    # channel's units: denoising a * image + b, per channel, gives a * out + b.
    a, b = np.array([1000.0, 0.01, 40.0])[:, None, None], np.array([1000.0, -3.0, -80.0])[:, None, None]
    scaled = denoise(model, a * image + b)
    np.testing.assert_allclose((scaled - b) / a, out, atol=1e-5)
    assert np.abs(out - image).mean() > 0.05  # and the network did something
    # Odd sizes are padded to a multiple of 2**depth and cropped back in place: a network
    # that passes its input through gives the image back, pixel for pixel, unshifted.
    identity = _Fixed([[0, 0, 0], [0, 1, 0], [0, 0, 0]], channels=3, depth=2)
    np.testing.assert_allclose(denoise(identity, a * image + b), a * image + b, rtol=1e-5)


def test_tta_averages_the_eight_dihedral_views():
    model = small_model()
    image = np.random.default_rng(3).normal(size=(1, 40, 40))
    plain, tta = denoise(model, image), denoise(model, image, tta=True)
    assert tta.shape == image.shape and not np.allclose(plain, tta)
    # TTA output is equivariant: denoising the rotated image gives the rotated result.
    rot = denoise(model, np.rot90(image, 1, axes=(1, 2)).copy(), tta=True)
    assert np.allclose(rot, np.rot90(tta, 1, axes=(1, 2)), atol=1e-4)


def test_denoise_refuses_wrong_channels_or_dims():
    model = small_model()
    with pytest.raises(ImageError, match="image: 3 channel"):
        denoise(model, np.zeros((3, 16, 16)))
    with pytest.raises(ImageError, match="2 spatial axes"):
        denoise(model, np.zeros((1, 8, 16, 16)))


def test_constant_image_gives_finite_output():
    # A constant image has std 0: it is normalised to zeros (divided by 1, not 0), and what
    # the network makes of zeros is added back to the constant, unscaled.
    model = small_model()
    out = denoise(model, np.full((1, 20, 20), 7.0))
    with torch.no_grad():
        zeros = model(torch.zeros(1, 1, 20, 20))[0].double().numpy()
    np.testing.assert_allclose(out, 7.0 + zeros, atol=1e-5)
    # so a denoiser that leaves a flat (zero) image flat gives the constant back exactly
    for kernel in ([[0, 0, 0], [0, 1, 0], [0, 0, 0]], np.full((3, 3), 1 / 9)):
        np.testing.assert_array_equal(denoise(_Fixed(kernel), np.full((1, 21, 19), 7.0)), 7.0)


def test_keep_freed_memory_applies_on_glibc():
    import platform

    from noise2info.runtime import keep_freed_memory

    applied = keep_freed_memory()
    assert applied is (platform.libc_ver()[0] == "glibc")


class _Fixed(torch.nn.Module):
    """A fixed filter behind the model interface (config, parameters)."""

    def __init__(self, kernel, channels=1, depth=1):
        super().__init__()
        self.config = ModelConfig(depth=depth, base_features=2, channels=channels)
        weight = torch.tensor(np.asarray(kernel), dtype=torch.float32)[None, None]
        self.weight = torch.nn.Parameter(weight.repeat(channels, 1, 1, 1))  # each channel alone

    def forward(self, x):
        return torch.nn.functional.conv2d(x, self.weight, padding=1, groups=self.config.channels)


def _true_gain(clean, noisy, denoised):
    return 10 * np.log10(np.mean((noisy - clean) ** 2) / np.mean((denoised - clean) ** 2))


def test_bound_gain_of_a_blind_spot_filter_matches_the_true_gain():
    # A J-invariant F (mean of the 8 neighbours): inv = 0 and the bound is an unbiased
    # estimate of its error, so the expected gain is close to the true one.
    rng = np.random.default_rng(0)
    clean = smooth_image((192, 192))[None] * 100
    noisy = clean + rng.normal(0, 20, clean.shape)
    donut = _Fixed(np.where(np.eye(3)[1] * np.eye(3)[:, 1:2], 0, 1 / 8))
    sigma = float((noisy - clean).std() / noisy.std())  # the true noise std, normalised
    out, bound = denoise(donut, noisy, return_bound=True, sigma=sigma)
    # inv is 0 but where two masked pixels are neighbours (boxes side by side).
    assert bound["inv"] < 1e-3 * sigma**2
    assert bound["gain_db"] == pytest.approx(_true_gain(clean, noisy, out), abs=0.5)
    # With the noise std measured on the image (a few % off on one image, which moves a
    # large gain by a dB or two) it still says the filter helps.
    _, measured = denoise(donut, noisy, return_bound=True)
    assert measured["sigma"] == pytest.approx(sigma, rel=0.05) and measured["gain_db"] > 5


def test_bound_says_the_identity_gains_nothing():
    rng = np.random.default_rng(1)
    clean = smooth_image((128, 128))[None]
    noisy = clean + rng.normal(0, 0.1, clean.shape)
    identity = _Fixed([[0, 0, 0], [0, 1, 0], [0, 0, 0]])
    out, bound = denoise(identity, noisy, return_bound=True, tile=64)  # tiled: same sums
    assert np.allclose(out, noisy, atol=1e-5)
    assert bound["gain_db"] <= 0 and bound["L_in"] < 1e-10
    _, whole = denoise(identity, noisy, return_bound=True)
    assert whole["gain_db"] == pytest.approx(bound["gain_db"], abs=0.3)
