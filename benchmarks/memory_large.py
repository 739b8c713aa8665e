"""Peak memory of denoising one 8192 x 8192 float32 image on the CPU (tiled prediction).

    python benchmarks/memory_large.py --size 8192 --preset cpu

Trains a throw-away model for a few steps (the weights do not change the memory), writes a
random float32 TIFF, runs `noise2info denoise` under /usr/bin/time -v and reports its maximum
resident set size, wall time and whether the output is complete and finite.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from noise2info import io


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=8192)
    ap.add_argument("--preset", default="cpu")
    ap.add_argument("--tile", type=int, default=None)
    args = ap.parse_args()
    cli = [sys.executable, "-m", "noise2info.cli"]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        rng = np.random.default_rng(0)
        io.write_image(tmp / "train" / "small.tif", rng.normal(size=(128, 128)).astype(np.float32))
        subprocess.run(
            [
                *cli,
                "train",
                str(tmp / "train"),
                "--out",
                str(tmp / "run"),
                "--preset",
                args.preset,
                "--steps",
                "5",
                "--batch-size",
                "2",
                "--quiet",
                "--device",
                "cpu",
            ],
            check=True,
        )
        big = rng.normal(100, 10, size=(args.size, args.size)).astype(np.float32)
        io.write_image(tmp / "big" / "big.tif", big)
        del big
        cmd = [
            "/usr/bin/time",
            "-v",
            *cli,
            "denoise",
            str(tmp / "run"),
            str(tmp / "big" / "big.tif"),
            "--out",
            str(tmp / "out"),
            "--quiet",
            "--device",
            "cpu",
        ]
        if args.tile:
            cmd += ["--tile", str(args.tile)]
        res = subprocess.run(cmd, capture_output=True, text=True, check=True)
        rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", res.stderr).group(1))
        wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", res.stderr).group(1)
        out = io.read_image(tmp / "out" / "big.tif")
        ok = out.shape == (args.size, args.size) and out.dtype == np.float32 and np.isfinite(out).all()
        print(
            f"| {args.size} x {args.size} float32 | `{args.preset}` | {rss_kb / 1024**2:.2f} GB | {wall} | "
            f"{'complete, finite' if ok else 'BAD OUTPUT'} |"
        )


if __name__ == "__main__":
    main()
