"""Stein's unbiased risk estimate with a per-patch noise readout: Noise2Info's second stage.

For X = Y + N with white noise of std s, SURE estimates mse(F(X), Y) without Y:

    mean (F(X) - X)^2 - s^2 + 2 s^2 div F(X) / n,

the divergence from one white probe b: b . (F(X + eps b) - F(X)) / eps (Monte-Carlo SURE).
Unlike the blind-spot and Noise2Same objectives it uses every pixel's own value. s is read per
patch from the same two passes, as :mod:`noise2info.readout` reads it: a low quantile of the
fine-scale removed noise over that of the probe's response (I - J) b. So each patch carries
its own level (images normalised one by one hold different levels; signal-dependent noise
differs from patch to patch) and no global estimate has to be right for every image.

References
----------
Stein, "Estimation of the mean of a multivariate normal distribution", Ann. Stat. 1981.
Ramani, Blu, Unser, "Monte-Carlo SURE", IEEE TIP 2008.
Soltanayev, Chun, "Training deep learning based denoisers without ground truth data",
NeurIPS 2018.
"""

from __future__ import annotations

import torch
from torch import nn

from ..readout import haar_detail, patch_quantiles
from .base import Batch, Objective

SURE_STEP = 1e-3  # eps, normalised units: the network is piecewise linear, fp32 keeps 4 digits


class Sure(Objective):
    """loss = mean over patches of mean (F(X) - X)^2 - s_p^2 + 2 s_p^2 div_p, s_p each
    patch's noise readout (no gradient through it). Needs ``batch.probe``."""

    needs_mask = False
    needs_probe = True

    def __call__(self, model: nn.Module, batch: Batch) -> dict[str, torch.Tensor]:
        x, b = batch.noisy, batch.probe
        # A finite difference of eps = 1e-3 is lost in bf16: these passes run in fp32.
        with torch.autocast(x.device.type, enabled=False):
            f_x = model(x).float()
            f_b = model(x + SURE_STEP * b).float()
        div = (b * (f_b - f_x)).flatten(1).mean(1) / SURE_STEP
        L_in = ((f_x - x) ** 2).flatten(1).mean(1)
        with torch.no_grad():
            removed = patch_quantiles(haar_detail((x - f_x).double()).abs())
            response = patch_quantiles(haar_detail((b - (f_b - f_x) / SURE_STEP).double()).abs())
            s2 = (removed / response.clamp(min=1e-12)).square().to(x.dtype)  # no host sync
        sure = L_in - s2 + 2 * s2 * div
        return {"loss": sure.mean(), "L_in": L_in.mean(), "div": div.mean(), "sigma_patch": s2.sqrt().mean()}
