"""Where and how tensors run: device choice and CPU floating-point settings."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch


def resolve_device(device: str = "auto") -> torch.device:
    """``'auto'`` picks CUDA when available, else the CPU."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError("--device cuda was asked for but no CUDA GPU is available")
    return torch.device(device)


@contextmanager
def flush_denormals() -> Iterator[None]:
    """Flush subnormal floats to zero on the CPU inside the block, then restore the setting.

    Masked-pixel losses give sparse gradients that fill the network with subnormals, which
    the CPU handles up to 15x slower (docs/benchmarks.md); flushing changes nothing visible.
    The setting is process-wide, so it is put back as it was for the caller's own code.
    """
    was_on = float(torch.tensor([1e-39]) * 1.0) == 0.0
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_flush_denormal(was_on)
