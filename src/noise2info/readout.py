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
3. sigma^2 = sum_p Q_p(|h(r)|)^2 / sum_p Q_p(|h((I - J) z)|)^2, Q_p a low quantile of patch
   p's coefficients: robust to the edges and texture where signal leaks into h(r); the probe
   makes it independent of how much noise F keeps; per patch and pooled as an rms, because
   after each image's normalisation the noise level differs from image to image.

The quantiles of the two are compared, so noise whose fine-scale coefficients are close to
Gaussian is read without bias (a coefficient sums several noise values). Measured on
synthetic noise: docs/notes/benchmarks.md, "Noise readout".
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
import torch.distributed as dist
from torch import nn

QUANTILE = 0.25
PROBE_STEP = 1e-2  # delta, in normalised units (data has unit std): the network is piecewise linear


def _corners(x: torch.Tensor):
    dims = x.ndim - 2
    x = x[(..., *[slice(0, s - s % 2) for s in x.shape[2:]])]
    for corner in np.ndindex(*(2,) * dims):
        yield (-1) ** sum(corner), x[(..., *[slice(c, None, 2) for c in corner])]


def haar_mean(x: torch.Tensor) -> torch.Tensor:
    """The mean of each 2x2 (2x2x2) block, aligned with :func:`haar_detail`: ``(B, C, n)``."""
    blocks = [part for _, part in _corners(x)]
    return (sum(blocks) / len(blocks)).flatten(2)


def haar_detail(x: torch.Tensor) -> torch.Tensor:
    """The finest diagonal Haar detail of ``(B, C, *spatial)`` (2 or 3 spatial axes), flattened
    per sample and channel: ``(B, C, n)``. Orthonormal: white noise of std s gives
    coefficients of std s. Odd trailing rows / columns are dropped."""
    dims = x.ndim - 2
    out = sum(sign * part for sign, part in _corners(x))
    return (out / 2 ** (dims / 2)).flatten(2)


@dataclass
class ReadoutStatistics:
    """The fine-scale coefficients of the removed noise and of the probes' responses."""

    removed: list[torch.Tensor] = field(default_factory=list)
    probes: list[torch.Tensor] = field(default_factory=list)
    level: list[torch.Tensor] = field(default_factory=list)  # F(X) around each removed coefficient
    probe_level: list[torch.Tensor] = field(default_factory=list)  # and around each probe's
    # Each patch's quantile: patches of differently scaled images hold different noise levels
    # in normalised units, and a quantile of their mixture is not their rms.
    removed_q: list[torch.Tensor] = field(default_factory=list)
    probes_q: list[torch.Tensor] = field(default_factory=list)
    # The coefficients themselves (and their levels) serve only the noise level function;
    # the training rounds need the per-patch quantiles alone.
    keep_coefficients: bool = True

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
        detail = haar_detail((x - f_x).double()).abs()
        self.removed_q.append(patch_quantiles(detail).cpu())
        keep = self.keep_coefficients
        if keep:
            self.removed.append(detail.flatten().cpu().float())
            level = haar_mean(f_x.double()).flatten().cpu().float()
            self.level.append(level)
        for _ in range(probes):
            if keep:
                self.probe_level.append(level)
            z = torch.randn(tuple(x.shape), generator=generator).to(x.device, x.dtype)
            response = z - (model(x + PROBE_STEP * z) - f_x) / PROBE_STEP  # (I - J) z
            detail = haar_detail(response.double()).abs()
            self.probes_q.append(patch_quantiles(detail).cpu())
            if keep:
                self.probes.append(detail.flatten().cpu().float())

    def merged_across_ranks(self) -> ReadoutStatistics:
        gathered: list = [None] * dist.get_world_size()
        fields = (self.removed, self.probes, self.level, self.probe_level, self.removed_q, self.probes_q)
        dist.all_gather_object(gathered, [torch.cat(v) if v else torch.empty(0) for v in fields])
        merged = ([g[i] for g in gathered] for i in range(len(fields)))
        return ReadoutStatistics(*merged, keep_coefficients=self.keep_coefficients)

    def sigma(self) -> float | None:
        """The readout, sqrt(sum_p Q_p(|h(r)|)^2 / sum_p Q_p(|h((I - J) z)|)^2) over patches p:
        each patch's level, pooled as an rms like sigma_n; None without data."""
        if not self.removed_q or not self.probes_q:
            return None
        r, z = torch.cat(self.removed_q), torch.cat(self.probes_q)
        den = float(z.square().mean())
        return float(np.sqrt(float(r.square().mean()) / den)) if r.numel() and den > 0 else None


def patch_quantiles(detail: torch.Tensor) -> torch.Tensor:
    """QUANTILE of each patch's coefficients (all channels): ``(B,)``, on their device."""
    return torch.quantile(detail.flatten(1).float(), QUANTILE, dim=1)


def _sample(values: torch.Tensor, most: int = 4_000_000) -> torch.Tensor:
    # torch.quantile refuses very large inputs; a fixed stride keeps it deterministic.
    return values if values.numel() <= most else values[:: -(-values.numel() // most)]


@torch.no_grad()
def collect_readout(
    model: nn.Module, batches, generator: torch.Generator, probes: int = 1, keep_coefficients: bool = True
) -> ReadoutStatistics:
    """The statistics of the readout (see the module) of a fixed F on ``batches`` of
    normalised noisy patches ``(B, C, *spatial)``, all ranks' together. The model is put in
    eval mode for it and its mode restored."""
    was_training = model.training
    model.eval()
    stats = ReadoutStatistics(keep_coefficients=keep_coefficients)
    try:
        for x in batches:
            stats.add(model, x, model(x), generator, probes)
    finally:
        model.train(was_training)
    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        stats = stats.merged_across_ranks()
    return stats


def noise_readout(model: nn.Module, batches, generator: torch.Generator, probes: int = 1) -> float | None:
    """The readout sigma of a fixed F on ``batches`` (:func:`collect_readout`)."""
    return collect_readout(model, batches, generator, probes, keep_coefficients=False).sigma()


def noise_level_function(parts: list[tuple[ReadoutStatistics, float, float]], bins: int = 16) -> dict:
    """The noise std as a function of intensity, in the images' own units, and the fitted
    Poisson-Gaussian line var = a * intensity + b^2 (X = a Poisson(Y / a) + N(0, b^2)).

    Parameters
    ----------
    parts : list of (ReadoutStatistics, mean, std)
        Each image's statistics with the mean and std it was normalised by.
    bins : int
        Intensity bins, of equal coefficient counts.

    Returns
    -------
    dict
        ``intensity`` and ``sigma`` per bin (the rms of the bin's fine-scale removed noise
        over that of the probes' response, in intensity units),
        ``a`` and ``b`` of the fit (weighted least squares of sigma^2 on intensity, a and b^2
        kept >= 0).
    """
    lv = torch.cat([torch.cat(st.level) * std + mean for st, mean, std in parts])
    r = torch.cat([torch.cat(st.removed) * std for st, _, std in parts])
    lz = torch.cat([torch.cat(st.probe_level) * std + mean for st, mean, std in parts])
    z = torch.cat([torch.cat(st.probes) for st, _, _ in parts])
    bins = max(2, min(bins, lv.numel() // 100))  # at least ~100 coefficients a bin
    edges = torch.quantile(_sample(lv), torch.linspace(0, 1, bins + 1, dtype=lv.dtype))
    intensity, sigma, counts = [], [], []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        inside, inside_z = (lv >= lo) & (lv <= hi), (lz >= lo) & (lz <= hi)
        if inside.sum() < 20 or inside_z.sum() < 20:
            continue
        # Second moments, not quantiles: the shape of the noise changes with intensity
        # (few photons are far from Gaussian), its variance is what the line describes.
        mz = float(z[inside_z].double().square().mean())
        if mz <= 0:
            continue
        intensity.append(float(lv[inside].mean()))
        sigma.append(float(np.sqrt(float(r[inside].double().square().mean()) / mz)))
        counts.append(int(inside.sum()))
    a, b = fit_line(np.array(intensity), np.array(sigma) ** 2, np.array(counts, dtype=float))
    return {"intensity": intensity, "sigma": sigma, "a": a, "b": b}


def fit_line(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[float | None, float | None]:
    """y = a x + c by weighted least squares with a, c >= 0; returns (a, sqrt(c))."""
    if len(x) < 2:
        return None, None
    A = np.stack([x, np.ones_like(x)], 1) * np.sqrt(w)[:, None]
    (a, c), *_ = np.linalg.lstsq(A, y * np.sqrt(w), rcond=None)
    if a < 0:  # no signal dependence: a constant
        a, c = 0.0, float(np.average(y, weights=w))
    elif c < 0:  # pure Poisson: through the origin
        c, a = 0.0, float(np.sum(w * x * y) / np.sum(w * x * x))
    return float(a), float(np.sqrt(c))
