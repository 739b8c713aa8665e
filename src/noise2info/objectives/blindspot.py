"""The blind-spot objective of Noise2Self / Noise2Void: the masked pass predicts X on J.

References
----------
Batson, Royer, "Noise2Self: Blind denoising by self-supervision", ICML 2019.
Krull, Buchholz, Jug, "Noise2Void", CVPR 2019.
"""

from __future__ import annotations

import torch
from torch import nn

from .base import Batch, Objective, predict_fp32


class BlindSpot(Objective):
    """loss = mean over masked pixels J of (F(X_Jc) - X)^2."""

    def __call__(self, model: nn.Module, batch: Batch) -> dict[str, torch.Tensor]:
        f_masked = predict_fp32(model, batch.masked)
        loss = torch.sum(((f_masked - batch.noisy) ** 2)[batch.mask]) / batch.mask.sum().clamp(min=1)
        return {"loss": loss}
