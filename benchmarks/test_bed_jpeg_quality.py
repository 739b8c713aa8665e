"""The consumer-jpeg kind of the test bed saved at other JPEG qualities: its noise statistics
against real photos' ranges, and whether the correlation stage reads it as JPEG.

polyu-dev's photos are JPEG q75 (every file carries libjpeg's quality-75 tables) and read as
JPEG, so the default mixes the camera start into them; the kind, at q98, does not read as JPEG
and takes the run alone. Each row: the kind's pipeline with ``jpeg`` and its noise times
``scale`` (shot noise gain times scale^2, read noise times scale); the medians over its five
images of the statistics ``tests/test_real_sim.py`` holds it to, whether all five fall in the
photos' ranges there, the JPEG reading (:func:`noise2info.correlation.noise_correlation`) and
the detail against the noise.

With ``--train Q SCALE`` the kind at that quality and scale also goes through
benchmarks/camera_start.py's rows (each start alone, the default trained on the five images for
``--steps``, without the mix, its network alone, the mean with the camera start).

    python benchmarks/test_bed_jpeg_quality.py [--train 75 1.2 --steps 400]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import numpy as np

from noise2info.correlation import noise_correlation
from noise2info.data import camera

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from test_real_sim import REAL_PHOTOS, _detail, _noise_statistics  # noqa: E402

ROWS = ((98, 1.0), (90, 1.0), (75, 1.0), (75, 1.2), (75, 1.5))


def kind(quality: int, scale: float) -> tuple[list, list]:
    """``(references, noisy)`` of the consumer-jpeg kind at ``quality``, its noise times ``scale``."""
    base, names = camera.TEST_BED["consumer-jpeg"]
    pipeline = dataclasses.replace(base, jpeg=quality, a=base.a * scale**2, b=base.b * scale)
    camera.TEST_BED["probe"] = (pipeline, names)  # this process only
    camera.ZOOM["probe"] = camera.ZOOM["consumer-jpeg"]
    _, refs, noisy = camera.real_sim_images("probe", side=256)
    return refs, noisy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", nargs=2, type=float, default=None, metavar=("Q", "SCALE"))
    parser.add_argument("--steps", type=int, default=400)
    args = parser.parse_args()
    for quality, scale in ROWS:
        refs, noisy = kind(quality, scale)
        found = [_noise_statistics(x - r) for x, r in zip(noisy, refs, strict=True)]
        inside = all(lo <= f[k] <= hi for f in found for k, (lo, hi) in REAL_PHOTOS.items())
        medians = ", ".join(f"{k} {np.median([f[k] for f in found]):.2f}" for k in found[0])
        jpeg = noise_correlation([np.asarray(x, np.float32) for x in noisy])["jpeg"]
        detail = np.median([_detail(r, x - r) for r, x in zip(refs, noisy, strict=True)])
        print(
            f"q{quality}, noise x {scale:g}: {medians}; in the photos' ranges {inside}; "
            f"read as JPEG {jpeg}; detail {detail:.2f}",
            flush=True,
        )
    if args.train:
        from camera_start import _evaluate

        refs, noisy = kind(int(args.train[0]), args.train[1])
        noisy = [np.asarray(x, np.float32) for x in noisy]
        refs = [np.asarray(r, np.float32) for r in refs]
        for row, values in _evaluate(noisy, refs, 1.0, args.steps, {}).items():
            v = np.asarray(values)
            print(f"q{args.train[0]:g} x {args.train[1]:g}: {row}: {v.mean():+.2f} dB (worst {v.min():+.2f})")


if __name__ == "__main__":
    main()
