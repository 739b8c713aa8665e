"""Peak memory of `noise2info denoise` (and `train`) on large images, on the CPU.

    python benchmarks/memory_large.py --shape 8192 8192 --dtype float32
    python benchmarks/memory_large.py --shape 64 4096 4096 --dtype uint16 --train
    python benchmarks/memory_large.py --shape 64 4096 4096 --dtype uint16 --dims 3 --train

Writes a random image of ``--shape`` as an uncompressed TIFF slab by slab (it is never in
this process's memory whole), trains a throw-away model for a few steps (on the big file
itself with ``--train``, else on a small one: the weights do not change the memory), then runs
`noise2info denoise` and reports, for each command, the peak of its anonymous resident memory
(RssAnon in /proc, sampled every 50 ms: memory the process owns, which cannot be dropped) and of
its whole resident set (VmRSS, which also counts pages of memory-mapped files that the kernel
can drop at will), the wall time and whether the output is complete and finite. A 3-axis shape is
a stack of 2D pages with ``--dims 2`` and one volume with ``--dims 3``.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from noise2info import io


def timed(cmd: list[str]) -> str:
    """Run ``cmd``; return 'anon GB / rss GB (wall s)' with the peaks seen in /proc."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    peak = {"RssAnon": 0, "VmRSS": 0}
    while proc.poll() is None:
        try:
            status = Path(f"/proc/{proc.pid}/status").read_text()
        except OSError:
            break
        for key in peak:
            m = re.search(rf"^{key}:\s+(\d+) kB", status, re.M)
            if m:
                peak[key] = max(peak[key], int(m.group(1)))
        time.sleep(0.05)
    err = proc.communicate()[1]
    if proc.returncode:
        sys.exit(f"failed: {' '.join(cmd)}\n{err[-2000:]}")
    gb = {k: v / 1024**2 for k, v in peak.items()}
    return f"{gb['RssAnon']:.2f} / {gb['VmRSS']:.2f} GB ({time.perf_counter() - t0:.0f} s)"


def write_random(path: Path, shape: tuple[int, ...], dtype: np.dtype, seed: int = 0) -> None:
    """A random image (mean 1000, std 100) written slab by slab along the first axis."""
    rng = np.random.default_rng(seed)

    def fill(out):
        for i in range(shape[0]):
            out[i] = io.cast_to(rng.normal(1000, 100, size=shape[1:]), dtype)

    io.write_into(path, shape, dtype, fill)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shape", type=int, nargs="+", default=[8192, 8192])
    ap.add_argument("--dtype", default="float32")
    ap.add_argument("--dims", type=int, choices=(2, 3), default=2)
    ap.add_argument("--preset", default="cpu")
    ap.add_argument("--tile", type=int, default=None)
    ap.add_argument("--train", action="store_true", help="Train on the big file itself (lazy reads).")
    args = ap.parse_args()
    shape, dtype = tuple(args.shape), np.dtype(args.dtype)
    cli = [sys.executable, "-m", "noise2info.cli"]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        big = tmp / "big" / "big.tif"
        write_random(big, shape, dtype)
        gb = np.prod(shape) * dtype.itemsize / 1024**3
        train_on = big if args.train else tmp / "small.tif"
        if not args.train:
            write_random(train_on, (64,) * args.dims, dtype)
        train_cmd = [*cli, "train", str(train_on), "--out", str(tmp / "run"), "--preset", args.preset]
        train_cmd += ["--dims", str(args.dims), "--steps", "5", "--batch-size", "2", "--quiet"]
        train_cmd += ["--device", "cpu"] + (["--patch-size", "32"] if args.dims == 3 else [])
        train = timed(train_cmd)
        cmd = [*cli, "denoise", str(tmp / "run"), str(big), "--out", str(tmp / "out"), "--quiet"]
        cmd += ["--device", "cpu"] + (["--tile", str(args.tile)] if args.tile else [])
        predict = timed(cmd)
        out = io.open_image(tmp / "out" / "big.tif")
        ok = out.shape == shape and out.dtype == dtype
        ok = ok and all(np.isfinite(np.asarray(out[i], np.float64)).all() for i in range(shape[0]))
        what = f"{' x '.join(map(str, shape))} {dtype} ({gb:.2f} GB), dims {args.dims}"
        print(
            f"| {what} | `{args.preset}` | {train if args.train else '-'} | {predict} | "
            f"{'complete, finite' if ok else 'BAD OUTPUT'} |"
        )


if __name__ == "__main__":
    main()
