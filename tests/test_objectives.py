import numpy as np
import pytest
import torch

from noise2info import make_config
from noise2info.objectives import Batch, BlindSpot, Noise2Info, Noise2Same, Supervised


class Scale(torch.nn.Module):
    """F(x) = a * x + b: simple enough to compute every term by hand."""

    def forward(self, x):
        return 0.5 * x + 0.25


def _batch(seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(2, 1, 6, 6, generator=g)
    mask = torch.zeros_like(x, dtype=torch.bool)
    mask[0, 0, 1, 2] = mask[1, 0, 4, 4] = mask[1, 0, 0, 5] = True
    masked = torch.where(mask, torch.zeros_like(x), x)
    clean = torch.randn(2, 1, 6, 6, generator=g)
    return Batch(noisy=x, masked=masked, mask=mask, clean=clean)


def test_noise2same_terms_by_hand():
    b = _batch()
    x, xm, m = b.noisy.numpy(), b.masked.numpy(), b.mask.numpy()
    f_x, f_m = 0.5 * x + 0.25, 0.5 * xm + 0.25
    l_in = np.mean((f_x - x) ** 2)
    inv = np.mean(((f_x - f_m) ** 2)[m])
    terms = Noise2Same(sigma_loss=0.3)(Scale(), b)
    assert terms["L_in"].item() == pytest.approx(l_in, rel=1e-5)
    assert terms["inv"].item() == pytest.approx(inv, rel=1e-5)
    assert terms["L_ex"].item() == pytest.approx(np.sqrt(inv), rel=1e-5)
    assert terms["loss"].item() == pytest.approx(l_in + 2 * 0.3 * np.sqrt(inv), rel=1e-5)


def test_blindspot_by_hand():
    b = _batch()
    f_m = 0.5 * b.masked.numpy() + 0.25
    expected = np.mean(((f_m - b.noisy.numpy()) ** 2)[b.mask.numpy()])
    assert BlindSpot()(Scale(), b)["loss"].item() == pytest.approx(expected, rel=1e-5)


def test_supervised_by_hand_and_needs_clean():
    b = _batch()
    expected = np.mean((0.5 * b.noisy.numpy() + 0.25 - b.clean.numpy()) ** 2)
    assert Supervised()(Scale(), b)["loss"].item() == pytest.approx(expected, rel=1e-5)
    b.clean = None
    with pytest.raises(ValueError, match="clean"):
        Supervised()(Scale(), b)


def test_each_method_builds_its_objective_and_says_what_it_needs():
    n2i = make_config(method="noise2info", steps=900, batch_size=16).method.build_objective()
    assert isinstance(n2i, Noise2Info) and n2i.sigma_loss == 1.0
    assert (n2i.sigma_schedule.k_t, n2i.sigma_schedule.k_u, n2i.sigma_schedule.k_mc) == (144, 16, 10)
    n2s = make_config(method="noise2same", sigma=0.4).method.build_objective()
    assert n2s.sigma_loss == 0.4 and n2s.sigma_schedule is None
    n2self = make_config(method="noise2self").method.build_objective()
    assert isinstance(n2self, BlindSpot) and n2self.needs_mask and not n2self.needs_clean
    sup = make_config(method="supervised").method.build_objective()
    assert isinstance(sup, Supervised) and sup.needs_clean and not sup.needs_mask


def test_noise2same_gradient_finite_when_passes_agree():
    model = torch.nn.Conv2d(1, 1, 1)
    b = _batch()
    b.masked = b.noisy.clone()  # inv == 0: sqrt must not give NaN gradients
    Noise2Same()(model, b)["loss"].backward()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters())
