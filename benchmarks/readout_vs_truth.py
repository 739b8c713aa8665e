"""The noise readout (sigma) and Noise2Info's bound (sigma_loss) against the true noise std,
beside scikit-image's estimate_sigma on the same images.

    python benchmarks/readout_vs_truth.py --steps 300

Five grey images that ship with scikit-image (camera, coins, page, moon, brick), each noise
model seeded (seed 0): Gaussian with std 15, 25 and 50 on 0..255, Laplace and uniform with
std 25, and Poisson-Gaussian X = a Poisson(Y / a) + N(0, b^2) with a = 0.02, b = 0.03 on
[0, 1]. noise2info trains with its defaults (cpu preset, batch 16) on the noisy images; the
truth is sigma_n, the std of X - Y after each image's own normalisation (method.md). Prints
a markdown table: each estimate and its error against sigma_n.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from skimage import data as skdata
from skimage.restoration import estimate_sigma

import noise2info
from noise2info.data.noise import normalised_noise_std

IMAGES = ("camera", "coins", "page", "moon", "brick")


def noisy_images(kind: str, clean: list[np.ndarray], rng: np.random.Generator) -> list[np.ndarray]:
    s = 25 / 255
    make = {
        "gaussian 15": lambda y: y + rng.normal(0, 15 / 255, y.shape),
        "gaussian 25": lambda y: y + rng.normal(0, s, y.shape),
        "gaussian 50": lambda y: y + rng.normal(0, 50 / 255, y.shape),
        "laplace 25": lambda y: y + rng.laplace(0, s / np.sqrt(2), y.shape),
        "uniform 25": lambda y: y + rng.uniform(-1, 1, y.shape) * s * np.sqrt(3),
        "poisson-gaussian": lambda y: 0.02 * rng.poisson(y / 0.02) + rng.normal(0, 0.03, y.shape),
    }[kind]
    return [make(y) for y in clean]


def skimage_sigma(noisy: list[np.ndarray]) -> float:
    """estimate_sigma of each normalised image, pooled over pixels like sigma_n."""
    values = [estimate_sigma((x - x.mean()) / x.std()) for x in noisy]
    sizes = [x.size for x in noisy]
    return float(np.sqrt(np.average(np.square(values), weights=sizes)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--kinds", nargs="+", default=None)
    args = ap.parse_args()
    clean = [getattr(skdata, n)().astype(np.float64) / 255.0 for n in IMAGES]
    kinds = args.kinds or [
        "gaussian 15",
        "gaussian 25",
        "gaussian 50",
        "laplace 25",
        "uniform 25",
        "poisson-gaussian",
    ]
    print("| noise | sigma_n | readout sigma | bound sigma_loss | skimage estimate_sigma | train s |")
    print("|---|---|---|---|---|---|")
    errors = {"readout": [], "bound": [], "skimage": []}
    for kind in kinds:
        noisy = noisy_images(kind, clean, np.random.default_rng(0))
        truth = normalised_noise_std(clean, noisy)
        cfg = noise2info.make_config(preset="cpu", steps=args.steps, seed=0)
        t0 = time.perf_counter()
        result = noise2info.train([x[None].astype(np.float32) for x in noisy], cfg, progress=False)
        seconds = time.perf_counter() - t0
        found = {"readout": result.sigma, "bound": result.sigma_loss, "skimage": skimage_sigma(noisy)}
        cells = []
        for name, value in found.items():
            errors[name].append(abs(value / truth - 1))
            cells.append(f"{value:.4f} ({100 * (value / truth - 1):+.1f} %)")
        print(f"| {kind} | {truth:.4f} | {' | '.join(cells)} | {seconds:.0f} |", flush=True)
    means = " | ".join(f"{100 * np.mean(e):.1f} %" for e in errors.values())
    print(f"| mean absolute error | | {means} | |")


if __name__ == "__main__":
    main()
