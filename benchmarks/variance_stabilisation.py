"""Poisson-Gaussian noise with and without the generalized Anscombe transform around training.

    python benchmarks/variance_stabilisation.py --steps 300

The images and noise of ``noise_level_function.py`` (camera, coins, moon, brick in [0, 1];
X = a Poisson(Y / a) + N(0, b^2), seed 0). `raw`: noise2info with its defaults (cpu preset,
batch 16) trains on X and denoises X. `gat`: (a, b) fitted from the noisy images alone
(`direct_noise_level_function`), the network trains on and denoises f(X), and the unbiased
inverse maps the result back. PSNR on [0, 1] against Y, the prediction clipped to [0, 1].
Prints a markdown table.
"""

from __future__ import annotations

import argparse

import numpy as np
from noise_level_function import IMAGES, SETTINGS
from skimage import data as skdata
from skimage.metrics import peak_signal_noise_ratio

import noise2info
from noise2info.data.variance import generalized_anscombe, inverse_generalized_anscombe
from noise2info.noise_level import direct_noise_level_function


def _train_and_denoise(images: list[np.ndarray], steps: int) -> tuple[list[np.ndarray], float]:
    cfg = noise2info.make_config(preset="cpu", steps=steps, seed=0)
    result = noise2info.train([x[None].astype(np.float32) for x in images], cfg, progress=False)
    return [noise2info.denoise(result, x[None].astype(np.float32))[0] for x in images], result.seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=300)
    args = ap.parse_args()
    clean = [getattr(skdata, n)().astype(np.float64) / 255.0 for n in IMAGES]
    print(
        "| a | b | fitted a, b | noisy | raw | gat | gat - raw | per image (gat - raw) | train s raw / gat |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for a, b in SETTINGS:
        rng = np.random.default_rng(0)
        noisy = [a * rng.poisson(y / a) + rng.normal(0, b, y.shape) for y in clean]
        fit = direct_noise_level_function([x[None] for x in noisy])
        fa, fb = fit["a"], fit["b"]
        raw, t_raw = _train_and_denoise(noisy, args.steps)
        stable, t_gat = _train_and_denoise([generalized_anscombe(x, fa, fb) for x in noisy], args.steps)
        gat = [inverse_generalized_anscombe(d, fa, fb) for d in stable]

        def psnr(preds):
            return np.array(
                [
                    peak_signal_noise_ratio(y, np.clip(p, 0, 1), data_range=1)
                    for y, p in zip(clean, preds, strict=True)
                ]
            )

        p_noisy, p_raw, p_gat = psnr(noisy), psnr(raw), psnr(gat)
        per = " / ".join(f"{d:+.2f}" for d in p_gat - p_raw)
        print(
            f"| {a} | {b} | {fa:.4f}, {fb:.4f} | {p_noisy.mean():.2f} | {p_raw.mean():.2f} "
            f"| {p_gat.mean():.2f} "
            f"| {p_gat.mean() - p_raw.mean():+.2f} | {per} | {t_raw:.0f} / {t_gat:.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
