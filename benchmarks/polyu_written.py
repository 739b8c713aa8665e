"""Real camera photos as `noise2info denoise` writes them: PSNR after the JPEG encoding.

For every ``--every``-th photo of ../shared/data/polyu-dev, the run's denoised photo (8-bit)
before writing, as written (JPEG quality 95 with Pillow's default 4:2:0 chroma subsampling,
as :func:`noise2info.io.write_image`), at 4:4:4, and the untouched photo re-saved at quality
95; PSNR against the multi-frame reference.

    python benchmarks/polyu_written.py --run RUN [--every 2]

RUN: a run trained on the photos (e.g. by benchmarks/polyu_posterior.py --run RUN).
"""

from __future__ import annotations

import argparse
import io as bytes_io
from pathlib import Path

import numpy as np
from PIL import Image
from polyu import load, psnr

import noise2info
from noise2info import io


def jpeg(image: np.ndarray, **options) -> np.ndarray:
    """``(3, H, W)`` uint8 through a JPEG in memory."""
    buffer = bytes_io.BytesIO()
    Image.fromarray(np.moveaxis(image, 0, -1)).save(buffer, format="JPEG", **options)
    return np.moveaxis(np.asarray(Image.open(buffer)), -1, 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared/data/polyu-dev"))
    parser.add_argument("--run", required=True, type=Path)
    parser.add_argument("--every", type=int, default=2)
    args = parser.parse_args()
    names, noisy, clean = load(Path(args.data))
    run = noise2info.load_run(args.run, "cpu")
    columns = ["untouched", "denoised", "written (q95, 4:2:0)", "q95, 4:4:4", "untouched re-saved q95"]
    rows = []
    for i in range(0, len(names), args.every):
        x, y = noisy[i], clean[i]
        out = io.cast_to(np.asarray(noise2info.denoise(run, x)), np.uint8)
        images = [x, out, jpeg(out, quality=95), jpeg(out, quality=95, subsampling=0), jpeg(x, quality=95)]
        rows.append([psnr(y, im) for im in images])
        print(names[i], " ".join(f"{v:.2f}" for v in rows[-1]), flush=True)
    table = np.asarray(rows)
    for k, name in enumerate(columns):
        gain = table[:, k] - table[:, 0]
        print(f"{name}: {table[:, k].mean():.2f} dB ({gain.mean():+.2f}), worse {int((gain < 0).sum())}")


if __name__ == "__main__":
    main()
