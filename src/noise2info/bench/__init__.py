"""Benchmarks: the paper's comparisons (method.md, Tables 2-5) with the peers side by side.

``suites`` builds the data, ``methods`` runs each denoiser under one budget, ``runner`` drives
a suite and ``report`` writes the table, the JSON and the sigma plot.
"""

from .budgets import BUDGETS, Budget
from .runner import run_suite
from .suites import SUITES

__all__ = ["BUDGETS", "SUITES", "Budget", "run_suite"]
