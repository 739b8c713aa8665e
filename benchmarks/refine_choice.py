"""Posterior step or SURE stage? What the posterior step is estimated to gain at the switch,
against what each second half gains (issue 10, item 2: decide from the data).

    python benchmarks/refine_choice.py --data five --steps 400
    python benchmarks/refine_choice.py --data hanzi-gauss --steps 300

Trains Noise2Info-D (Algorithm 2, donut masking, the CLI's defaults otherwise: cpu preset,
batch 16, seed 0; random weights or ``--init pretrained``) for half the steps and reads
``Trainer.posterior_gain``: the SURE estimate of the posterior step's gain on training
patches, no clean image. Then it goes on from the same state two ways to the full steps:
Algorithm 2 predicted with the posterior step, and the SURE second stage predicted plainly.
Prints, per data set, the estimate, the step's true gain on the test images at the switch,
and the final PSNR (peak 1) of both ways.

Data: ``five``: the five grey images of benchmarks/five_images.py (Gaussian 25/255), trained
and tested on themselves; ``hanzi-gauss``: the suite's four levels at the ``cpu`` budget
(1,000 characters, 900 to train, 100 to test; needs the CJK font, ``--font``).
"""

from __future__ import annotations

import argparse
import copy
import time

import numpy as np
import torch
from five_images import five_images
from skimage.metrics import peak_signal_noise_ratio

import noise2info
from noise2info.bench.budgets import BUDGETS
from noise2info.bench.suites import SUITES
from noise2info.training import Trainer


def cases(data: str, font: str | None):
    """(name, train noisy, test clean, test noisy) per case, images ``(H, W)``."""
    if data == "five":
        clean, noisy = five_images()
        return [("five", noisy, clean, noisy)]
    built = SUITES[data](BUDGETS["cpu"], None, font, 0)
    return [(c.name, c.train_noisy, c.test_clean, c.test_noisy) for c in built]


def psnr(trained, clean, noisy, posterior: bool) -> float:
    """``trained``: the trainer, whose network predicts with its plan."""
    out = [np.clip(noise2info.denoise(trained, x[None], posterior=posterior)[0], 0, 1) for x in noisy]
    return float(
        np.mean([peak_signal_noise_ratio(y, o, data_range=1) for y, o in zip(clean, out, strict=True)])
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="five", choices=["five", "hanzi-gauss"])
    ap.add_argument("--steps", type=int, default=None, help="default: the cpu budget's (400 for five)")
    ap.add_argument("--font", default=None)
    ap.add_argument("--init", default="random", choices=["random", "pretrained"])
    args = ap.parse_args()
    steps = args.steps or (400 if args.data == "five" else BUDGETS["cpu"].steps["hanzi"])
    switch = steps // 2
    print(
        "| data | estimated gain at the switch | true gain at the switch "
        "| Algorithm 2 + posterior | SURE stage | s |"
    )
    print("|---|---|---|---|---|---|")
    for name, train_noisy, clean, noisy in cases(args.data, args.font):
        t0 = time.perf_counter()
        cfg = noise2info.make_config(
            method="noise2info", steps=steps, seed=0, vst="none", refine="none", init=args.init
        )
        t = Trainer([x[None].astype(np.float32) for x in train_noisy], cfg, device="cpu")
        while t.steps_done < switch:
            t.step()
            if t.schedule.is_round(t.steps_done):
                t.sigma_round()
        estimate = t.posterior_gain()["gain_db"]
        t.model.eval()
        true_gain = psnr(t, clean, noisy, True) - psnr(t, clean, noisy, False)
        t.model.train()
        t._batches = None  # the stream restarts at steps_done (batch t depends on t alone)
        sure = copy.deepcopy(t)
        sure.objective.refine_with_sure(switch)
        final = []
        for trainer, posterior in ((t, True), (sure, False)):
            while trainer.steps_done < steps:
                trainer.step()
                if trainer.schedule.is_round(trainer.steps_done):
                    trainer.sigma_round()
            trainer.model.eval()
            final.append(psnr(trainer, clean, noisy, posterior))
        print(
            f"| {name} | {estimate:+.2f} dB | {true_gain:+.2f} dB | {final[0]:.2f} | {final[1]:.2f} "
            f"| {time.perf_counter() - t0:.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    torch.set_num_threads(2)
    main()
