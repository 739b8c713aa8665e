"""Prediction cost and speed on this machine: FLOP per pixel, GFLOP/s, megapixels per second.

    python benchmarks/prediction_speed.py --size 1024

For each preset: the FLOP of one forward pass counted by ``torch.utils.flop_counter`` on a
256 x 256 input (per pixel), then ``noise2info.denoise`` on a ``size`` x ``size`` image
(untiled, and in 512 tiles), the trained network alone on the normalised image, and the
copy that ``denoise`` predicts with (``inference_model``: middle batch norms folded into their
convolutions, channels_last), timed after a warm-up (best of 3), as megapixels and GFLOP per
second; with ``--compile`` also that copy under ``torch.compile``.
"""

from __future__ import annotations

import argparse
import time
from functools import partial

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

import noise2info
from noise2info.config import PRESETS, make_config
from noise2info.models import build_model, inference_model
from noise2info.runtime import keep_freed_memory


def flop_per_pixel(model: torch.nn.Module, side: int = 256) -> float:
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(torch.zeros(1, 1, side, side))
    return counter.get_total_flops() / side**2


def seconds(fn, repeat: int = 3) -> float:
    fn()  # warm-up: allocations, oneDNN kernels
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=1024)
    p.add_argument("--presets", nargs="+", default=["cpu", "paper"], choices=sorted(PRESETS))
    p.add_argument("--compile", action="store_true")
    a = p.parse_args()
    keep_freed_memory()  # as the CLI does
    image = np.random.default_rng(0).random((1, a.size, a.size)).astype(np.float32)
    mpx = a.size**2 / 1e6
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {a.size} x {a.size} image")
    print("| preset | kFLOP / pixel | how | s | Mpx/s | GFLOP/s |")
    print("|---|---|---|---|---|---|")
    for preset in a.presets:
        model = build_model(make_config(preset=preset).model).eval()
        fpp = flop_per_pixel(model)
        x = torch.from_numpy((image - image.mean()) / image.std())[None]
        runs = {
            "denoise, untiled": partial(noise2info.denoise, model, image, tile=a.size),
            "denoise, 512 tiles": partial(noise2info.denoise, model, image, tile=512),
            "network alone": partial(_forward, model, x),
            "inference copy alone": partial(_forward, inference_model(model), x),
        }
        if a.compile:
            compiled = torch.compile(inference_model(model))
            runs["inference copy, torch.compile"] = partial(_forward, compiled, x)
        for how, fn in runs.items():
            s = seconds(fn)
            rate = f"{mpx / s:.3f} | {fpp * a.size**2 / s / 1e9:.1f}"
            print(f"| {preset} | {fpp / 1e3:.0f} | {how} | {s:.2f} | {rate} |", flush=True)


def _forward(model, x: torch.Tensor) -> None:
    with torch.inference_mode():
        model(x)


if __name__ == "__main__":
    main()
