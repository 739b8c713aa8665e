"""The noise readout: the noise std read from a trained denoiser, calibrated by probes.

Algorithm 1's sigma* is an upper bound: it over-counts by about mse(F(X), Y) - E_l, which
stays large while F is under-trained (+10-20 % on short CPU runs). The readout measures the
noise that F removes instead, where the signal is weakest, and corrects for what F leaves:

1. r = X - F(X), the removed noise, at the finest scale: the diagonal Haar detail h(r)
   (orthonormal, so white noise of std s gives coefficients of std s; smooth signal and most
   of F's error cancel in it).
2. The same network on X + delta z, with z white unit-variance probes, gives the linear
   response (I - J) z of the removed noise to white noise, J the Jacobian of F: what F does
   to the noise itself (it keeps part of it, and spreads it to neighbours).
3. sigma = Q(|h(r)|) / Q(|h((I - J) z)|), Q a low quantile: robust to the edges and texture
   where signal leaks into h(r); the probe makes it independent of how much noise F keeps.

The quantiles of the two are compared, so noise whose fine-scale coefficients are close to
Gaussian is read without bias (a coefficient sums several noise values). Measured on
synthetic noise: docs/benchmarks.md, "Noise readout".
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
import torch.distributed as dist
from torch import nn

QUANTILE = 0.25
PROBE_STEP = 1e-2  # delta, in normalised units (data has unit std): the network is piecewise linear


def haar_detail(x: torch.Tensor) -> torch.Tensor:
    """The finest diagonal Haar detail of ``(B, C, *spatial)`` (2 or 3 spatial axes), flattened
    per sample and channel: ``(B, C, n)``. Orthonormal: white noise of std s gives
    coefficients of std s. Odd trailing rows / columns are dropped."""
    dims = x.ndim - 2
    x = x[(..., *[slice(0, s - s % 2) for s in x.shape[2:]])]
    out = torch.zeros(())
    for corner in np.ndindex(*(2,) * dims):
        sign = (-1) ** sum(corner)
        out = out + sign * x[(..., *[slice(c, None, 2) for c in corner])]
    return (out / 2 ** (dims / 2)).flatten(2)


@dataclass
class ReadoutStatistics:
    """The fine-scale coefficients of the removed noise and of the probes' responses."""

    removed: list[torch.Tensor] = field(default_factory=list)
    probes: list[torch.Tensor] = field(default_factory=list)

    @torch.no_grad()
    def add(
        self,
        model: nn.Module,
        x: torch.Tensor,
        f_x: torch.Tensor,
        generator: torch.Generator,
        probes: int = 1,
    ):
        """Add one batch: ``x`` normalised noisy patches, ``f_x = model(x)`` (already computed)."""
        self.removed.append(haar_detail((x - f_x).double()).abs().flatten().cpu().float())
        for _ in range(probes):
            z = torch.randn(tuple(x.shape), generator=generator).to(x.device, x.dtype)
            response = z - (model(x + PROBE_STEP * z) - f_x) / PROBE_STEP  # (I - J) z
            self.probes.append(haar_detail(response.double()).abs().flatten().cpu().float())

    def merged_across_ranks(self) -> ReadoutStatistics:
        gathered: list = [None] * dist.get_world_size()
        dist.all_gather_object(gathered, (torch.cat(self.removed), torch.cat(self.probes)))
        return ReadoutStatistics([g[0] for g in gathered], [g[1] for g in gathered])

    def sigma(self, quantile: float = QUANTILE) -> float | None:
        """The readout: Q(|h(r)|) / Q(|h((I - J) z)|); None without data."""
        if not self.removed or not self.probes:
            return None
        r, z = torch.cat(self.removed), torch.cat(self.probes)
        if r.numel() == 0 or z.numel() == 0:
            return None
        qz = float(torch.quantile(_sample(z), quantile))
        return float(torch.quantile(_sample(r), quantile)) / qz if qz > 0 else None


def _sample(values: torch.Tensor, most: int = 4_000_000) -> torch.Tensor:
    # torch.quantile refuses very large inputs; a fixed stride keeps it deterministic.
    return values if values.numel() <= most else values[:: -(-values.numel() // most)]


@torch.no_grad()
def noise_readout(model: nn.Module, batches, generator: torch.Generator, probes: int = 1) -> float | None:
    """The readout (see the module) of a fixed F on ``batches`` of normalised noisy patches
    ``(B, C, *spatial)``. The model is put in eval mode for it and its mode restored."""
    was_training = model.training
    model.eval()
    stats = ReadoutStatistics()
    try:
        for x in batches:
            stats.add(model, x, model(x), generator, probes)
    finally:
        model.train(was_training)
    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        stats = stats.merged_across_ranks()
    return stats.sigma()
