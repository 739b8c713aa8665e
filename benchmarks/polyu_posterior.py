"""The posterior step on real camera photos: variants of the step on one trained run, no retraining.

Trains the default on the 56 photos of ../shared/data/polyu-dev (as benchmarks/polyu.py does;
saved to ``--run`` and reused when it is there), predicts each photo once and applies each
variant to the same prediction; PSNR of the 8-bit result against the multi-frame reference.

    python benchmarks/polyu_posterior.py --run RUN [--only 0,4,8] [--variants default floor0.5 ...]

Variants: ``default`` (the run's plan), ``alone`` (the network), ``floorF`` (least gain F, the
run's noise readings), ``kK_F`` (the readings' variance times K, least gain F), ``pd2`` (the
network on the four sub-images of every second pixel, then the step), ``r3`` (the network on
the prediction with 16 % of its pixels put back to the noisy ones, 8 draws averaged, then the
step; the random-replacing refinement of AP-BSN).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from polyu import load, psnr

import noise2info
from noise2info import io
from noise2info.posterior import posterior_mean
from noise2info.prediction import image_sigmas
from noise2info.prediction.denoise import predict


def trained_run(run: Path, noisy: list, steps: int = 800, seed: int = 0):
    """The default run on the photos, trained once and saved to ``run``."""
    if not (run / "config.json").is_file():
        config = noise2info.make_config(steps=steps, seed=seed)
        config = config.model_copy(update={"model": config.model.model_copy(update={"channels": 3})})
        t0 = time.perf_counter()
        result = noise2info.train(noisy, config, progress=False)
        print(f"trained in {time.perf_counter() - t0:.0f} s", flush=True)
        noise2info.save_run(result, run)
    return noise2info.load_run(run, "cpu")


def variant(name: str, z: np.ndarray, mu: np.ndarray, sigma: np.ndarray, net, plan, rng) -> np.ndarray:
    """One variant's output, normalised units."""
    if name == "default":
        return posterior_mean(z, mu, sigma, floor=plan.posterior_floor)
    if name == "alone":
        return mu
    if name.startswith("floor"):
        return posterior_mean(z, mu, sigma, floor=float(name[5:]))
    if name.startswith("k"):
        factor, floor = (float(v) for v in name[1:].split("_"))
        return posterior_mean(z, mu, sigma * np.sqrt(factor), floor=floor)
    if name == "pd2":
        sub = np.empty_like(z)
        for a in range(2):
            for b in range(2):
                sub[:, a::2, b::2] = predict(net, np.ascontiguousarray(z[:, a::2, b::2]).astype(np.float32))
        return posterior_mean(z, sub, sigma, floor=plan.posterior_floor)
    if name == "r3":
        acc = np.zeros_like(z)
        for _ in range(8):
            kept = rng.random(z.shape) < 0.16
            acc += predict(net, np.where(kept, z, mu).astype(np.float32))
        return posterior_mean(z, acc / 8, sigma, floor=plan.posterior_floor)
    raise SystemExit(f"unknown variant {name!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared/data/polyu-dev"))
    parser.add_argument("--run", required=True, type=Path)
    parser.add_argument("--only", default=None, help="comma-separated photo indices (default all)")
    parser.add_argument("--variants", nargs="+", default=["default", "alone", "floor0", "floor0.5"])
    args = parser.parse_args()
    names, noisy, clean = load(Path(args.data))
    run = trained_run(args.run, noisy)
    net = run.model.eval()
    chosen = [int(i) for i in args.only.split(",")] if args.only else range(len(names))
    rng = np.random.default_rng(0)
    gains = {v: [] for v in args.variants}
    for i in chosen:
        x, y = noisy[i], clean[i]
        values = x.astype(np.float64)
        mean = values.reshape(3, -1).mean(axis=1)[:, None, None]
        std = values.reshape(3, -1).std(axis=1)[:, None, None]
        z = (values - mean) / std
        sigma = np.asarray(image_sigmas(x.astype(np.float32), std.ravel(), run.plan))
        mu = predict(net, z.astype(np.float32))
        base = psnr(y, x)
        for v in args.variants:
            out = variant(v, z, mu, sigma, net, run.plan, rng)
            gains[v].append(psnr(y, io.cast_to(out * std + mean, np.uint8)) - base)
        print(names[i], " ".join(f"{v} {gains[v][-1]:+.2f}" for v in args.variants), flush=True)
    for v, g in gains.items():
        g = np.asarray(g)
        print(f"{v}: gain {g.mean():+.3f} dB, worse {int((g < 0).sum())} of {g.size}, lowest {g.min():+.2f}")


if __name__ == "__main__":
    main()
