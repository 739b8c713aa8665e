"""Which first stage before the SURE second stage? (issue 10, item 2, a follow-up)

    python benchmarks/stage_one.py --steps 400
    python benchmarks/stage_one.py --steps 400 --init pretrained

On BSD68 at the `cpu` budget (docs/notes/benchmarks.md) plain blind-spot training (noise2self-D)
beat the paper's Noise2Info-D by 0.39 dB at equal steps and took 0.45x its time per step (one
forward pass, not two). The default pipeline runs Noise2Info-D for the first half and SURE
with each patch's noise readout for the second. This compares, at equal total steps, first
stages of Noise2Info-D (the default), noise2self-D, and none (SURE from the first step),
each followed by the same SURE stage from ``--switch`` (default: half the steps).

The five grey images of benchmarks/five_images.py (Gaussian noise 25/255, seed 0); the
CLI's defaults otherwise (cpu preset, batch 16). Prints PSNR per image (data range 1), the
mean, and the training time.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from five_images import IMAGES, five_images
from skimage.metrics import peak_signal_noise_ratio

import noise2info
from noise2info.objectives import BlindSpot, Objective, Sure
from noise2info.training import Trainer


class Then(Objective):
    """``first`` up to step ``switch``, then ``second``."""

    def __init__(self, first: Objective, second: Objective, switch: int):
        self.first, self.second, self.switch = first, second, switch
        self.needs_mask = first.needs_mask  # the trainer builds its masker from this
        self.needs_probe = first.needs_probe

    def stage(self, step: int) -> Objective:
        return self.second if step > self.switch else self.first


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--switch", type=int, default=None)
    ap.add_argument("--init", default="random", choices=["random", "pretrained"])
    ap.add_argument("--variants", default="noise2info-D,noise2self-D,none")
    args = ap.parse_args()
    switch = args.steps // 2 if args.switch is None else args.switch
    clean, noisy = five_images()
    X = [x[None].astype(np.float32) for x in noisy]
    print(f"| first stage (steps 1-{switch}), then SURE | {' | '.join(IMAGES)} | mean | train s |")
    print("|---|" + "---|" * (len(IMAGES) + 2))
    for name in args.variants.split(","):
        method = "noise2self" if name == "noise2self-D" else "noise2info"
        cfg = noise2info.make_config(
            method=method,
            steps=args.steps,
            seed=0,
            init=args.init,
            vst="none",
            **({"refine_after": switch} if method == "noise2info" else {}),
        )
        t = Trainer(X, cfg, device="cpu")
        if name == "noise2self-D":
            t.objective = Then(BlindSpot(), Sure(), switch)
        elif name == "none":
            t.objective = Then(Sure(), Sure(), 0)  # no sigma rounds: Objective.sigma_schedule is None
            t.masker = None
        t0 = time.perf_counter()
        while t.steps_done < args.steps:
            t.step()
            if t.schedule is not None and t.schedule.is_round(t.steps_done):
                t.sigma_round()
        seconds = time.perf_counter() - t0
        t.model.eval()
        p = [
            peak_signal_noise_ratio(y, np.clip(noise2info.denoise(t, x[None])[0], 0, 1), data_range=1)
            for y, x in zip(clean, noisy, strict=True)
        ]
        print(
            f"| {name} | {' | '.join(f'{v:.2f}' for v in p)} | {np.mean(p):.2f} | {seconds:.0f} |", flush=True
        )


if __name__ == "__main__":
    torch.set_num_threads(2)
    main()
