"""A run's random streams: seeded apart from one seed, captured into a checkpoint and
restored from it, so a resumed run continues exactly as one never stopped."""

from __future__ import annotations

import base64
from typing import NamedTuple

import numpy as np
import torch


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


def capture(generators: dict[str, torch.Generator | None], sampler) -> dict:
    """Every stream's state as JSON: the named generators (None for one a run does not use),
    torch's global generator and the estimation sampler's NumPy generator."""
    out = {name: None if g is None else _state(g) for name, g in generators.items()}
    out["torch"] = base64.b64encode(torch.get_rng_state().numpy().tobytes()).decode()
    out["est_sampler"] = sampler.rng.bit_generator.state
    return out


def restore(rng: dict, generators: dict[str, torch.Generator | None], sampler) -> None:
    """Set the streams to what :func:`capture` returned. A stream missing from an older
    checkpoint (version 2 had no training probes) keeps its seeded start."""
    for name, g in generators.items():
        if g is not None and rng.get(name) is not None:
            _set_state(g, rng[name])
    torch.set_rng_state(
        torch.frombuffer(bytearray(base64.b64decode(rng["torch"])), dtype=torch.uint8).clone()
    )
    sampler.rng.bit_generator.state = rng["est_sampler"]
