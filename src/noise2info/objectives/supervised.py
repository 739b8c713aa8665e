"""Supervised training on clean targets (Noise2True): the ceiling in benchmarks."""

from __future__ import annotations

import torch
from torch import nn

from .base import Batch, Objective, predict_fp32


class Supervised(Objective):
    """loss = mean over all pixels of (F(X) - Y)^2; needs ``batch.clean``."""

    needs_clean = True
    needs_mask = False

    def __call__(self, model: nn.Module, batch: Batch) -> dict[str, torch.Tensor]:
        if batch.clean is None:  # the trainer checks first; this guards direct calls
            raise ValueError("the supervised objective needs clean targets")
        loss = torch.mean((predict_fp32(model, batch.noisy) - batch.clean) ** 2)
        return {"loss": loss}
