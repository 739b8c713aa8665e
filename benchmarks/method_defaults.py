"""Does every method's default leave noisy images better than it found them?

    python benchmarks/method_defaults.py --steps 400

Five grey images that ship with scikit-image (camera, coins, moon, and the textures brick and
grass) with Gaussian noise 25/255 (seed 0); each method trains on the noisy images with its
own defaults (cpu preset, batch 8) and denoises them. noise2self is also run with the
gaussian replacement it had before it defaulted to donut. Prints a markdown table of PSNR per
image (clean reference, data range 1) against the noisy input's.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from five_images import IMAGES, five_images
from skimage.metrics import peak_signal_noise_ratio

import noise2info

RUNS = [
    ("noise2info", {}),
    ("noise2same", {}),
    ("noise2self", {"masking": "gaussian"}),
    ("noise2self", {}),
    ("supervised", {}),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=400)
    args = ap.parse_args()
    clean, noisy = five_images()
    base = [peak_signal_noise_ratio(y, x, data_range=1) for y, x in zip(clean, noisy, strict=True)]
    print(f"| method | masking | {' | '.join(IMAGES)} | mean | vs noisy | train s |")
    print("|---|---|" + "---|" * (len(IMAGES) + 3))
    print(f"| noisy input | | {' | '.join(f'{p:.2f}' for p in base)} | {np.mean(base):.2f} | | |")
    for method, settings in RUNS:
        cfg = noise2info.make_config(
            method=method, preset="cpu", steps=args.steps, batch_size=8, seed=0, **settings
        )
        t0 = time.perf_counter()
        result = noise2info.train(
            [x[None].astype(np.float32) for x in noisy],
            cfg,
            clean=[y[None].astype(np.float32) for y in clean],  # used by supervised only
            progress=False,
        )
        seconds = time.perf_counter() - t0
        psnr = [
            peak_signal_noise_ratio(y, np.clip(noise2info.denoise(result, x[None])[0], 0, 1), data_range=1)
            for y, x in zip(clean, noisy, strict=True)
        ]
        masking = cfg.masking.replacement if cfg.masking else "-"
        worse = sum(p < b for p, b in zip(psnr, base, strict=True))
        print(
            f"| {method} | {masking} | {' | '.join(f'{p:.2f}' for p in psnr)} | {np.mean(psnr):.2f} "
            f"| {np.mean(psnr) - np.mean(base):+.2f} dB, worse on {worse} "
            f"| {seconds:.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
