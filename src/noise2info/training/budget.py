"""``train --time``: the steps that train in a wall-clock budget on this machine."""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import torch.distributed as dist

from ..config import Config, rescheduled
from ..errors import ConfigError
from ..pipeline import Planning
from ..runtime import flush_denormals
from .trainer import Trainer, readout_batches

TIMED_STEPS = 6  # steps timed by fit_to_time, after WARMUP_STEPS untimed ones
WARMUP_STEPS = 2


@flush_denormals()
def fit_to_time(
    images: list[np.ndarray],
    config: Config,
    seconds: float,
    *,
    device: str = "auto",
    stats: list | None = None,
    names: list[str] | None = None,
    keep: tuple[str, ...] = (),
    plan: Planning | None = None,
) -> Config:
    """``config`` with the steps that train in about ``seconds`` on this machine, the
    schedule (k_t, k_u, first_round, lr decay) derived for them, except the settings named
    in ``keep``.

    A few steps and two estimation batches are timed on the images (a throw-away trainer, so
    the run itself equals one started with those steps); the sigma rounds and the final
    readout are counted in. Under several processes rank 0's answer is used by all.
    ``plan``: the run's plan, made once (:func:`noise2info.pipeline.make_plan`) for this
    timing and the run itself; made here when not given.
    """
    if not seconds > 0:
        raise ConfigError(f"the time budget must be positive, not {seconds}")
    trainer = Trainer(images, config, device=device, stats=stats, names=names, plan=plan)
    for _ in range(WARMUP_STEPS):
        trainer.step()
    t0 = time.perf_counter()
    for _ in range(TIMED_STEPS):
        trainer.step()
    per_step = (time.perf_counter() - t0) / TIMED_STEPS
    t0 = time.perf_counter()
    if trainer.schedule is not None:  # a round of 2 estimation batches
        trainer.objective.sigma_schedule = dataclasses.replace(trainer.schedule, k_u=2)
        trainer.sigma_round()
        per_batch = (time.perf_counter() - t0) / 2
    else:  # the final readout alone
        trainer.readout()
        per_batch = (time.perf_counter() - t0) / readout_batches(None, config.training.batch_size)

    def cost(cfg: Config) -> float:
        schedule = cfg.method.build_objective().sigma_schedule
        steps = cfg.training.steps
        estimation = readout_batches(schedule, cfg.training.batch_size)  # the final readout
        if schedule is not None:
            estimation += schedule.rounds(steps) * schedule.k_u
        return steps * per_step + estimation * per_batch

    steps = max(1, int(seconds / per_step))
    for _ in range(4):  # the schedule depends on the steps: a few fixed-point passes
        fitted = rescheduled(config, steps, keep)
        steps = max(1, int(steps * seconds / cost(fitted)))
    if dist.is_available() and dist.is_initialized():
        box = [steps]
        dist.broadcast_object_list(box, src=0)
        steps = box[0]
    return rescheduled(config, steps, keep)
