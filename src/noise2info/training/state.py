"""A run's checkpoint state: its random streams (seeded apart from one seed), the weights,
optimiser, schedule, history and plan, captured from a trainer and restored into one, so a
resumed run continues exactly as one that never stopped. The file format is run.py's."""

from __future__ import annotations

import base64
from typing import NamedTuple

import numpy as np
import torch
import torch.distributed as dist

from ..config import Config, config_diff
from ..errors import ConfigError, ModelFileError
from ..run import TrainingState, checkpoint_plan


class Seeds(NamedTuple):
    """One seed per stream. Estimation never shifts the training stream, so methods compared
    at one seed see the same training patches."""

    init: int
    patch: int  # training patches
    mask: int  # training masks
    est_patch: int  # estimation patches
    est_mask: int  # estimation masks
    mc: int  # Monte-Carlo draws of Algorithm 1
    probe: int  # readout probes
    train_probe: int  # training probes (the second stage)


def seeds(seed: int, rank: int = 0) -> Seeds:
    """The streams of ``seed``. Other ranks draw their own patches, masks and training probes;
    the init and Monte-Carlo streams are shared, so all ranks agree on sigma*."""
    streams = [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(8)]
    if rank:
        own = [
            int(s.generate_state(1)[0])
            for s in np.random.SeedSequence(seed, spawn_key=(1000 + rank,)).spawn(8)
        ]
        streams[1:5] = own[1:5]
        streams[7] = own[7]
    return Seeds(*streams)


def _state(g: torch.Generator) -> str:
    return base64.b64encode(g.get_state().numpy().tobytes()).decode()


def _set_state(g: torch.Generator, text: str) -> None:
    g.set_state(torch.frombuffer(bytearray(base64.b64decode(text)), dtype=torch.uint8).clone())


def capture_streams(generators: dict[str, torch.Generator | None], sampler) -> dict:
    """Every stream's state as JSON: the named generators (None for one a run does not use),
    torch's global generator and the estimation sampler's NumPy generator."""
    out = {name: None if g is None else _state(g) for name, g in generators.items()}
    out["torch"] = base64.b64encode(torch.get_rng_state().numpy().tobytes()).decode()
    out["est_sampler"] = sampler.rng.bit_generator.state
    return out


def restore_streams(rng: dict, generators: dict[str, torch.Generator | None], sampler) -> None:
    """Set the streams to what :func:`capture_streams` returned. A stream missing from an older
    checkpoint (version 2 had no training probes) keeps its seeded start."""
    for name, g in generators.items():
        if g is not None and rng.get(name) is not None:
            _set_state(g, rng[name])
    torch.set_rng_state(
        torch.frombuffer(bytearray(base64.b64decode(rng["torch"])), dtype=torch.uint8).clone()
    )
    sampler.rng.bit_generator.state = rng["est_sampler"]


def capture(trainer) -> TrainingState:
    """Everything a :class:`~noise2info.training.Trainer` needs to continue exactly: weights,
    optimiser, scheduler, sigma_loss, history, plan, log accumulators and every rank's random
    streams (all ranks take part in gathering them)."""
    rng = capture_streams(trainer.generators(), trainer.est_sampler)
    rngs = [rng]
    if trainer.world > 1:  # every rank's random state, so each resumes its own stream
        rngs = [None] * trainer.world
        dist.all_gather_object(rngs, rng)
    meta = {
        "config": trainer.config.model_dump(mode="json"),
        "plan": trainer.plan.model_dump(mode="json"),
        "fingerprint": trainer.fingerprint,
        "steps_done": trainer.steps_done,
        "sigma_loss": trainer.sigma_loss,
        "history": trainer.history.to_dict(),
        "running": trainer._running,
        "n_running": trainer._n_running,
        "scheduler": trainer.scheduler.state_dict(),
        "world_size": trainer.world,
        "rng": rngs,
    }
    return TrainingState(trainer.model.state_dict(), trainer.optimiser.state_dict(), meta)


def check_resumable(trainer, saved: TrainingState) -> None:
    """Refuse a state written on other images, with other settings or another plan, or by
    another number of processes, before anything is restored."""
    meta = saved.meta
    if meta["fingerprint"] != trainer.fingerprint:  # first: what is measured on them differs too
        raise ModelFileError("the checkpoint was trained on different images; resume with the same inputs")
    diff = config_diff(Config.model_validate(meta["config"]), trainer.config)
    if diff:
        raise ConfigError(
            f"the run was trained with other settings ({'; '.join(diff)}); "
            "resume with the same options or start a new run directory"
        )
    # The refinement and the noise scale are set during training; the rest before it.
    plan = checkpoint_plan(saved).model_copy(
        update={"refine": trainer.plan.refine, "noise_scale": trainer.plan.noise_scale}
    )
    if plan != trainer.plan:
        raise ModelFileError(
            "the checkpoint's run decided another plan on these images; resume with the "
            "noise2info version that started it, or start a new run directory"
        )
    if meta["world_size"] != trainer.world:
        raise ModelFileError(
            f"the checkpoint was written by {meta['world_size']} process(es); "
            f"resume with --nproc {meta['world_size']}"
        )


def restore(trainer, saved: TrainingState) -> None:
    """Restore what :func:`capture` returned into ``trainer`` (checked first)."""
    from .trainer import History

    check_resumable(trainer, saved)
    meta = saved.meta
    trainer.model.load_state_dict(saved.model)
    optimiser = {
        "state": {
            pid: {k: v.to(trainer.device) if k != "step" else v for k, v in entry.items()}
            for pid, entry in saved.optimiser["state"].items()
        },
        "param_groups": saved.optimiser["param_groups"],
    }
    trainer.optimiser.load_state_dict(optimiser)
    trainer.scheduler.load_state_dict(meta["scheduler"])
    restore_streams(meta["rng"][trainer.rank], trainer.generators(), trainer.est_sampler)
    if meta["sigma_loss"] is not None:
        trainer.objective.sigma_loss = meta["sigma_loss"]
    trainer.history = History.from_dict(meta["history"])
    if "refine" in trainer.history.readings:  # refine "auto" had chosen: the same stage again
        trainer.apply_refinement()
    trainer._running, trainer._n_running = meta["running"], meta["n_running"]
    trainer.steps_done = meta["steps_done"]
    trainer._batches = None  # the stream restarts at steps_done (batch t depends on t alone)
