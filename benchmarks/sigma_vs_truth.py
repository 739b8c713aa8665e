"""Estimated sigma_loss against the true noise std after a short CPU training run.

Clean grey images (BSD400 from ../shared/data when present, else scikit-image's bundled
images) get seeded Gaussian noise of a known std; noise2info trains on the noisy images alone
and its final sigma_loss is compared with sigma_n, the std of the noise over all training
pixels after each image's own normalisation (method.md).

    python benchmarks/sigma_vs_truth.py --stds 15 25 50 --steps 600 --out benchmarks/results
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np
import torch
from skimage.metrics import peak_signal_noise_ratio

import noise2info
from noise2info import io
from noise2info.data.noise import normalised_noise_std
from noise2info.demo import demo_images

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "bsd400"


def clean_images(n: int) -> tuple[str, list[np.ndarray]]:
    if SHARED.is_dir():
        paths = sorted(SHARED.glob("*.png"))[:n]
        return f"BSD400 (first {len(paths)})", [io.read_image(p).astype(np.float64) / 255 for p in paths]
    imgs = demo_images()
    return "scikit-image " + ", ".join(imgs), list(imgs.values())


def mean_psnr(clean: list[np.ndarray], images: list[np.ndarray], clip: bool = True) -> float:
    """Mean PSNR on the clean images' [0, 1] range (predictions clipped to it)."""
    pairs = zip(clean, images, strict=True)
    return float(
        np.mean([peak_signal_noise_ratio(y, np.clip(x, 0, 1) if clip else x, data_range=1) for y, x in pairs])
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stds", type=float, nargs="+", default=[15, 25, 50], help="noise std on 0..255")
    ap.add_argument("--images", type=int, default=50)
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = ap.parse_args()

    source, clean = clean_images(args.images)
    rows = []
    for std in args.stds:
        rng = np.random.default_rng(args.seed)
        noisy = [y + rng.normal(0, std / 255, y.shape) for y in clean]
        sigma_n = normalised_noise_std(clean, noisy)
        cfg = noise2info.make_config(
            preset="cpu", steps=args.steps, batch_size=args.batch_size, seed=args.seed
        )
        result = noise2info.train([x[None].astype(np.float32) for x in noisy], cfg, progress=False)
        t0 = time.perf_counter()
        den = [noise2info.denoise(result, x[None])[0] for x in noisy]
        predict_s = (time.perf_counter() - t0) / len(den)
        psnr_in, psnr_out = mean_psnr(clean, noisy, clip=False), mean_psnr(clean, den)
        stars = [r["sigma_star"] for r in result.history.sigma_rounds if r["sigma_star"] is not None]
        row = {
            "std_255": std,
            "sigma_n": sigma_n,
            "sigma_loss": result.sigma_loss,
            "rel_error": result.sigma_loss / sigma_n - 1,
            "last_sigma_star": stars[-1] if stars else None,
            "rounds": len(result.history.sigma_rounds),
            "psnr_noisy": float(psnr_in),
            "psnr_denoised": float(psnr_out),
            "train_seconds": result.seconds,
            "predict_seconds_per_image": predict_s,
        }
        rows.append(row)
        print(json.dumps(row), flush=True)

    args.out.mkdir(parents=True, exist_ok=True)
    meta = {
        "source": source,
        "steps": args.steps,
        "batch_size": args.batch_size,
        "preset": "cpu",
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "machine": f"{platform.machine()} {platform.processor()}".strip(),
        "date": time.strftime("%Y-%m-%d"),
    }
    (args.out / "sigma_vs_truth.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=1) + "\n")
    print(f"\n{source}; cpu preset, {args.steps} steps, batch {args.batch_size}")
    print("| noise std (0..255) | true sigma_n | sigma_loss | error | PSNR noisy | PSNR denoised | train s |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['std_255']:.0f} | {r['sigma_n']:.4f} | {r['sigma_loss']:.4f} "
            f"| {100 * r['rel_error']:+.1f} % "
            f"| {r['psnr_noisy']:.2f} | {r['psnr_denoised']:.2f} | {r['train_seconds']:.0f} |"
        )


if __name__ == "__main__":
    main()
