"""The training batch stream, optionally made by DataLoader worker processes."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import numpy as np
import torch
from torch.utils.data import DataLoader, IterableDataset, get_worker_info

from .patches import PatchSampler


class PatchBatches(IterableDataset):
    """Batch ``t`` is ``sampler.sample(batch_size, step=t)``, for ``t = start, start + 1, ...``.

    Worker ``w`` of ``W`` makes steps ``start + w, start + w + W, ...``; a DataLoader returns
    its workers' items in turn, so batches arrive in step order and training is the same with
    any number of workers.
    """

    def __init__(self, sampler: PatchSampler, batch_size: int, start: int = 0):
        self.sampler, self.batch_size, self.start = sampler, batch_size, start

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray | None]]:
        info = get_worker_info()
        worker, workers = (info.id, info.num_workers) if info is not None else (0, 1)
        step = self.start + worker
        while True:
            yield self.sampler.sample(self.batch_size, step=step)
            step += workers


def _ignore_interrupts(_worker_id: int) -> None:
    # Ctrl-C reaches the whole process group; the main process finishes its step and saves a
    # checkpoint, which must not find its workers gone.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _as_tensors(batch):
    noisy, clean = batch
    return torch.from_numpy(noisy), None if clean is None else torch.from_numpy(clean)


def training_batches(
    sampler: PatchSampler, batch_size: int, start: int = 0, *, workers: int = 0, pin_memory: bool = False
) -> Iterator:
    """Endless ``(noisy, clean)`` batches from step ``start`` on.

    Parameters
    ----------
    sampler : PatchSampler
        Draws the patches; batch ``t`` depends on its seed and ``t`` only.
    batch_size, start : int
        Patches per batch; the step of the first batch (a resumed run's ``steps_done``).
    workers : int
        0: drawn in this process when asked (NumPy arrays). N > 0: N DataLoader processes
        draw ahead while the network trains (tensors; memory-mapped images are shared, not
        copied, where processes fork).
    pin_memory : bool
        Page-locked batches for fast, asynchronous copies to a GPU (with workers).
    """
    stream = PatchBatches(sampler, batch_size, start)
    if workers == 0:
        return iter(stream)
    loader = DataLoader(
        stream,
        batch_size=None,
        num_workers=workers,
        pin_memory=pin_memory,
        worker_init_fn=_ignore_interrupts,
        collate_fn=_as_tensors,
    )
    return iter(loader)
