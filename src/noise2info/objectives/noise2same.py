"""The Noise2Same objective (method.md, Eq. 1 and 5): L_in + 2 sigma_loss L_ex.

References
----------
Xie, Wang, Ji, "Noise2Same: Optimizing a self-supervised bound for image denoising",
NeurIPS 2020. Wang, Di, Chen, Ng, "Noise2Info", ICCV 2023.
"""

from __future__ import annotations

import torch
from torch import nn

from .base import Batch, Objective, predict_fp32


def reconstruction_and_invariance(
    f_x: torch.Tensor, f_masked: torch.Tensor, x: torch.Tensor, mask: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Return ``(L_in, inv)``.

    L_in = mean over all pixels of (F(X) - X)^2;
    inv  = mean over masked pixels J of (F(X) - F(X_Jc))^2.
    """
    l_in = torch.mean((f_x - x) ** 2)
    inv = torch.sum(((f_x - f_masked) ** 2)[mask]) / mask.sum().clamp(min=1)
    return l_in, inv


class Noise2Same(Objective):
    """loss = L_in + 2 * sigma_loss * L_ex, with L_ex = sqrt(inv).

    Parameters
    ----------
    sigma_loss : float
        The noise-std weight: 1 for Noise2Same, the true sigma_n for its oracle variant, and
        lowered by the estimator during training for Noise2Info.
    """

    def __init__(self, sigma_loss: float = 1.0):
        self.sigma_loss = float(sigma_loss)

    def __call__(self, model: nn.Module, batch: Batch) -> dict[str, torch.Tensor]:
        f_x = predict_fp32(model, batch.noisy)
        f_masked = predict_fp32(model, batch.masked)
        L_in, inv = reconstruction_and_invariance(f_x, f_masked, batch.noisy, batch.mask)
        # A tiny floor keeps the gradient of sqrt finite when the two passes agree exactly.
        L_ex = torch.sqrt(inv + 1e-12)
        loss = L_in + 2.0 * self.sigma_loss * L_ex
        return {"loss": loss, "L_in": L_in, "L_ex": L_ex, "inv": inv}
