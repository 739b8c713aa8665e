"""Each image's expected gain against its true gain under correlated noise (issue 28, item 5):
the check's probe carrying the noise's correlation out to ``correlation.REACH`` pixels, read
unbent (``plan.noise_covariance``, the default), against the four nearest lags as the block fit
reads them (``plan.noise_lags``, before). The default pipeline trains on one kind of the
real-sim test bed and denoises the same images, as ``test_bed_default.py`` does.

    python benchmarks/expected_gain_correlated.py camera consumer-jpeg --steps 400 --side 256 \
        --out benchmarks/results/expected-gain-correlated.json [--colour together]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

import noise2info
from noise2info.data.camera import real_sim_images


def gain_db(noisy: np.ndarray, out: np.ndarray, reference: np.ndarray) -> float:
    """The true PSNR gain of ``out`` (clipped to [0, 1], as written to an 8-bit file) over ``noisy``."""
    mse_in = np.mean((noisy - reference) ** 2)
    return float(10 * np.log10(mse_in / np.mean((np.clip(out, 0, 1) - reference) ** 2)))


def one_kind(kind: str, steps: int, side: int, seed: int, colour: str) -> dict:
    _, references, noisy = real_sim_images(kind, side=side)
    noisy = [np.asarray(x, np.float32) for x in noisy]
    config = noise2info.make_config(steps=steps, seed=seed, colour=colour)
    channels = noisy[0].shape[0]
    config = config.model_copy(update={"model": config.model.model_copy(update={"channels": channels})})
    t0 = time.perf_counter()
    run = noise2info.train(noisy, config, progress=False)
    seconds = time.perf_counter() - t0
    # the probe as it was: the lags as the block fit reads them, no correlation between channels
    before = run.plan.model_copy(update={"noise_covariance": None, "noise_channels": None})
    rows = []
    for x, y in zip(noisy, references, strict=True):
        out, now = noise2info.denoise(run, x, return_gain=True)
        _, old = noise2info.denoise(run, x, plan=before, return_gain=True)
        truth = np.sqrt(((x - y) ** 2).reshape(channels, -1).mean(1) / x.reshape(channels, -1).var(1))
        rows.append(
            {
                "true_gain": round(gain_db(x, out, y), 2),
                "expected": now["gain_db"],
                "expected_before": old["gain_db"],
                "sigma": None if now["sigma"] is None else round(now["sigma"], 4),
                "true_sigma": round(float(np.sqrt(np.mean(truth**2))), 4),
            }
        )
    summary = {
        "kind": kind,
        "colour": colour,
        "steps": steps,
        "side": side,
        "train_seconds": round(seconds, 1),
    }
    summary["images"] = rows
    for key in ("expected", "expected_before"):
        errors = [r[key] - r["true_gain"] for r in rows if r[key] is not None]
        summary[key + "_error"] = (
            {
                "mean": round(float(np.mean(errors)), 2),
                "largest": round(float(max(errors, key=abs)), 2),
                "within_1db": f"{sum(abs(e) <= 1 for e in errors)} of {len(errors)}",
            }
            if errors
            else None
        )
    shown = ("start", "start_share", "noise_scale", "posterior_floor", "channels_apart", "noise_channels")
    summary["plan"] = {k: v for k, v in run.plan.model_dump().items() if k in shown}
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kinds", nargs="+")
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--side", type=int, default=256)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--colour", default="auto", choices=["auto", "apart", "together"])
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    found = []
    for kind in args.kinds:
        found.append(one_kind(kind, args.steps, args.side, args.seed, args.colour))
        print(json.dumps({k: v for k, v in found[-1].items() if k != "images"}), flush=True)
        for r in found[-1]["images"]:
            print("   ", json.dumps(r), flush=True)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        command = " ".join(["python", *sys.argv])
        record = {"command": command, "date": time.strftime("%Y-%m-%d"), "kinds": found}
        args.out.write_text(json.dumps(record, indent=1))


if __name__ == "__main__":
    main()
