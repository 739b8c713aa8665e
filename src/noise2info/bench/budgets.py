"""Compute budgets: the same steps and network for every learned method of a suite."""

from __future__ import annotations

from dataclasses import dataclass

from ..config import TrainingConfig
from ..data.hanzi import ALL_CHARS

_DEFAULT = TrainingConfig()


@dataclass(frozen=True)
class Budget:
    name: str
    preset: str
    steps: dict[str, int]  # per dataset family: 'bsd', 'hanzi', 'real'
    batch_size: int
    patch_size: int
    train_images: int | None  # BSD400 images used for training (None: all)
    test_images: int | None  # test images evaluated (None: all)
    hanzi_chars: int  # characters rendered (train + test, split 9:1)
    lr_decay_every: int | None = None
    lr: float = 4e-4
    crop: int | None = None  # centre-crop test images to this side (quick runs)


BUDGETS = {
    # CI smoke test: every suite in well under 3 minutes on 2 cores.
    "quick": Budget(
        "quick", "tiny", {"bsd": 300, "hanzi": 400, "real": 200}, 4, 32, 8, 4, 200, lr=2e-3, crop=96
    ),
    # About an hour per suite on a 2-core CPU (docs/notes/benchmarks.md has the measured times).
    # Batch and patch as the CLI's defaults, so the figures are what a user gets.
    "cpu": Budget(
        "cpu",
        "cpu",
        {"bsd": 2000, "hanzi": 300, "real": 400},
        _DEFAULT.batch_size,
        _DEFAULT.patch_size,
        None,
        None,
        1000,
    ),
    # The paper's set-up (method.md): for a GPU.
    "paper": Budget(
        "paper",
        "paper",
        {"bsd": 80_000, "hanzi": 50_000, "real": 20_000},
        64,
        64,
        None,
        None,
        ALL_CHARS,
        5000,
    ),
}
