"""Noise2Info's objective: Noise2Same whose sigma_loss starts at 1 and is lowered by the
sigma rounds of Algorithm 2 (the trainer runs them on :attr:`sigma_schedule`), optionally
followed by a second stage (:class:`~noise2info.objectives.sure.Sure`) from ``refine_after`` on.

References
----------
Wang, Di, Chen, Ng, "Noise2Info", ICCV 2023, Algorithm 2.
"""

from __future__ import annotations

import dataclasses

from .base import Objective, SigmaSchedule
from .noise2same import Noise2Same
from .sure import Sure


class Noise2Info(Noise2Same):
    """loss = L_in + 2 * sigma_loss * L_ex with sigma_loss = min(1, sigma* of every round so far);
    after ``refine_after`` steps (when given) the second stage's SURE."""

    def __init__(self, schedule: SigmaSchedule, refine_after: int | None = None):
        super().__init__(sigma_loss=1.0)
        self.sigma_schedule = schedule
        self.refine_after = refine_after
        self.refiner = None
        if refine_after is not None:
            self.refine_with_sure(refine_after)

    def refine_with_sure(self, after: int) -> None:
        """Train the second stage's SURE from step ``after + 1`` on; the sigma rounds end at
        ``after`` (SURE reads each patch's noise level itself)."""
        self.refine_after, self.refiner = after, Sure()
        self.sigma_schedule = dataclasses.replace(self.sigma_schedule, last_step=after)

    def stage(self, step: int) -> Objective:
        if self.refiner is not None and step > self.refine_after:
            return self.refiner
        return self
