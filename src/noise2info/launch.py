"""Several processes on one machine: ``train --nproc`` (one process group, DistributedDataParallel)
and ``denoise --nproc`` (the inputs shared out), callable from Python as from the CLI.

Training ranks join one group (gloo on the CPU, nccl on GPUs); signals to this process go on
to the ranks, which checkpoint and stop. Denoising ranks take every N-th input each and
report what they wrote; their reports are merged. Under torchrun the launcher starts the
processes and these functions are not needed: :func:`denoise_shard` and :func:`leave_group`
are what each rank calls.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from .runtime import init_distributed, keep_freed_memory

Guard = Callable[..., object]  # guard(fn, *args): runs fn(*args) in a rank, e.g. with the CLI's error lines


def leave_group() -> None:
    """Rank 0 writes the run, its gain and report after training; the others wait for it and
    all leave the group together (a rank exiting early can make gloo abort the one still in it)."""
    import torch.distributed as dist

    dist.barrier()
    dist.destroy_process_group()


def _call(guard: Guard | None, fn: Callable, *args):
    return guard(fn, *args) if guard is not None else fn(*args)


def _rank_main(rank: int, world: int, init_method: str, device: str, target, args: tuple, guard) -> None:
    keep_freed_memory()
    init_distributed(device, rank, world, init_method)
    _call(guard, target, *args)
    leave_group()


def run_ranks(
    target: Callable, nproc: int, args: tuple = (), *, device: str = "auto", guard: Guard | None = None
):
    """Run ``target(*args)`` in ``nproc`` new processes joined in one process group.

    ``target`` and ``args`` must be picklable (a module-level function). A rank that fails
    ends the run: this process exits with its code (``SystemExit``).
    """
    import torch.multiprocessing as mp

    with tempfile.TemporaryDirectory() as tmp:
        ctx = mp.start_processes(
            _rank_main,
            args=(nproc, f"file://{tmp}/store", device, target, args, guard),
            nprocs=nproc,
            join=False,
            start_method="spawn",
        )

        def forward(signum, _frame):
            for p in ctx.processes:
                if p.is_alive():
                    os.kill(p.pid, signum)

        previous = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            while not ctx.join():
                pass
        except mp.ProcessExitedException as err:
            sys.exit(err.exit_code if err.exit_code and err.exit_code > 0 else 1)
        finally:
            for s, h in previous.items():
                signal.signal(s, h)


def _train_rank(inputs, config_json: str, run_dir, options: dict, on_result) -> None:
    from .api import train_files
    from .config import Config
    from .runtime import rank_and_world

    result = train_files(inputs, Config.model_validate_json(config_json), run_dir, **options)
    if on_result is not None and rank_and_world()[0] == 0:
        on_result(result)


def train_files(
    inputs,
    config,
    run_dir: str | Path,
    *,
    nproc: int,
    on_result: Callable | None = None,
    guard: Guard | None = None,
    **options,
):
    """:func:`noise2info.api.train_files` on ``nproc`` processes (``train --nproc``): each rank
    draws its own patches and DistributedDataParallel averages their gradients; rank 0 writes
    the run, and calls ``on_result(result)`` (picklable) where given.

    Returns
    -------
    Run
        The finished run, read back from ``run_dir``.
    """
    from .run import load_run

    args = (list(inputs), config.model_dump_json(), str(run_dir), options, on_result)
    run_ranks(_train_rank, nproc, args, device=options.get("device", "auto"), guard=guard)
    return load_run(run_dir, "cpu")


def denoise_shard(rank: int, world: int, run_dir, inputs, out_dir, options: dict):
    """One rank's share of ``denoise``: every ``world``-th input from the ``rank``-th, on its
    own GPU where there are GPUs (:func:`noise2info.api.denoise_files` with ``shard``)."""
    import torch

    from .api import denoise_files

    device = options.get("device", "auto")
    if device in ("auto", "cuda") and torch.cuda.is_available():
        local = int(os.environ.get("LOCAL_RANK", rank))
        device = f"cuda:{local % torch.cuda.device_count()}"
    options = {**options, "device": device, "progress": options.get("progress", True) and rank == 0}
    return denoise_files(run_dir, inputs, out_dir, shard=(rank, world), **options)


def _denoise_rank(rank: int, world: int, threads: int, tmp: str, run_dir, inputs, out_dir, options, guard):
    """One spawned process of ``denoise --nproc``: its share, its outputs, a JSON report."""
    import torch

    keep_freed_memory()
    torch.set_num_threads(threads)
    options = {**options, "threads": threads}
    done = _call(guard, denoise_shard, rank, world, run_dir, inputs, out_dir, options)
    report = {
        "written": [str(p) for p in done.written],
        "skipped": [str(p) for p in done.skipped],
        "gains": {str(p): g for p, g in done.gains.items()},
    }
    Path(f"{tmp}/rank{rank}.json").write_text(json.dumps(report))


def denoise_files(run_dir, inputs, out_dir, *, nproc: int, guard: Guard | None = None, **options):
    """:func:`noise2info.api.denoise_files` on ``nproc`` processes sharing the inputs
    (``denoise --nproc``); the CPU's threads are split among them.

    Returns
    -------
    Denoised
        What the processes did, merged.
    """
    import torch
    import torch.multiprocessing as mp

    from .api import Denoised

    if options.get("engine") == "onnx" and not Path(run_dir).suffix:  # export once, before the ranks
        from .export.onnx import onnx_engine

        onnx_engine(run_dir)
    threads = max(1, torch.get_num_threads() // nproc)
    with tempfile.TemporaryDirectory() as tmp:
        try:
            mp.start_processes(
                _denoise_rank,
                args=(nproc, threads, tmp, run_dir, list(inputs), out_dir, options, guard),
                nprocs=nproc,
                start_method="spawn",
            )
        except mp.ProcessExitedException as err:
            sys.exit(err.exit_code if err.exit_code and err.exit_code > 0 else 1)
        done = Denoised()
        for r in range(nproc):
            found = json.loads(Path(f"{tmp}/rank{r}.json").read_text())
            done.written += [Path(p) for p in found["written"]]
            done.skipped += [Path(p) for p in found["skipped"]]
            done.gains.update({Path(p): g for p, g in found["gains"].items()})
    return done
