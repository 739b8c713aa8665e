"""When `vst auto` switches the generalized Anscombe transform on: the signal-dependent share.

    python benchmarks/vst_detection.py

Seven grey scikit-image images (camera, coins, moon, brick, grass, page, text) and the first
50 BSD400 images (../shared/data/bsd400, skipped when absent), in [0, 1], with seeded
Gaussian or Poisson-Gaussian noise. For each, `fit_stabiliser` on all images together: the
fitted a, b and the share a * mean / (a * mean + b^2) that `vst auto` compares with
SIGNAL_DEPENDENT_SHARE (None: no line fitted, so auto keeps the images as they are). Prints a
markdown table.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from skimage import data as skdata
from skimage import io

from noise2info.data.variance import SIGNAL_DEPENDENT_SHARE, fit_stabiliser

NAMES = ("camera", "coins", "moon", "brick", "grass", "page", "text")
GAUSS = (2, 5, 15, 25, 50)  # std on 0..255
PG = [(0.02, 0.03), (0.01, 0.02), (0.05, 0.01), (0.002, 0.01), (0.001, 0.02), (0.0005, 0.02)]


def main() -> None:
    sets = {"scikit-image (7)": [getattr(skdata, n)().astype(np.float64) / 255 for n in NAMES]}
    bsd = sorted(Path("../shared/data/bsd400").glob("*.png"))[:50]
    if bsd:
        sets["BSD400 (50)"] = [io.imread(p).astype(np.float64) / 255 for p in bsd]
    print(f"auto switches on at share >= {SIGNAL_DEPENDENT_SHARE}\n")
    print("| images | noise | true share | fitted a | fitted b | share | auto |")
    print("|---|---|---|---|---|---|---|")
    for label, clean in sets.items():
        rng = np.random.default_rng(0)
        mean = float(np.mean([y.mean() for y in clean]))
        cases = [
            (f"gaussian {s}/255", 0.0, lambda y, s=s, rng=rng: y + rng.normal(0, s / 255, y.shape))
            for s in GAUSS
        ]
        cases += [
            (
                f"poisson-gaussian a={a}, b={b}",
                a * mean / (a * mean + b * b),
                lambda y, a=a, b=b, rng=rng: a * rng.poisson(y / a) + rng.normal(0, b, y.shape),
            )
            for a, b in PG
        ]
        for noise, truth, draw in cases:
            fit = fit_stabiliser([draw(y)[None] for y in clean])
            if fit is None:
                print(f"| {label} | {noise} | {truth:.2f} | - | - | none fitted | off |")
                continue
            a, b, share = fit
            on = "on" if share >= SIGNAL_DEPENDENT_SHARE else "off"
            print(f"| {label} | {noise} | {truth:.2f} | {a:.4g} | {b:.4g} | {share:.2f} | {on} |", flush=True)


if __name__ == "__main__":
    main()
