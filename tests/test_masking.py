import math

import pytest
import torch

from helpers import small_model
from noise2info.config import MaskingConfig
from noise2info.masking import (
    Masker,
    block_mask,
    box_side,
    donut_kernel,
    donut_replace,
    expected_count,
    gaussian_replace,
    stratified_mask,
)


@pytest.mark.parametrize("shape", [(2, 3, 64, 64), (1, 1, 50, 37), (2, 2, 12, 20, 18)])
def test_stratified_mask_count_per_sample_and_channel(shape):
    mask = stratified_mask(shape, 0.5, torch.Generator().manual_seed(0))
    per = mask.flatten(2).sum(-1)
    assert per.unique().tolist() == [expected_count(shape[2:], 0.5)]


def test_box_side_matches_percent():
    assert box_side(0.5, 2) == round(math.sqrt(100 / 0.5)) == 14
    assert box_side(0.5, 3) == round((100 / 0.5) ** (1 / 3))


def test_one_pixel_per_box_and_channels_independent():
    mask = stratified_mask((1, 2, 28, 28), 0.5, torch.Generator().manual_seed(1))
    boxes = mask[0].reshape(2, 2, 14, 2, 14).sum(dim=(2, 4))
    assert (boxes == 1).all()
    assert not torch.equal(mask[0, 0], mask[0, 1])


def test_clipped_edge_boxes_stay_inside_and_cover_span():
    # 15 = one full box of 14 plus a clipped box of 1: its pixel must be index 14.
    hits = torch.zeros(15)
    for seed in range(40):
        m = stratified_mask((1, 1, 15, 1), 0.5, torch.Generator().manual_seed(seed))
        hits += m[0, 0, :, 0].float()
    assert hits[14] == 40
    assert (hits[:14] > 0).sum() >= 10  # the full box's pixel is spread over the span


def test_donut_kernel_weights_2d():
    k = donut_kernel(2)
    expected = torch.tensor([[0.5, 1, 0.5], [1, 0, 1], [0.5, 1, 0.5]]) / 6.0
    assert torch.allclose(k, expected)
    assert donut_kernel(3).sum().item() == pytest.approx(1.0)
    assert donut_kernel(3)[1, 1, 1] == 0


def test_donut_replace_is_weighted_neighbour_mean():
    x = torch.arange(25.0).reshape(1, 1, 5, 5) ** 1.5
    mask = torch.zeros_like(x, dtype=torch.bool)
    mask[0, 0, 2, 2] = True
    out = donut_replace(x, mask)
    expected = (donut_kernel(2) * x[0, 0, 1:4, 1:4]).sum()
    assert out[0, 0, 2, 2].item() == pytest.approx(expected.item(), rel=1e-6)
    assert torch.equal(out[~mask], x[~mask])


def test_gaussian_replace_statistics():
    x = torch.full((4, 1, 64, 64), 7.0)
    mask = torch.ones_like(x, dtype=torch.bool)
    out = gaussian_replace(x, mask, 0.2, torch.Generator().manual_seed(0))
    assert out.mean().abs() < 0.01 and out.std().item() == pytest.approx(0.2, rel=0.05)


@pytest.mark.parametrize(
    "replacement,dims,block",
    [
        ("gaussian", 2, 1),
        ("donut", 2, 1),
        ("donut", 3, 1),
        ("gaussian", 2, 3),
        ("donut", 2, 3),
        ("donut", 3, 3),
    ],  # fmt: skip
)
def test_masked_pass_is_j_invariant(replacement, dims, block):
    """Changing X on J (and, with blocks, on the block around each pixel of J) changes neither
    the masked input nor F(X_Jc) on J."""
    model = small_model(dims=dims, depth=1, base_features=4)
    shape = (1, 1) + (16,) * dims
    x = torch.randn(shape)
    config = MaskingConfig(percent=5, replacement=replacement, block=block)
    masker_a = Masker(config, torch.Generator().manual_seed(3))
    masker_b = Masker(config, torch.Generator().manual_seed(3))
    masked_a, mask = masker_a(x)
    hidden = block_mask(mask, block)
    x2 = torch.where(hidden, x + 10 * torch.randn(shape), x)
    masked_b, mask_b = masker_b(x2)
    assert torch.equal(mask, mask_b)
    assert torch.equal(masked_a, masked_b)
    with torch.no_grad():
        assert torch.allclose(model(masked_a)[mask], model(masked_b)[mask])
    # ...while the full pass does see the change
    with torch.no_grad():
        assert not torch.allclose(model(x)[mask], model(x2)[mask])


def test_block_mask_covers_the_block_around_each_pixel():
    mask = torch.zeros(1, 1, 9, 9, dtype=torch.bool)
    mask[0, 0, 4, 4] = mask[0, 0, 0, 8] = True
    hidden = block_mask(mask, 3)
    assert hidden[0, 0, 3:6, 3:6].all() and hidden[0, 0, 0:2, 7:9].all()
    assert hidden.sum() == 9 + 4  # the corner block clipped to the image
    assert torch.equal(block_mask(mask, 1), mask)
    volume = torch.zeros(1, 1, 5, 5, 5, dtype=torch.bool)
    volume[0, 0, 2, 2, 2] = True
    assert block_mask(volume, 3).sum() == 27


def test_single_pixel_mask_leaks_correlated_neighbours():
    """Why blocks: with block 1 a masked pixel's replacement reads its neighbours, which carry
    the same noise when the noise is correlated; with block 3 it does not."""
    x = torch.randn(1, 1, 16, 16)
    for block, leaks in ((1, True), (3, False)):
        config = MaskingConfig(percent=5, replacement="donut", block=block)
        masked_a, mask = Masker(config, torch.Generator().manual_seed(1))(x)
        ring = block_mask(mask, 3) & ~mask  # the 8 neighbours of each pixel of J
        masked_b, _ = Masker(config, torch.Generator().manual_seed(1))(torch.where(ring, x + 5, x))
        assert (not torch.equal(masked_a[mask], masked_b[mask])) is leaks


def test_block_must_be_odd():
    with pytest.raises(ValueError, match="odd"):
        MaskingConfig(block=2)


def test_masker_is_seeded():
    x = torch.randn(2, 1, 32, 32)
    a = Masker(MaskingConfig(), torch.Generator().manual_seed(5))(x)
    b = Masker(MaskingConfig(), torch.Generator().manual_seed(5))(x)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])


def test_one_masking_setting_keeps_the_methods_others():
    """--mask-percent or --mask-block alone must not reset noise2info's donut replacement."""
    from noise2info import make_config

    for setting in ({"mask_percent": 1.0}, {"mask_block": 3}):
        masking = make_config(**setting).masking
        assert masking.replacement == "donut"
    assert make_config(mask_block=3).masking.block == 3
    assert make_config(mask_percent=1.0).masking.percent == 1.0
