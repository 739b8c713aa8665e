"""How noisy is each objective's gradient? The per-batch gradient's spread against its mean,
on one network state, for supervised training and the self-supervised objectives (issue 10:
why the gap to supervised training at equal steps grows with the noise).

    cd benchmarks && python gradient_noise.py --font FONT --level 0.3 --batches 48

For each objective: ``batches`` gradients of the loss on fresh batches of 16 training
patches at the same weights (the shipped starting point fine-tuned for ``--warm`` supervised
steps, so the state is a partly trained denoiser). Reports the noise-to-signal ratio
E|g - mean g|^2 / |mean g|^2 (the mean's square corrected
for the noise left in it; how many batches one needs to average for a gradient as sure
as its mean) and the cosine between the objective's mean gradient and the supervised one.
"""

from __future__ import annotations

import argparse
import copy

import numpy as np
import torch

import noise2info
from noise2info.bench.budgets import BUDGETS
from noise2info.bench.suites import SUITES
from noise2info.data.loader import training_batches
from noise2info.objectives import make_batch
from noise2info.training import Trainer

METHODS = {
    "supervised": dict(method="supervised"),
    "SURE (each patch's readout)": dict(method="noise2info", refine="sure", refine_after=0),
    "Noise2Info-D (sigma_loss = readout)": dict(method="noise2info", refine="none"),
    "noise2self-D": dict(method="noise2self"),
}


def gradients(trainer: Trainer, state: dict, batches: int) -> np.ndarray:
    trainer.model.load_state_dict(state)
    trainer.model.train()
    objective = trainer.objective.stage(trainer.config.training.steps)  # the last stage
    stream = training_batches(trainer.sampler, trainer.config.training.batch_size, 0)
    out = []
    for _ in range(batches):
        batch = make_batch(
            *next(stream),
            trainer.masker if objective.needs_mask else None,
            trainer.device,
            trainer.train_probe_generator if objective.needs_probe else None,
        )
        trainer.model.zero_grad(set_to_none=True)
        objective(trainer.model, batch)["loss"].backward()
        out.append(torch.cat([p.grad.flatten() for p in trainer.model.parameters()]).numpy().copy())
        trainer.model.load_state_dict(state)  # BN running statistics back
    return np.stack(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--font", required=True)
    ap.add_argument("--level", type=float, default=0.3)
    ap.add_argument("--batches", type=int, default=48)
    ap.add_argument("--warm", type=int, default=100)
    args = ap.parse_args()
    case = next(
        c for c in SUITES["hanzi-gauss"](BUDGETS["cpu"], None, args.font, 0) if f"{args.level}" in c.name
    )
    noisy = [x[None].astype(np.float32) for x in case.train_noisy]
    clean = [x[None].astype(np.float32) for x in case.train_clean]
    warm = Trainer(
        noisy,
        noise2info.make_config(method="supervised", steps=args.warm, seed=1, vst="none"),
        clean=clean,
        device="cpu",
    )
    while warm.steps_done < args.warm:
        warm.step()
    state = copy.deepcopy(warm.model.state_dict())
    grads = {}
    for name, settings in METHODS.items():
        cfg = noise2info.make_config(steps=300, seed=0, vst="none", init="random", **settings)
        t = Trainer(noisy, cfg, clean=clean if name == "supervised" else None, device="cpu")
        t.model.load_state_dict(state)
        if t.schedule is not None:  # the round's reading of this state as sigma_loss
            t.sigma_round()
        grads[name] = gradients(t, state, args.batches)
    ref = grads["supervised"].mean(0)
    print(f"{case.name}; {args.batches} batches of 16 at one state ({args.warm} supervised steps)")
    print("| objective | noise-to-signal | cosine of the mean with the supervised mean |\n|---|---|---|")
    for name, g in grads.items():
        mean = g.mean(0)
        spread = ((g - mean) ** 2).sum(1).sum() / (len(g) - 1)
        signal = (mean**2).sum() - spread / len(g)  # |mean|^2 less the noise left in the mean
        nsr = spread / signal
        cos = float(mean @ ref / np.linalg.norm(mean) / np.linalg.norm(ref))
        print(f"| {name} | {nsr:.1f} | {cos:.2f} |")


if __name__ == "__main__":
    torch.set_num_threads(2)
    main()
