"""How the learning-rate halving interval affects a short CPU run.

    python benchmarks/lr_schedule.py --every 60 200 600 --steps 600

scikit-image's camera, coins and page with Gaussian noise 25/255 (seed 0), cpu preset,
batch 8; prints PSNR per image and the final sigma_loss for each interval.
"""

from __future__ import annotations

import argparse

import numpy as np
from skimage import data as skdata
from skimage.metrics import peak_signal_noise_ratio

import noise2info


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--every", type=int, nargs="+", default=[60, 200, 600])
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--lr", type=float, default=4e-4)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    clean = [getattr(skdata, n)() / 255.0 for n in ("camera", "coins", "page")]
    noisy = [y + rng.normal(0, 25 / 255, y.shape) for y in clean]
    for every in args.every:
        cfg = noise2info.make_config(
            preset="cpu", steps=args.steps, batch_size=8, seed=0, lr=args.lr, lr_decay_every=every
        )
        result = noise2info.train([x[None].astype(np.float32) for x in noisy], cfg, progress=False)
        psnr = [
            peak_signal_noise_ratio(y, np.clip(noise2info.denoise(result, x[None])[0], 0, 1), data_range=1)
            for y, x in zip(clean, noisy, strict=True)
        ]
        print(
            f"| {every} | {' / '.join(f'{p:.2f}' for p in psnr)} "
            f"| {result.sigma_loss:.4f} | {result.seconds:.0f} s |"
        )


if __name__ == "__main__":
    main()
