"""Where and how tensors run: device choice and CPU floating-point settings."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import torch
import torch.distributed as dist


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

    Masked-pixel losses give sparse gradients, and subnormals take a slow path on x86 CPUs.
    A first measurement suggested a large gain but was confounded by another job on the same
    cores; the controlled one (benchmarks/subnormals.py, docs/benchmarks.md) shows none to
    speak of. It is kept as a harmless precaution; the setting is process-wide, so it is put
    back as it was for the caller's own code.
    """
    was_on = float(torch.tensor([1e-39]) * 1.0) == 0.0
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_flush_denormal(was_on)


def rank_and_world() -> tuple[int, int]:
    """``(rank, world_size)`` of this process; ``(0, 1)`` outside torch.distributed."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def launched_by_torchrun() -> bool:
    return "RANK" in os.environ and "WORLD_SIZE" in os.environ and "MASTER_ADDR" in os.environ


def init_distributed(
    device: str, rank: int | None = None, world: int | None = None, init_method: str | None = None
) -> torch.device:
    """Join the process group (gloo on the CPU, nccl on GPUs) and return this rank's device.

    Under torchrun everything comes from the environment (``env://``, LOCAL_RANK); with
    ``--nproc`` the spawning parent passes rank, world size and a file store.
    """
    wanted = resolve_device(device)
    backend = "nccl" if wanted.type == "cuda" else "gloo"
    if launched_by_torchrun():
        dist.init_process_group(backend)
        local = int(os.environ.get("LOCAL_RANK", dist.get_rank()))
    else:
        dist.init_process_group(backend, init_method=init_method, rank=rank, world_size=world)
        local = rank or 0
    if wanted.type == "cuda":
        torch.cuda.set_device(local % torch.cuda.device_count())
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def all_ranks_agree(flag: bool) -> bool:
    """True on every rank when it is True on any rank (a no-op in one process)."""
    if rank_and_world()[1] == 1:
        return flag
    device = "cuda" if dist.get_backend() == "nccl" else "cpu"
    t = torch.tensor([int(flag)], device=device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item())
