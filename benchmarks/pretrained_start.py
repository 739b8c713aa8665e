"""From random weights or from the shipped starting point: PSNR and noise readout per steps.

    python benchmarks/pretrained_start.py --steps 100 400

The five-image test set (``five_images.py``), each image normalised on its own, trained with
the CLI's defaults (cpu preset, batch 16) for each number of steps, once with ``init random``
and once with ``init pretrained``; also the shipped network alone (0 steps: no fine-tuning).
Prints a markdown table: PSNR per image and mean, the readout against the true normalised
noise std, the training time.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from five_images import IMAGES, five_images
from skimage.metrics import peak_signal_noise_ratio

import noise2info
from noise2info.data.noise import normalised_noise_std
from noise2info.models import build_model
from noise2info.models.pretrained import load_pretrained


def _psnr(clean, model) -> list[float]:
    return [
        peak_signal_noise_ratio(y, np.clip(noise2info.denoise(model, x[None])[0], 0, 1), data_range=1)
        for y, x in clean
    ]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, nargs="+", default=[100, 400])
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    clean, noisy = five_images()
    pairs = list(zip(clean, noisy, strict=True))
    images = [x[None].astype(np.float32) for x in noisy]
    truth = normalised_noise_std(clean, noisy)
    base = [peak_signal_noise_ratio(y, x, data_range=1) for y, x in pairs]
    print(f"| start | steps | {' | '.join(IMAGES)} | mean | readout (truth {truth:.4f}) | train s |")
    print("|---|---|" + "---|" * (len(IMAGES) + 3))
    print(f"| noisy input | | {' | '.join(f'{v:.2f}' for v in base)} | {np.mean(base):.2f} | | |")

    shipped = noise2info.make_config()
    model = build_model(shipped.model)
    load_pretrained(model, shipped.model)
    psnr = _psnr(pairs, model.eval())
    print(
        f"| shipped, not fine-tuned | 0 | {' | '.join(f'{v:.2f}' for v in psnr)} | {np.mean(psnr):.2f} | | |"
    )

    for steps in a.steps:
        for init in ("random", "pretrained"):
            cfg = noise2info.make_config(steps=steps, init=init, seed=a.seed)
            t0 = time.perf_counter()
            r = noise2info.train(images, cfg, progress=False)
            seconds = time.perf_counter() - t0
            psnr = _psnr(pairs, r.model)
            print(
                f"| {init} | {steps} | {' | '.join(f'{v:.2f}' for v in psnr)} | {np.mean(psnr):.2f} | "
                f"{r.sigma:.4f} ({r.sigma / truth - 1:+.1%}) | {seconds:.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
