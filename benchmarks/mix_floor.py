"""The posterior step's least gain where the camera start is mixed in (JPEG'd colour photos).

The step keeps at least ``posterior_floor`` of X - mu where the noise is correlated
(:data:`noise2info.posterior.LEAK_FLOOR`, chosen on polyu-dev before the start was mixed in);
half the output is now the camera start's own prediction, which reads the pixel itself. Each
kind of the real-sim test bed's five test images (256 x 256, as test_bed_default.py) is
trained on with the default (``--steps``, seed 0) and denoised as ``denoise`` does with each
floor; gain over the noisy images in dB (peak 1), mean and worst. polyu-dev's photos:
``python benchmarks/polyu.py --out OUT --variants "default:" "floor0:|floor=0" ...``.

    python benchmarks/mix_floor.py --kind phone-jpeg photo-jpeg --steps 400 [--floors 0.5 0.25 0]
"""

from __future__ import annotations

import argparse

import numpy as np
from skimage.metrics import peak_signal_noise_ratio

import noise2info
from noise2info.data.camera import real_sim_images


def gains(run, noisy: list, references: list, **options) -> list[float]:
    """Each image's gain of ``denoise(run, x, **options)`` over the noisy image, dB."""
    return [
        peak_signal_noise_ratio(y, np.clip(noise2info.denoise(run, x, **options), 0, 1), data_range=1)
        - peak_signal_noise_ratio(y, x, data_range=1)
        for x, y in zip(noisy, references, strict=True)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", nargs="+", default=["phone-jpeg", "photo-jpeg"])
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--side", type=int, default=256)
    parser.add_argument("--floors", type=float, nargs="+", default=[0.5, 0.25, 0.0])
    args = parser.parse_args()
    for kind in args.kind:
        _, references, noisy = real_sim_images(kind, side=args.side)
        config = noise2info.make_config(steps=args.steps, seed=0)
        config = config.model_copy(update={"model": config.model.model_copy(update={"channels": 3})})
        run = noise2info.train(noisy, config, progress=False)
        plan = run.plan
        print(f"{kind}: start {plan.start}, share {plan.start_share}, floor {plan.posterior_floor}")
        images = (run, noisy, references)
        rows = {}
        for f in args.floors:
            rows[f"floor {f}"] = gains(*images, plan=plan.model_copy(update={"posterior_floor": f}))
        rows["no step"] = gains(*images, posterior=False)
        for name, found in rows.items():
            print(f"  {name}: {np.mean(found):+.2f} (worst {min(found):+.2f}), {np.round(found, 2).tolist()}")


if __name__ == "__main__":
    main()
