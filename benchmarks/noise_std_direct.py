"""The run's sigma (the noise std measured on the noisy images alone) against the truth and
against scikit-image's estimate_sigma, on the same images.

    python benchmarks/noise_std_direct.py

Image sets: the five of ``readout_vs_truth.py`` (camera, coins, page, moon, brick), the same
with grass for page (a fine texture everywhere), BSD68 (../shared/data/bsd68) and the
hanzi-gauss suite's training images (its cpu budget; needs ../shared/fonts). Noise as in
``readout_vs_truth.py`` (seed 0). `sigma` is `noise2info.noise_level.direct_noise_std`, what
`train` reports as sigma and what `estimate-sigma` prints; `skimage` is estimate_sigma of
each normalised image pooled as an rms; the truth sigma_n as in method.md. No network, so
no training: runs in a few minutes. Prints a markdown table.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from readout_vs_truth import IMAGES, noisy_images, skimage_sigma
from skimage import data as skdata
from skimage import io

from noise2info.bench.budgets import BUDGETS
from noise2info.bench.suites import SUITES
from noise2info.data.noise import normalised_noise_std
from noise2info.noise_level import direct_noise_std

KINDS = ("gaussian 15", "gaussian 25", "gaussian 50", "laplace 25", "uniform 25", "poisson-gaussian")
SHARED = Path("../shared")


def _row(images: str, noise: str, clean, noisy, errors: dict) -> None:
    truth = normalised_noise_std(clean, noisy)
    found = {"sigma": direct_noise_std([x[None] for x in noisy])["sigma"], "skimage": skimage_sigma(noisy)}
    cells = []
    for name, value in found.items():
        errors[name].append(abs(value / truth - 1))
        cells.append(f"{value:.4f} ({100 * (value / truth - 1):+.1f} %)")
    print(f"| {images} | {noise} | {truth:.4f} | {' | '.join(cells)} |", flush=True)


def main() -> None:
    sets = {
        "five": [getattr(skdata, n)().astype(np.float64) / 255 for n in IMAGES],
        "five, grass for page": [
            getattr(skdata, n)().astype(np.float64) / 255
            for n in ("camera", "coins", "grass", "moon", "brick")
        ],
    }
    bsd = sorted((SHARED / "data" / "bsd68").glob("*.png"))
    if bsd:
        sets["BSD68"] = [io.imread(p).astype(np.float64) / 255 for p in bsd]
    print("| images | noise | sigma_n | sigma (images alone) | skimage estimate_sigma |")
    print("|---|---|---|---|---|")
    errors = {"sigma": [], "skimage": []}
    for label, clean in sets.items():
        for kind in KINDS:
            _row(label, kind, clean, noisy_images(kind, clean, np.random.default_rng(0)), errors)
    font = SHARED / "fonts" / "wqy-microhei.ttc"
    if font.is_file():
        for case in SUITES["hanzi-gauss"](BUDGETS["cpu"], SHARED / "data", font, 0):
            _row(
                "hanzi-gauss (train)",
                f"gaussian s' = {case.noise.std}",
                case.train_clean,
                case.train_noisy,
                errors,
            )
    worst = " | ".join(f"{100 * np.mean(e):.1f} % (worst {100 * np.max(e):.1f} %)" for e in errors.values())
    print(f"| mean absolute error | | | {worst} |")


if __name__ == "__main__":
    main()
