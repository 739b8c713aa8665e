"""Each photo's expected gain by simulation, against its true gain (issue 28, item 5).

A parametric bootstrap: the camera start's own prediction of a photo (its denoised output)
stands in for the clean image; a camera pipeline like the test bed's consumer-jpeg kind
(:class:`noise2info.data.camera.CameraPipeline`: colour matrix, in-camera noise reduction,
JPEG of ``--quality``) puts noise on it, its shot and read noise scaled (bisection on the log
of the scale) until the simulated photo's noise reading (the Haar reading of the flattest half,
rms over channels) equals the real photo's; the start then denoises the simulated photo, and
its gain against the simulated reference is the expected gain. Matching the readings, not the
noise std, sidesteps the unknown truth: a reader that misses part of JPEG'd noise misses it on
the simulation too, as far as the simulator is like the camera. The denoiser measured is the
shipped camera start alone, zero-shot (no run to train). Photos of ../shared/data/polyu-dev
(never copied; non-commercial licence).

    python benchmarks/polyu_simulated_gain.py --quality 75 [--only 0,4,8,...,52]
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import numpy as np
from camera_start import _per_channel
from polyu import load
from polyu_readings import haar
from skimage.metrics import peak_signal_noise_ratio

import noise2info
from noise2info.data.camera import TEST_BED
from noise2info.models import build_model
from noise2info.models.pretrained import load_pretrained


def reading(x: np.ndarray) -> float:
    """The Haar reading of the flattest half of each channel, rms over channels."""
    return float(np.sqrt(np.mean([haar(p, 0.5) ** 2 for p in np.asarray(x, np.float64)])))


def simulate(clean: np.ndarray, scale: float, quality: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``(reference, noisy)`` in [0, 1] from the consumer-jpeg kind's camera, noise times ``scale``."""
    consumer = TEST_BED["consumer-jpeg"][0]
    camera = replace(consumer, a=consumer.a * scale**2, b=consumer.b * scale, jpeg=quality)
    return camera.apply(clean, np.random.default_rng(seed))


def matched_scale(clean: np.ndarray, target: float, quality: int, seed: int, rounds: int = 7) -> float:
    """The noise scale at which the simulated photo reads ``target`` (bisection on its log)."""
    low, high = np.log(0.1), np.log(10.0)
    for _ in range(rounds):
        mid = (low + high) / 2
        if reading(simulate(clean, float(np.exp(mid)), quality, seed)[1]) < target:
            low = mid
        else:
            high = mid
    return float(np.exp((low + high) / 2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared/data/polyu-dev"))
    parser.add_argument("--quality", type=int, default=75, help="the simulated camera's JPEG quality")
    parser.add_argument("--only", default=None, help="polyu-dev photo indices, comma-separated")
    args = parser.parse_args()
    grey = noise2info.make_config().model
    start = build_model(grey)
    load_pretrained(start, grey, "camera")
    start.eval()
    _, noisy, clean = load(Path(args.data))
    chosen = [int(i) for i in args.only.split(",")] if args.only else range(len(noisy))
    true, expected = [], []
    for i in chosen:
        y, x = noisy[i].astype(np.float64), clean[i].astype(np.float64)
        out = np.clip(np.round(_per_channel(start, y)), 0, 255)
        true.append(
            peak_signal_noise_ratio(x, out, data_range=255) - peak_signal_noise_ratio(x, y, data_range=255)
        )
        stand_in = out / 255
        scale = matched_scale(stand_in, reading(y) / 255, args.quality, seed=i)
        ref, sim = simulate(stand_in, scale, args.quality, seed=i)
        sim_out = np.clip(_per_channel(start, sim * 255) / 255, 0, 1)
        expected.append(
            peak_signal_noise_ratio(ref, sim_out, data_range=1)
            - peak_signal_noise_ratio(ref, sim, data_range=1)
        )
        print(
            f"photo {i}: true {true[-1]:+.2f} dB, expected {expected[-1]:+.2f} (noise scale {scale:.2f})",
            flush=True,
        )
    t, e = np.asarray(true), np.asarray(expected)
    off = e - t
    constant = np.abs(t - t.mean())
    print(
        f"q{args.quality}, {t.size} photos: true {t.mean():+.2f} dB, expected {e.mean():+.2f}; "
        f"within 1 dB {np.mean(np.abs(off) <= 1):.0%} (mean error {off.mean():+.2f}, "
        f"correlation {np.corrcoef(t, e)[0, 1]:.2f}); the true mean for every photo (an oracle "
        f"constant) within 1 dB {np.mean(constant <= 1):.0%}"
    )


if __name__ == "__main__":
    main()
