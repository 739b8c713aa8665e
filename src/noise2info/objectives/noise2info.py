"""Noise2Info's objective: Noise2Same whose sigma_loss starts at 1 and is lowered by the
sigma rounds of Algorithm 2 (the trainer runs them on :attr:`sigma_schedule`).

References
----------
Wang, Di, Chen, Ng, "Noise2Info", ICCV 2023, Algorithm 2.
"""

from __future__ import annotations

from .base import SigmaSchedule
from .noise2same import Noise2Same


class Noise2Info(Noise2Same):
    """loss = L_in + 2 * sigma_loss * L_ex with sigma_loss = min(1, sigma* of every round so far)."""

    def __init__(self, schedule: SigmaSchedule):
        super().__init__(sigma_loss=1.0)
        self.sigma_schedule = schedule
