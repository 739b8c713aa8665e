"""Rating a denoised image without its clean version, tile by tile: Noise2Same's bound on the
network's own error, and the expected gain of the output as written (:mod:`noise2info.safety`);
pooled over tiles and pixel-shuffled sub-images, and the ``--safe`` blend toward the input.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from .config import MaskingConfig
from .correlation import NoiseProbe
from .masking import Masker
from .objectives.noise2same import reconstruction_and_invariance
from .posterior import posterior_divergence, posterior_mean
from .readout import PROBE_STEP
from .safety import MAX_GAIN_DB, expected_gain, risk_sums

# Masks per tile for the error bound: enough for about 4096 masked pixels (inv to a few %),
# at most 16 extra passes.
BOUND_MASKED, BOUND_DRAWS = 4096, 16
_NO_BOUND = ("sigma", "L_in", "inv", "mse_bound", "gain_db")


def error_bound(l_in: float, inv: float, sigma: float) -> float:
    """Noise2Same's upper bound on the denoiser's own error, no clean image needed:
    mse(F(X), Y) <= L_in + 2 sigma sqrt(inv) - sigma^2, for zero-mean noise of std sigma
    independent from pixel to pixel (method.md, Eq. 1; all in normalised units).

    References
    ----------
    Xie, Wang, Ji, "Noise2Same", NeurIPS 2020, Theorem 2.
    """
    return l_in + 2.0 * sigma * math.sqrt(max(inv, 0.0)) - sigma**2


def expected_gain_db(mse_bound: float, sigma: float) -> float:
    """The PSNR gain that :func:`error_bound` guarantees: 10 log10(sigma^2 / bound), the noisy
    input's mse being sigma^2 (capped at 60 dB where the bound reaches 0)."""
    if mse_bound <= 0:
        return MAX_GAIN_DB
    return min(MAX_GAIN_DB, 10.0 * math.log10(sigma**2 / mse_bound))


@torch.inference_mode()
def bound_sums(net: nn.Module, x: np.ndarray, f_x: np.ndarray, keep: tuple, masker: Masker, draws: int):
    """Sums over the kept region (spatial slices ``keep``) of one tile: ``(sum (F(X) - X)^2,
    pixels, sum over masked pixels of (F(X) - F(X_Jc))^2, masked pixels)`` for ``draws``
    masks."""
    device = next(net.parameters()).device
    xt = torch.from_numpy(np.ascontiguousarray(x))[None].to(device)
    ft = torch.from_numpy(np.ascontiguousarray(f_x))[None].to(device)
    crop = (slice(None), slice(None), *keep)  # the kept region, batch and channel axes whole
    inv_sum = masked = 0.0
    for _ in range(draws):
        x_jc, mask = masker(xt)
        # The objective's own L_in and inv on the kept region, back to sums so tiles pool.
        l_in, inv = reconstruction_and_invariance(ft[crop], net(x_jc).float()[crop], xt[crop], mask[crop])
        n_masked = int(mask[crop].sum())
        inv_sum += float(inv) * n_masked
        masked += n_masked
    n = ft[crop].numel()
    return float(l_in) * n, n, inv_sum, masked


def bound_report(sums: np.ndarray, sigma: float | None) -> dict:
    """The bound of one image from its tiles' :func:`bound_sums`: ``sigma``, ``L_in``, ``inv``,
    ``mse_bound`` (normalised units) and ``gain_db`` (None without a noise level or a masked
    pixel)."""
    if sigma is None or sums[1] == 0 or sums[3] == 0:
        return {**dict.fromkeys(_NO_BOUND), "sigma": sigma}
    l_in, inv = sums[0] / sums[1], sums[2] / sums[3]
    bound = error_bound(l_in, inv, sigma)
    return {
        "sigma": float(sigma),
        "L_in": float(l_in),
        "inv": float(inv),
        "mse_bound": float(bound),
        "gain_db": round(expected_gain_db(bound, sigma), 2),
    }


def pooled_bound(bounds: list[dict]) -> dict:
    """One image's bound from its sub-images' (each the same share of its pixels)."""
    if any(b["mse_bound"] is None for b in bounds):
        return dict.fromkeys(_NO_BOUND)
    sigma = math.sqrt(np.mean([b["sigma"] ** 2 for b in bounds]))
    mse = float(np.mean([b["mse_bound"] for b in bounds]))
    return {
        "sigma": sigma,
        "L_in": float(np.mean([b["L_in"] for b in bounds])),
        "inv": float(np.mean([b["inv"] for b in bounds])),
        "mse_bound": mse,
        "gain_db": round(expected_gain_db(mse, sigma), 2),
    }


def gain_report(sigma: float | None, sums: np.ndarray | None) -> dict:
    """``sigma`` and :func:`noise2info.safety.expected_gain` of the risk sums (all None without
    a noise level)."""
    return {"sigma": sigma, **expected_gain(np.zeros(3) if sums is None else sums)}


class TileRating:
    """The ratings of one image, accumulated tile by tile.

    Parameters
    ----------
    predict : callable
        ``predict(x)``: the network on one normalised tile, without TTA.
    net : nn.Module
        The network itself (the bound's masked passes).
    sigmas : list of float or None
        The image's noise std per channel, normalised units (None: nothing can be rated).
    lags : dict or None
        The noise's correlation (``plan.noise_covariance``, else ``plan.noise_lags``): the
        gain's probe carries it, so the divergence reads tr(J C) as the risk needs.
    scale : array-like
        Each channel's normalisation std: the risk sums in intensity units, so tiles pool.
    channels : list or None
        The noise's correlation between channels (``plan.noise_channels``) where one network
        sees all the channels: the probe carries it too.
    bound, gain : bool
        Which ratings to make.
    posterior : bool
        The output is the posterior step's: the gain rates it, not the network's.
    floor : float
        The posterior step's least gain (``plan.posterior_floor``).
    start : callable or None
        ``start(x)``: the shipped start on one normalised tile, without TTA, where the output
        mixes in its own prediction (``plan.start_share``); the gain rates the mix, the start's
        response to the probe included.
    share : float
        The start's share of the output (``plan.start_share``; used only with ``start``).
    seed : int
        Seed of the bound's masks and the gain's probes.
    """

    def __init__(
        self,
        predict: Callable[[np.ndarray], np.ndarray],
        net: nn.Module,
        sigmas: list[float] | None,
        lags: dict | None,
        scale,
        *,
        channels: list | None = None,
        bound: bool,
        gain: bool,
        posterior: bool,
        floor: float = 0.0,
        start: Callable[[np.ndarray], np.ndarray] | None = None,
        share: float = 0.0,
        seed: int,
    ):
        self.predict, self.net, self.sigmas, self.scale = predict, net, sigmas, scale
        self.start, self.share = (start, float(share)) if start is not None and share else (None, 0.0)
        self.probe = NoiseProbe.of(lags, channels)  # built once: the filter's FFT, the mixing's eigh
        self.floor = floor
        self.sigma = None if sigmas is None else float(np.sqrt(np.mean(np.square(sigmas))))
        self.bound_on, self.gain_on, self.posterior = (
            bound and sigmas is not None,
            gain and sigmas is not None,
            posterior,
        )
        self.masker = Masker(MaskingConfig(replacement="donut"), torch.Generator().manual_seed(seed))
        self.probes = np.random.default_rng(seed)
        self.bound_sums, self.gain_sums = np.zeros(4), np.zeros(3)

    @property
    def active(self) -> bool:
        return self.bound_on or self.gain_on

    def add(self, x: np.ndarray, plain: np.ndarray, pred: np.ndarray, keep: tuple, tta: bool) -> None:
        """Rate one tile: ``x`` the normalised input, ``plain`` the network's output without
        TTA, ``pred`` the output as written (with TTA and the posterior step where used)."""
        if self.bound_on:  # the bound rates F itself, less TTA
            per_draw = self.masker.config.percent / 100 * math.prod(x.shape)
            draws = min(BOUND_DRAWS, max(1, math.ceil(BOUND_MASKED / per_draw)))
            self.bound_sums += bound_sums(self.net, x, plain, keep, self.masker, draws)
        if self.gain_on:  # the output as written, less TTA
            white = self.probes.standard_normal(x.shape)
            probe = self.probe(white).astype(np.float32)
            step = PROBE_STEP * self._channel_weights(x.ndim)
            j = probe * (self.predict(x + step * probe) - plain) / step
            rated = pred  # the output as written; with TTA, made again without it
            if tta:
                rated = posterior_mean(x, plain, self.sigmas, floor=self.floor) if self.posterior else plain
            if self.posterior:
                j = posterior_divergence(x, plain, self.sigmas, j, floor=self.floor)
            if self.start is not None:  # the output mixes in the start's own prediction
                own = self.start(x)
                if tta:
                    rated = (1 - self.share) * rated + self.share * own
                j = (1 - self.share) * j + self.share * probe * (self.start(x + step * probe) - own) / step
            k = (slice(None), *keep)
            self.gain_sums += risk_sums(x[k], rated[k], j[k], self.sigmas, self.scale)

    def _channel_weights(self, ndim: int) -> np.ndarray | float:
        """Each channel's noise std over their rms, where the probe is mixed across channels
        (else 1). Noise of std sigma_c and correlation R between channels has covariance
        S (R x C) S: the probe enters as S b and is read back over sigma_c, so the cross-channel
        terms of the divergence weigh sigma_c sigma_c', as the risk needs (:func:`risk_sums`
        weighs each channel's divergence by sigma_c^2)."""
        if self.probe.mixing is None:
            return 1.0
        s = np.asarray(self.sigmas, np.float64)
        return (s / np.sqrt(np.mean(s**2))).reshape(-1, *[1] * (ndim - 1)).astype(np.float32)

    def bound(self) -> dict:
        return bound_report(self.bound_sums, self.sigma)

    def gain(self) -> tuple[float, np.ndarray] | None:
        """``(sigma, risk sums)`` for pooling (:func:`gain_report` makes the report)."""
        return (self.sigma, self.gain_sums) if self.gain_on else None


def blend(noisy, denoised, weight: float) -> np.ndarray:
    """``w f + (1 - w) X``: the blend of least estimated error (``--safe``; the weight is
    :func:`noise2info.safety.expected_gain`'s ``blend``)."""
    return weight * np.asarray(denoised, np.float64) + (1 - weight) * np.asarray(noisy, np.float64)
