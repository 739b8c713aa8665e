"""Mixing the camera start into photos whose noise the camera reduced, saved without JPEG.

The default mixes the camera start's own prediction into the output where the noise reads
JPEG'd (``plan.start_share``), and since 2026-12-07 also where colour noise reads shared between
the channels (``pipeline.SHARED_NOISE``: in-camera noise reduction takes out the noise's colour).
Kinds of the real-sim test bed and variants of its camera built here (not part of the test
bed): the camera kind with noise reduction (``camera-nr``, at the photos' detail: enlarged as the
consumer kinds are; ``camera-nr-fine``: not enlarged), with weaker noise reduction, with luma
smoothing only, with a colour matrix only, and the consumer kind saved losslessly. Each is
trained on with the default (``--steps``, seed 0) and denoised as the plan says, with the mix
forced on and with it off; gain over the noisy images in dB (peak 1), mean and worst, and the
noise's mean correlation between channels as the plan reads it.

    python benchmarks/noise_reduced.py [--kind camera consumer-jpeg ...] [--steps 400]
"""

from __future__ import annotations

import argparse
from dataclasses import replace

import numpy as np
from mix_floor import gains

import noise2info
from noise2info.correlation import noise_correlation
from noise2info.data import camera
from noise2info.models.pretrained import start_digest
from noise2info.pipeline import START_SHARE

CAMERA = camera.TEST_BED["camera"][0]
VARIANTS = {
    "camera-nr": replace(CAMERA, luma_nr=0.8, chroma_nr=6.0),
    "camera-nr-fine": replace(CAMERA, luma_nr=0.8, chroma_nr=6.0),
    "camera-nr-weak": replace(CAMERA, luma_nr=0.5, chroma_nr=2.0),
    "camera-luma": replace(CAMERA, luma_nr=0.8),
    "camera-matrix": replace(CAMERA, colour_matrix=camera.CAMERA_MATRIX),
    "consumer-png": replace(camera.TEST_BED["consumer-jpeg"][0], jpeg=None),
}
ENLARGED = ("camera-nr", "camera-nr-weak", "camera-luma", "consumer-png")
KINDS = ["camera", "consumer-jpeg", *VARIANTS]


def images(kind: str, side: int) -> tuple[list, list]:
    """References and noisy images of a test-bed kind or of one of :data:`VARIANTS`."""
    if kind in VARIANTS:
        camera.TEST_BED[kind] = (VARIANTS[kind], camera.COLOUR_IMAGES)
        if kind in ENLARGED:
            camera.ZOOM[kind] = camera.PHOTO_ZOOM
    _, references, noisy = camera.real_sim_images(kind, side=side)
    return references, [np.asarray(x, np.float32) for x in noisy]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", nargs="+", default=KINDS)
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--side", type=int, default=256)
    args = parser.parse_args()
    for kind in args.kind:
        references, noisy = images(kind, args.side)
        between = np.asarray(noise_correlation(noisy)["channels"])
        shared = float(between[~np.eye(len(between), dtype=bool)].mean())
        config = noise2info.make_config(steps=args.steps, seed=0)
        config = config.model_copy(update={"model": config.model.model_copy(update={"channels": 3})})
        run = noise2info.train(noisy, config, progress=False)
        plan = run.plan
        print(f"{kind}: channels {shared:+.2f}; start {plan.start}, share {plan.start_share}", flush=True)
        rows = {"as planned": {}, "run alone": {"mix_start": False}}
        if plan.start == "camera":
            digest = start_digest(run.model.config, "camera")
            mixed = plan.model_copy(update={"start_share": START_SHARE, "start_digest": digest})
            rows["mixed"] = {"plan": mixed}
        for name, options in rows.items():
            found = gains(run, noisy, references, **options)
            each = np.round(found, 2).tolist()
            print(f"  {name}: {np.mean(found):+.2f} (worst {min(found):+.2f}), {each}", flush=True)


if __name__ == "__main__":
    main()
