"""PSNR against training minutes for the default pipeline, so a user can choose --time / --steps.

    python benchmarks/time_to_quality.py --minutes 1 2 4 8

The five grey scikit-image images of benchmarks/method_defaults.py (Gaussian noise 25/255,
seed 0). For each budget, ``fit_to_time`` (what ``train --time`` does) picks the steps that
fit with the CLI's defaults (cpu preset, batch 16), the run trains, and the table gives the
steps, the measured training time, the PSNR (data range 1) and the noise-std estimates
against the truth (rms of the per-image normalised noise std): the run's ``sigma`` (from the
images), the network's readout and the bound sigma_loss. The runs use every default, so they
fine-tune the shipped starting point.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from five_images import five_images
from skimage.metrics import peak_signal_noise_ratio

import noise2info
from noise2info.training import fit_to_time


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, nargs="+", default=[1, 2, 4, 8])
    args = ap.parse_args()
    clean, noisy = five_images()
    images = [x[None].astype(np.float32) for x in noisy]
    truth = float(np.sqrt(np.mean([(25 / 255 / np.std(x)) ** 2 for x in noisy])))
    base = np.mean([peak_signal_noise_ratio(y, x, data_range=1) for y, x in zip(clean, noisy, strict=True)])
    print(f"noisy input {base:.2f} dB; true normalised noise std {truth:.4f}\n")
    print("| budget | steps | train s | PSNR | gain | sigma | readout | sigma_loss (bound) |")
    print("|---|---|---|---|---|---|---|---|")
    for minutes in args.minutes:
        t0 = time.perf_counter()
        cfg = fit_to_time(images, noise2info.make_config(seed=0), minutes * 60, device="cpu")
        fit = time.perf_counter() - t0
        r = noise2info.train(images, cfg, progress=False, device="cpu")
        denoised = [np.clip(noise2info.denoise(r, x)[0], 0, 1) for x in images]
        pairs = zip(clean, denoised, strict=True)
        psnr = np.mean([peak_signal_noise_ratio(y, d, data_range=1) for y, d in pairs])
        print(
            f"| {minutes:g} min | {cfg.training.steps} | {r.seconds:.0f} (+{fit:.0f} timing) | {psnr:.2f} | "
            f"{psnr - base:+.2f} dB | {r.sigma:.4f} ({r.sigma / truth - 1:+.1%}) | "
            f"{r.sigma_readout:.4f} ({r.sigma_readout / truth - 1:+.1%}) | "
            f"{r.sigma_loss:.4f} ({r.sigma_loss / truth - 1:+.1%}) |",
            flush=True,
        )


if __name__ == "__main__":
    torch.set_num_threads(2)
    main()
