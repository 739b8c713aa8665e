import numpy as np
import pytest
import torch

from noise2info.sigma import sigma_star


def reference_e_l(removed: np.ndarray, draws: np.ndarray) -> float:
    """E_l straight from Algorithm 1, with loops: rows sorted, each draw sorted, matched."""
    rows = np.sort(removed, axis=1)
    pool = removed.ravel()
    total = 0.0
    for idx in draws:
        s = np.sort(pool[idx])
        total += np.mean([(row - s) ** 2 for row in rows])
    return total / len(draws)


def test_sigma_star_matches_numpy_reference():
    rng = np.random.default_rng(0)
    removed = rng.normal(0, 0.7, size=(12, 50)) + rng.normal(0, 0.2, size=(12, 1))
    l_in, inv, k_mc = 0.6, 0.05, 7
    got = sigma_star(torch.from_numpy(removed), l_in, inv, k_mc, torch.Generator().manual_seed(4))
    # Same draws as the function: indices from the same seeded generator, into the pool of
    # sorted rows (the pool is a multiset, so its order does not change the distribution).
    pool_sorted = np.sort(removed, axis=1)
    draws = torch.randint(
        0, removed.size, (k_mc, removed.shape[1]), generator=torch.Generator().manual_seed(4)
    ).numpy()
    e_l = reference_e_l(pool_sorted, draws)
    expected = np.sqrt(inv) + np.sqrt(inv + l_in - e_l)
    assert got == pytest.approx(expected, rel=1e-10)


def test_sigma_star_statistically_matches_independent_reference():
    rng = np.random.default_rng(1)
    removed = rng.standard_t(5, size=(20, 64)) * 0.5
    got_e = []
    for seed in range(30):
        s = sigma_star(torch.from_numpy(removed), 10.0, 0.0, 10, torch.Generator().manual_seed(seed))
        got_e.append(10.0 - s**2)  # inv = 0: sigma* = sqrt(L_in - E_l)
    ref = [reference_e_l(removed, rng.integers(0, removed.size, size=(10, 64))) for _ in range(30)]
    assert np.mean(got_e) == pytest.approx(np.mean(ref), rel=0.1)


@pytest.mark.parametrize("std", [0.3, 0.8, 1.5])
def test_oracle_denoiser_recovers_true_std(std):
    """F(X) = Y on Gaussian noise: removed = -N, L_in = mean N^2, inv = 0, E_l ~ 0."""
    g = torch.Generator().manual_seed(0)
    noise = torch.randn(64, 4096, generator=g, dtype=torch.float64) * std
    removed = -noise
    l_in = float((removed**2).mean())
    sigma = sigma_star(removed, l_in, 0.0, 10, torch.Generator().manual_seed(1))
    assert sigma == pytest.approx(std, rel=0.02)


def test_negative_radicand_gives_none():
    removed = torch.randn(4, 100, generator=torch.Generator().manual_seed(0))
    assert sigma_star(removed, l_in=0.0, inv=0.0, k_mc=3) is None


def test_sigma_star_rejects_bad_input():
    with pytest.raises(ValueError, match="2-D"):
        sigma_star(torch.zeros(10), 1.0, 0.1)
    with pytest.raises(ValueError, match="k_mc"):
        sigma_star(torch.zeros(2, 3), 1.0, 0.1, k_mc=0)


def test_sigma_star_is_seeded():
    removed = torch.randn(8, 64, generator=torch.Generator().manual_seed(0))
    a = sigma_star(removed, 1.0, 0.1, 5, torch.Generator().manual_seed(2))
    b = sigma_star(removed, 1.0, 0.1, 5, torch.Generator().manual_seed(2))
    assert a == b
