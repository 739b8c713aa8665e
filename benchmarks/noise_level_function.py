"""Recovering the gain and offset of Poisson-Gaussian noise from the noisy images alone.

    python benchmarks/noise_level_function.py --steps 300
    python benchmarks/noise_level_function.py --steps 0   # the direct fit alone

Four grey images that ship with scikit-image (camera, coins, moon, brick) scaled to [0, 1],
X = a Poisson(Y / a) + N(0, b^2) (seed 0) for each (a, b) below. `direct`: the fit from the
noisy images alone (`noise2info.noise_level`); `network`: noise2info trains with its
defaults (cpu preset, batch 16) on the noisy images, then `estimate_sigma` reads the noise
level function from its readout. Both fit variance = a * intensity + b^2. Prints a markdown
table.
"""

from __future__ import annotations

import argparse

import numpy as np
from skimage import data as skdata

import noise2info
from noise2info.noise_level import direct_noise_level_function

IMAGES = ("camera", "coins", "moon", "brick")
SETTINGS = [(0.02, 0.03), (0.01, 0.02), (0.05, 0.01)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=300)
    args = ap.parse_args()
    clean = [getattr(skdata, n)().astype(np.float64) / 255.0 for n in IMAGES]
    print("| true a | true b | fit | fitted a | fitted b | bins | train s |")
    print("|---|---|---|---|---|---|---|")
    for a, b in SETTINGS:
        rng = np.random.default_rng(0)
        noisy = [(a * rng.poisson(y / a) + rng.normal(0, b, y.shape))[None].astype(np.float32) for y in clean]
        fits = [("direct", direct_noise_level_function(noisy), None)]
        if args.steps:
            cfg = noise2info.make_config(preset="cpu", steps=args.steps, seed=0)
            result = noise2info.train(noisy, cfg, progress=False)
            nlf = noise2info.estimate_sigma(noisy, result)["noise_level_function"]
            fits.append((f"network ({result.plan.init} start)", nlf, result.seconds))
        for how, fit, seconds in fits:
            print(
                f"| {a} | {b} | {how} | {fit['a']:.4f} ({100 * (fit['a'] / a - 1):+.1f} %) "
                f"| {fit['b']:.4f} ({100 * (fit['b'] / b - 1):+.1f} %) | {len(fit['intensity'])} "
                f"| {'' if seconds is None else f'{seconds:.0f}'} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
