"""Grey JPEG'd photos: the default on the luminance of colour photos, where the noise reads
correlated and JPEG'd.

Colour photos' channels start from the shipped start trained on camera-pipeline noise and mix
its own prediction into the output (JPEG'd); this measures the same on grey photos: the
luminance (0.299 R + 0.587 G + 0.114 B, rounded to 8 bits) of every 7th of polyu-dev's photos
(8 photos, 512 x 512; trained 800 steps, the CLI's) and of the real-sim test bed's JPEG'd
kinds (five images, 256 x 256, 400 steps). Gain over the noisy grey image against the
reference's luminance (dB, peak 255), mean and worst: each shipped start alone (each image
normalised and denoised zero-shot), the default as ``denoise`` writes it, and the run
without the start's share.

    python benchmarks/grey_jpeg.py [--kind phone-jpeg photo-jpeg] [--no-polyu]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from camera_start import _per_channel
from skimage.metrics import peak_signal_noise_ratio

import noise2info
from noise2info.data.camera import real_sim_images
from noise2info.models.pretrained import STARTS, shipped_start

LUMA = np.array([0.299, 0.587, 0.114])[:, None, None]


def grey(image: np.ndarray, scale: float) -> np.ndarray:
    """The 8-bit luminance of a ``(3, H, W)`` image in [0, ``scale``], as ``(1, H, W)`` uint8."""
    return np.clip(np.round((image * LUMA).sum(axis=0) * 255 / scale), 0, 255)[None].astype(np.uint8)


def gain(y: np.ndarray, x: np.ndarray, out: np.ndarray) -> float:
    out = np.clip(np.round(out), 0, 255).astype(np.uint8)
    return peak_signal_noise_ratio(y, out, data_range=255) - peak_signal_noise_ratio(y, x, data_range=255)


def evaluate(name: str, noisy: list, clean: list, steps: int) -> None:
    model = noise2info.make_config().model
    rows = {
        f"{s} start alone": [
            gain(y, x, _per_channel(shipped_start(model, s), x)) for x, y in zip(noisy, clean, strict=True)
        ]
        for s in STARTS
    }
    t0 = time.perf_counter()
    run = noise2info.train(
        [x.astype(np.float32) for x in noisy], noise2info.make_config(steps=steps, seed=0), progress=False
    )
    plan = run.plan
    print(f"{name}: trained {time.perf_counter() - t0:.0f} s; start {plan.start}, share {plan.start_share}")
    rows["default"] = [
        gain(y, x, noise2info.denoise(run, x.astype(np.float64))) for x, y in zip(noisy, clean, strict=True)
    ]
    rows["the run without the mix"] = [
        gain(y, x, noise2info.denoise(run, x.astype(np.float64), mix_start=False))
        for x, y in zip(noisy, clean, strict=True)
    ]
    for row, found in rows.items():
        print(f"  {row}: {np.mean(found):+.2f} (worst {min(found):+.2f})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", nargs="*", default=["phone-jpeg", "photo-jpeg"])
    parser.add_argument("--no-polyu", action="store_true")
    parser.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared/data/polyu-dev"))
    args = parser.parse_args()
    for kind in args.kind:
        _, references, noisy = real_sim_images(kind, side=256)
        evaluate(kind, [grey(x, 1.0) for x in noisy], [grey(y, 1.0) for y in references], 400)
    if not args.no_polyu and Path(args.data).is_dir():
        from polyu import load

        _, noisy, clean = load(Path(args.data))
        chosen = range(0, len(noisy), 7)
        evaluate(
            "polyu-dev, 8 photos",
            [grey(noisy[i], 255) for i in chosen],
            [grey(clean[i], 255) for i in chosen],
            800,
        )


if __name__ == "__main__":
    main()
