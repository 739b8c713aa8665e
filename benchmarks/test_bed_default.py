"""The default pipeline on one kind of the real-sim test bed, trained and denoised on the same
images: PSNR of the input, the default and the network alone, and the noise estimates
against the true std (noisy minus reference, each image over its own std per channel, rms).

    python benchmarks/test_bed_default.py phone-jpeg --steps 400 --side 256 [--set colour=together]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
from skimage.metrics import peak_signal_noise_ratio

import noise2info
from noise2info.data.camera import real_sim_images


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind")
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--side", type=int, default=256)
    parser.add_argument("--set", nargs="*", default=[], help="flat settings, key=value (JSON values)")
    args = parser.parse_args()
    _, references, noisy = real_sim_images(args.kind, side=args.side)
    noisy = [np.asarray(x, np.float32) for x in noisy]
    settings = {
        k: json.loads(v) if v[:1] in '0123456789-[{"' else v
        for k, _, v in (s.partition("=") for s in args.set)
    }
    config = noise2info.make_config(steps=args.steps, seed=0, **settings)
    channels = noisy[0].shape[0]
    config = config.model_copy(update={"model": config.model.model_copy(update={"channels": channels})})
    t0 = time.perf_counter()
    result = noise2info.train(noisy, config, progress=False)
    seconds = time.perf_counter() - t0
    true = float(
        np.sqrt(
            np.mean(
                [
                    ((x - y) ** 2).reshape(channels, -1).mean(axis=1) / x.reshape(channels, -1).var(axis=1)
                    for x, y in zip(noisy, references, strict=True)
                ]
            )
        )
    )
    rows = []
    for x, y in zip(noisy, references, strict=True):
        default = np.clip(noise2info.denoise(result, x), 0, 1)
        alone = np.clip(noise2info.denoise(result, x, posterior=False), 0, 1)
        rows.append([peak_signal_noise_ratio(y, im, data_range=1) for im in (x, default, alone)])
    psnr = np.array(rows)
    gain = psnr[:, 1] - psnr[:, 0]
    print(
        json.dumps(
            {
                "kind": args.kind,
                "steps": args.steps,
                "train_seconds": round(seconds, 1),
                "plan": json.loads(result.plan.model_dump_json()),
                "input": round(psnr[:, 0].mean(), 2),
                "default": round(psnr[:, 1].mean(), 2),
                "gain": round(gain.mean(), 2),
                "worst": round(gain.min(), 2),
                "network_alone": round(psnr[:, 2].mean(), 2),
                "true_sigma": round(true, 4),
                "sigma": result.sigma,
                "sigma_loss": result.sigma_loss,
            }
        )
    )


if __name__ == "__main__":
    main()
