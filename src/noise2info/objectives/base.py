"""The one objective contract: ``objective(model, batch) -> terms``.

Every objective is a small class whose ``__call__`` takes the network and a
:class:`Batch` and returns a dict of scalar tensors with at least ``"loss"`` (the value to
minimise); the other entries are logged under their own names. A new objective is one new
file that subclasses :class:`Objective`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass
class Batch:
    """One training batch, all tensors ``(B, C, *spatial)`` on the same device.

    ``noisy`` is X, ``masked`` is X with the pixels in ``mask`` (J) replaced, ``clean`` is Y
    when it is known (supervised benchmarks only).
    """

    noisy: torch.Tensor
    masked: torch.Tensor
    mask: torch.Tensor
    clean: torch.Tensor | None = None


def predict_fp32(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """F(x) as float32: under mixed precision the network may run in bf16, the loss never does."""
    return model(x).float()


class Objective:
    """Base class: subclasses implement ``__call__(model, batch) -> dict[str, Tensor]``."""

    name: str = "objective"

    def __call__(self, model: nn.Module, batch: Batch) -> dict[str, torch.Tensor]:
        raise NotImplementedError
