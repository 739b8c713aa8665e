"""Training time with and without flushing subnormal floats on the CPU.

    python benchmarks/subnormals.py --steps 100

Masked-pixel objectives give sparse gradients; on x86 CPUs the resulting subnormal floats take
a slow path. noise2info flushes them during training and prediction (runtime.flush_denormals);
this script times the tiny preset on 8 noisy BSD400 images (or scikit-image's camera) both ways.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from noise2info import make_config
from noise2info.data.folders import load_clean_folder
from noise2info.data.noise import NoiseModel, add_noise
from noise2info.training import Trainer

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "bsd400"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=100)
    args = ap.parse_args()
    if SHARED.is_dir():
        _, clean = load_clean_folder(SHARED, 8)
    else:
        from skimage import data

        clean = [data.camera() / 255.0]
    noisy = [x[None].astype(np.float32) for x in add_noise(clean, NoiseModel("gaussian", std=0.1), 0)]
    print("| method | subnormals kept (s) | flushed (s) | speed-up |")
    print("|---|---|---|---|")
    for method in ("noise2info", "noise2same", "noise2self"):
        times = []
        for flush in (False, True):
            torch.set_flush_denormal(flush)
            cfg = make_config(
                preset="tiny", method=method, steps=args.steps, batch_size=4, patch_size=32, lr=2e-3
            )
            t0 = time.perf_counter()
            Trainer(noisy, cfg).run(progress=False)
            times.append(time.perf_counter() - t0)
        torch.set_flush_denormal(False)
        print(f"| {method} | {times[0]:.1f} | {times[1]:.1f} | {times[0] / times[1]:.1f}x |")


if __name__ == "__main__":
    main()
