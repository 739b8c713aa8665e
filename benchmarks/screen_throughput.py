"""Denoising a screen of many files: one process with all threads against N processes
sharing the inputs (``denoise --nproc N``), each the whole command, side by side in one run.

    python benchmarks/screen_throughput.py --images 48 --size 256 [--engine torch|onnx] [--gpu]

The network is the cpu preset's (untrained weights: the speed does not depend on them); the
images are seeded noise. Each configuration denoises the same inputs into a fresh folder,
timed from the command's start (imports and process start-up included), and the outputs
are checked equal. Figures in docs/notes/benchmarks.md, "Denoising a screen".
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from noise2info import make_config
from noise2info.io import read_image, write_image
from noise2info.models import build_model
from noise2info.run import save_model


def denoise(run, inputs, out, nproc: int, threads: int, engine: str, device: str) -> float:
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    cmd = [sys.executable, "-m", "noise2info.cli", "denoise", str(run), str(inputs), "--out", str(out)]
    cmd += ["--no-check", "--quiet", "--engine", engine, "--nproc", str(nproc), "--device", device]
    start = time.perf_counter()
    subprocess.run(cmd, env=env, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=48)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--engine", choices=["torch", "onnx"], default="torch")
    parser.add_argument("--gpu", action="store_true", help="processes = GPUs, device cuda")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        torch.manual_seed(0)
        config = make_config(preset="cpu")
        run = save_model(build_model(config.model).eval(), config, tmp / "run")
        inputs = tmp / "in"
        inputs.mkdir()
        rng = np.random.default_rng(0)
        for i in range(args.images):
            write_image(
                inputs / f"im{i:04d}.tif", rng.normal(100, 20, (args.size, args.size)).astype(np.float32)
            )
        if args.engine == "onnx":  # exported once, outside the timings
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "noise2info.cli",
                    "export",
                    str(run),
                    "--onnx",
                    str(run / "model.onnx"),
                ],
                check=True,
            )
        if args.gpu:
            gpus = torch.cuda.device_count()
            setups = [(1, cores, "cuda"), (gpus, max(1, cores // gpus), "cuda")]
        else:
            setups = [(1, cores, "cpu"), (cores, 1, "cpu")]
        rows = []
        for nproc, threads, device in setups:
            out = tmp / f"out{nproc}"
            seconds = denoise(run, inputs, out, nproc, threads, args.engine, device)
            rows.append(
                {
                    "processes": nproc,
                    "threads_each": threads,
                    "device": device,
                    "seconds": round(seconds, 1),
                    "images_per_s": round(args.images / seconds, 2),
                    "mpx_per_s": round(args.images * args.size**2 / seconds / 1e6, 3),
                }
            )
        first = tmp / f"out{setups[0][0]}"
        same = all(
            np.allclose(
                read_image(first / p.name), read_image(tmp / f"out{setups[1][0]}" / p.name), atol=1e-4
            )
            for p in sorted(inputs.iterdir())
        )
        print(
            json.dumps(
                {
                    "images": args.images,
                    "size": args.size,
                    "engine": args.engine,
                    "same_outputs": same,
                    "rows": rows,
                }
            )
        )


if __name__ == "__main__":
    main()
