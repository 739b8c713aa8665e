from __future__ import annotations

from pathlib import Path

import pytest
import torch

SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture(autouse=True)
def _few_threads():
    # Unit tests are tiny; more threads only add overhead on a 2-core machine.
    torch.set_num_threads(1)


@pytest.fixture
def shared_data() -> Path:
    """The project's shared data folder, or a clean skip when this checkout has none."""
    if not (SHARED / "data").is_dir():
        pytest.skip("../shared/data is not present beside this checkout")
    return SHARED / "data"
