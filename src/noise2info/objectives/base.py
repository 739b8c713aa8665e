"""The one objective contract: ``objective(model, batch) -> terms``.

Every objective is a small class whose ``__call__`` takes the network and a
:class:`Batch` and returns a dict of scalar tensors with at least ``"loss"`` (the value to
minimise); the other entries are logged under their own names. Class attributes say what the
objective needs, so the trainer asks instead of comparing method names. A new objective is
one new file that subclasses :class:`Objective` (see docs/adding-a-method.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn


@dataclass
class Batch:
    """One training batch, all tensors ``(B, C, *spatial)`` on the same device.

    ``noisy`` is X, ``masked`` is X with the pixels in ``mask`` (J) replaced (None for an
    objective without masks), ``clean`` is Y when it is known (supervised benchmarks only),
    ``probe`` white unit-variance noise of X's shape for an objective that probes F.
    """

    noisy: torch.Tensor
    masked: torch.Tensor | None = None
    mask: torch.Tensor | None = None
    clean: torch.Tensor | None = None
    probe: torch.Tensor | None = None


@dataclass(frozen=True)
class SigmaSchedule:
    """Noise2Info's alternation (Algorithm 2): a sigma round of k_u estimation batches after
    ``first_round`` training steps and then after every k_t more, E_l from k_mc Monte-Carlo
    draws."""

    k_t: int
    k_u: int
    k_mc: int
    first_round: int
    last_step: int | None = None  # no rounds after it (a second stage needs none)

    def is_round(self, step: int) -> bool:
        """Whether a sigma round follows training step ``step`` (counted from 1)."""
        if self.last_step is not None and step > self.last_step:
            return False
        return step >= self.first_round and (step - self.first_round) % self.k_t == 0

    def rounds(self, steps: int) -> int:
        """How many sigma rounds a run of ``steps`` steps holds (those :meth:`is_round` picks)."""
        last = steps if self.last_step is None else min(steps, self.last_step)
        return 0 if last < self.first_round else (last - self.first_round) // self.k_t + 1


def to_device(array, device: torch.device) -> torch.Tensor:
    t = array if isinstance(array, torch.Tensor) else torch.from_numpy(np.ascontiguousarray(array))
    if device.type == "cuda":  # pinned host memory: the copy overlaps with GPU work
        return (t if t.is_pinned() else t.pin_memory()).to(device, non_blocking=True)
    return t.to(device)


def make_batch(noisy, clean, masker, device: torch.device, probe_generator=None) -> Batch:
    """A :class:`Batch` on ``device``; masked by ``masker`` (a :class:`~noise2info.masking.Masker`)
    unless it is None, with a white probe drawn from ``probe_generator`` if one is given."""
    x = to_device(noisy, device)
    y = None if clean is None else to_device(clean, device)
    masked, mask = masker(x) if masker is not None else (None, None)
    probe = None
    if probe_generator is not None:
        probe = torch.randn(tuple(x.shape), generator=probe_generator).to(x.device, x.dtype)
    return Batch(noisy=x, masked=masked, mask=mask, clean=y, probe=probe)


def predict_fp32(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """F(x) as float32: under mixed precision the network may run in bf16, the loss never does."""
    return model(x).float()


class Objective:
    """Base class: subclasses implement ``__call__(model, batch) -> dict[str, Tensor]``.

    Attributes
    ----------
    needs_clean : bool
        Batches must carry clean targets (supervised training).
    needs_mask : bool
        Batches must carry a masked copy of the input.
    needs_probe : bool
        Batches must carry a white probe (``Batch.probe``).
    sigma_schedule : SigmaSchedule or None
        When set, the trainer runs sigma rounds on this schedule and lowers ``sigma_loss``.
    sigma_loss : float or None
        The noise-std weight of the loss, for objectives that have one.
    """

    needs_clean: bool = False
    needs_mask: bool = True
    needs_probe: bool = False
    sigma_schedule: SigmaSchedule | None = None
    sigma_loss: float | None = None

    def stage(self, step: int) -> Objective:
        """The objective that trains step ``step`` (counted from 1): itself, unless the method
        has stages (Noise2Info's second stage)."""
        return self

    def __call__(self, model: nn.Module, batch: Batch) -> dict[str, torch.Tensor]:
        raise NotImplementedError
