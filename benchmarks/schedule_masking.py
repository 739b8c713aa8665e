"""Noise2Info's first sigma round and masking at a CPU budget (issue 10, item 1).

    python benchmarks/schedule_masking.py --steps 400
    python benchmarks/schedule_masking.py --steps 400 --configs default

The five grey scikit-image images of benchmarks/method_defaults.py (camera, coins, moon,
brick, grass; Gaussian noise 25/255, seed 0); noise2info trains on the noisy images (cpu
preset, batch 8, seed 0) as in the paper (no second stage) with the first sigma round after
k_t steps (the schedule before issue 10) or early (now: 2 % of the steps, at least 10), with
gaussian or donut masking; ``default`` is today's default pipeline (donut, early first
round, then the SURE second stage from half the steps), ``sure-after-1/4`` and ``-3/4`` the
same with the second stage from a quarter / three quarters of the steps.
Prints a markdown table: PSNR per image (data range 1), the final sigma_loss and readout
against the true normalised noise std (rms over the images), and the training time.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from five_images import IMAGES, five_images
from skimage.metrics import peak_signal_noise_ratio

import noise2info


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--configs", default="gaussian-late,gaussian-early,donut-late,donut-early")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0], help="training seeds (the noise keeps 0)")
    args = ap.parse_args()
    clean, noisy = five_images()
    truth = float(np.sqrt(np.mean([(25 / 255 / np.std(x)) ** 2 for x in noisy])))
    late = noise2info.make_config(steps=args.steps, batch_size=8).method.k_t
    paper = {"refine": "none"}
    configs = {
        "gaussian-late": {"masking": "gaussian", "first_round": late, **paper},
        "gaussian-early": {"masking": "gaussian", **paper},
        "donut-late": {"masking": "donut", "first_round": late, **paper},
        "donut-early": {"masking": "donut", **paper},
        "default": {},
        "sure-after-1/4": {"refine_after": args.steps // 4},
        "sure-after-3/4": {"refine_after": 3 * args.steps // 4},
    }
    print(f"true normalised noise std (rms over the images): {truth:.4f}\n")
    head = f"| seed | masking | first round | second stage | {' | '.join(IMAGES)} | mean"
    print(head + " | sigma_loss | readout | train s |")
    print("|---|---|---|---|" + "---|" * (len(IMAGES) + 4))
    for seed, name in [(seed, name) for seed in args.seeds for name in args.configs.split(",")]:
        cfg = noise2info.make_config(preset="cpu", steps=args.steps, batch_size=8, seed=seed, **configs[name])
        t0 = time.perf_counter()
        r = noise2info.train([x[None].astype(np.float32) for x in noisy], cfg, progress=False)
        seconds = time.perf_counter() - t0
        denoised = [np.clip(noise2info.denoise(r, x[None])[0], 0, 1) for x in noisy]
        psnr = [peak_signal_noise_ratio(y, d, data_range=1) for y, d in zip(clean, denoised, strict=True)]
        print(
            f"| {seed} | {cfg.masking.replacement} | {cfg.method.first_round} (k_t {cfg.method.k_t}) | "
            f"{cfg.method.refine} {cfg.method.refine_after or ''} | "
            f"{' | '.join(f'{p:.2f}' for p in psnr)} | {np.mean(psnr):.2f} | "
            f"{r.sigma_loss:.4f} | {r.sigma_readout:.4f} | {seconds:.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    torch.set_num_threads(2)
    main()
