"""Where and how tensors run: device choice, processes, CPU floating-point and memory settings."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import torch
import torch.distributed as dist

from .errors import ConfigError


def resolve_device(device: str = "auto") -> torch.device:
    """``'auto'`` picks CUDA when available, else the CPU."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError("--device cuda was asked for but no CUDA GPU is available")
    try:
        return torch.device(device)
    except RuntimeError:
        raise ConfigError(f"unknown device {device!r}; use auto, cpu, cuda or cuda:N") from None


@contextmanager
def flush_denormals() -> Iterator[None]:
    """Flush subnormal floats to zero on the CPU inside the block, then restore the setting.

    Masked-pixel losses give sparse gradients, and subnormals take a slow path on x86 CPUs.
    A first measurement suggested a large gain but was confounded by another job on the same
    cores; the controlled one (benchmarks/subnormals.py, docs/notes/benchmarks.md) shows none to
    speak of. It is kept as a harmless precaution; the setting is process-wide, so it is put
    back as it was for the caller's own code.
    """
    was_on = float(torch.tensor([1e-39]) * 1.0) == 0.0
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_flush_denormal(was_on)


# glibc mallopt parameters
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3


def keep_freed_memory() -> bool:
    """Let glibc's malloc reuse large freed blocks instead of returning them to the OS.

    Prediction allocates and frees the same activation buffers (tens of MB) for every tile.
    By default glibc maps each afresh and unmaps it on free, so every tile pays for new zeroed
    pages: half of the CPU time of a tiled denoise was system time, and this setting halves its
    wall time (benchmarks/throughput.py, docs/notes/benchmarks.md). Blocks up to 32 MB (glibc's
    maximum) come from the heap, which keeps up to 1 GB of freed memory; the peak memory is
    unchanged. The CLI calls this; it changes the whole process, so library code does not.

    Returns
    -------
    bool
        True if applied; False where the C library is not glibc (macOS, Windows, musl).
    """
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):
        return False
    return all(
        mallopt(param, value) == 1
        for param, value in (
            (_M_MMAP_THRESHOLD, 32 * 2**20),
            (_M_TRIM_THRESHOLD, 2**30),
            (_M_TOP_PAD, 64 * 2**20),
        )
    )


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
