"""Algorithm 1 of Noise2Info: an upper-bound estimate sigma* of the noise std sigma_n.

References
----------
Wang, Di, Chen, Ng, "Noise2Info: Noisy Image to Information of Noise for Self-Supervised
Image Denoising", ICCV 2023, Lemmas 1-3 and Algorithm 1.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import torch
import torch.distributed as dist
from torch import nn

from .objectives.base import Batch, make_batch
from .objectives.noise2same import reconstruction_and_invariance


def sigma_star(
    removed: torch.Tensor,
    l_in: float,
    inv: float,
    k_mc: int = 10,
    generator: torch.Generator | None = None,
) -> float | None:
    r"""Noise2Info's estimate sigma* of the noise std (Algorithm 1).

    .. math::

        \sigma^* = \sqrt{inv} + \sqrt{inv + L_{in} - E_l}

    where E_l is a lower estimate of mse(F(X), Y) built from the removed noise alone: each
    patch's sorted values r_i are matched against sorted samples s of the pooled values (the
    maximum-likelihood noise distribution, Lemma 2), E_l = mean_k mean_ij (r_ij - s_kj)^2.

    Parameters
    ----------
    removed : torch.Tensor, shape (n_patches, m)
        One row per patch: the values of R(X) = F(X) - X flattened over pixels and channels,
        in any order.
    l_in : float
        L_in, the mean over all pixels of (F(X) - X)^2 on the estimation batches.
    inv : float
        The invariance term: mean over masked pixels of (F(X) - F(X_Jc))^2.
    k_mc : int
        Monte-Carlo draws of s from the pool.
    generator : torch.Generator, optional
        Seeded source of the draws.

    Returns
    -------
    sigma : float or None
        sigma*, or None when inv + l_in - E_l < 0 (no estimate this round).
    """
    if removed.ndim != 2 or removed.shape[0] < 1 or removed.shape[1] < 1:
        raise ValueError(
            f"removed must be a non-empty 2-D tensor (patches, values), got {tuple(removed.shape)}"
        )
    if k_mc < 1:
        raise ValueError(f"k_mc must be >= 1, got {k_mc}")
    r = torch.sort(removed.detach().to("cpu", torch.float64), dim=1).values
    n, m = r.shape
    pool = r.reshape(-1)
    idx = torch.randint(0, pool.numel(), (k_mc, m), generator=generator)
    s = torch.sort(pool[idx], dim=1).values  # (k_mc, m)
    # mean_ij (r_ij - s_j)^2 = mean(r^2) - 2 mean_j(s_j * mean_i r_ij) + mean_j(s_j^2):
    # exact, and avoids a (k_mc, n, m) tensor.
    r_bar = r.mean(dim=0)
    e_per_draw = (r**2).mean() - 2.0 * (s * r_bar).mean(dim=1) + (s**2).mean(dim=1)
    e_l = float(e_per_draw.mean())
    radicand = inv + l_in - e_l
    if not math.isfinite(radicand) or radicand < 0:
        return None
    return math.sqrt(max(inv, 0.0)) + math.sqrt(radicand)


@dataclass
class SigmaStatistics:
    """What one estimation round accumulates over its k_u batches."""

    sq_err_sum: float = 0.0  # sum over all pixels of (F(X) - X)^2
    pixel_count: int = 0
    inv_sum: float = 0.0  # sum over masked pixels of (F(X) - F(X_Jc))^2
    mask_count: int = 0
    rows: list[torch.Tensor] = field(default_factory=list)

    @property
    def l_in(self) -> float:
        return self.sq_err_sum / max(self.pixel_count, 1)

    @property
    def inv(self) -> float:
        return self.inv_sum / max(self.mask_count, 1)

    def removed(self) -> torch.Tensor:
        return torch.cat(self.rows, dim=0)

    def merged_across_ranks(self) -> SigmaStatistics:
        """The statistics of all ranks' patches together (torch.distributed).

        Sums and counts are all-reduced; the removed-noise rows are all-gathered in rank
        order, so every rank holds the same pool and, with the same generator state, ends the
        round with the same sigma* as one process working on the union of the patches.
        """
        device = torch.device("cuda", torch.cuda.current_device()) if dist.get_backend() == "nccl" else None
        totals = torch.tensor(
            [self.sq_err_sum, self.pixel_count, self.inv_sum, self.mask_count],
            dtype=torch.float64,
            device=device,
        )
        dist.all_reduce(totals)
        removed = self.removed().to(device)
        world = dist.get_world_size()
        counts = [torch.zeros(1, dtype=torch.int64, device=device) for _ in range(world)]
        dist.all_gather(counts, torch.tensor([removed.shape[0]], dtype=torch.int64, device=device))
        # all_gather needs equal shapes: pad every rank's rows to the largest count, then trim.
        most = max(int(c) for c in counts)
        padded = torch.zeros((most, removed.shape[1]), dtype=removed.dtype, device=device)
        padded[: removed.shape[0]] = removed
        gathered = [torch.empty_like(padded) for _ in range(world)]
        dist.all_gather(gathered, padded)
        rows = [g[: int(c)].cpu() for g, c in zip(gathered, counts, strict=True)]
        sq, pixels, inv, masked = totals.tolist()
        return SigmaStatistics(sq, int(pixels), inv, int(masked), rows)


@torch.no_grad()
def collect_statistics(model: nn.Module, batches: Iterable[Batch]) -> SigmaStatistics:
    """Run the full and masked passes of a fixed F over ``batches`` (step 1-2 of Algorithm 1)."""
    stats = SigmaStatistics()
    for batch in batches:
        f_x, f_masked, x = model(batch.noisy).double(), model(batch.masked).double(), batch.noisy.double()
        # The objective's own L_in and inv, as sums so rounds and ranks can pool them.
        l_in, inv = reconstruction_and_invariance(f_x, f_masked, x, batch.mask)
        masked = int(batch.mask.sum())
        stats.sq_err_sum += float(l_in) * x.numel()
        stats.pixel_count += x.numel()
        stats.inv_sum += float(inv) * masked
        stats.mask_count += masked
        stats.rows.append((f_x - x).flatten(1).cpu())
    return stats


def estimation_batches(sampler, masker, batch_size: int, count: int, device: torch.device) -> Iterable[Batch]:
    """``count`` fresh masked batches for a sigma round, drawn from ``sampler`` (a
    :class:`~noise2info.data.PatchSampler`) and ``masker``'s own streams."""
    return (make_batch(sampler.sample(batch_size)[0], None, masker, device) for _ in range(count))


def sigma_round(
    model: nn.Module,
    batches: Iterable[Batch],
    k_mc: int = 10,
    generator: torch.Generator | None = None,
) -> dict:
    """One estimation round: statistics of a fixed F, then :func:`sigma_star`.

    Returns a dict with ``sigma_star`` (float or None), ``L_in`` and ``inv``. The model is
    put in eval mode for the round and its previous mode restored.
    """
    was_training = model.training
    model.eval()
    try:
        stats = collect_statistics(model, batches)
    finally:
        model.train(was_training)
    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        stats = stats.merged_across_ranks()
    if stats.pixel_count == 0 or stats.mask_count == 0:  # nothing to estimate from
        return {"sigma_star": None, "L_in": float("nan"), "inv": float("nan")}
    star = sigma_star(stats.removed(), stats.l_in, stats.inv, k_mc, generator)
    return {"sigma_star": star, "L_in": stats.l_in, "inv": stats.inv}
