"""The shipped starts alone against the default fine-tuned from them, on camera noise.

Each shipped start (:mod:`noise2info.models.pretrained`: ``gaussian``, ``camera``) denoises
each channel of each photo as it ships, without training (zero-shot); then the default is
trained on the same photos (``--steps``, seed 0; the correlation stage picks the camera start
for correlated noise) and reported as ``denoise`` writes it (mixed with the camera start's own
prediction where the plan says: JPEG'd photos), without that mix (``mix_start=False``), its
network alone, the mean of the run's output and the camera start's, and the network whose
weights are the mean of the run's and the camera start's (with the posterior step). PSNR gain
over the noisy photo (8-bit for polyu-dev, [0, 1] for the test bed), mean, worst.

    python benchmarks/camera_start.py --kind camera phone-jpeg consumer-jpeg --steps 400
    python benchmarks/camera_start.py --polyu --only 0,4,8,...,52 --steps 400 [--set lr=3e-5]

``--kind``: the real-sim test bed's five test images, 256 x 256 (as test_bed_default.py).
``--polyu``: photos of ../shared/data/polyu-dev (never copied; non-commercial licence).
"""

from __future__ import annotations

import argparse
import copy
import json
import time
from pathlib import Path

import numpy as np
from skimage.metrics import peak_signal_noise_ratio

import noise2info
from noise2info.models import build_model
from noise2info.models.pretrained import STARTS, load_pretrained
from noise2info.prediction.denoise import predict


def _per_channel(net, x: np.ndarray) -> np.ndarray:
    """The start on each channel of ``x`` as a grey image, each normalised by its own mean
    and std as the default does."""
    out = np.empty(x.shape, np.float64)
    for c in range(x.shape[0]):
        plane = x[c : c + 1].astype(np.float64)
        mean, std = plane.mean(), plane.std()
        out[c] = predict(net, ((plane - mean) / std).astype(np.float32))[0] * std + mean
    return out


def _weights_mean(net, start):
    """A copy of the run's network whose weights (batch-norm statistics included) are the mean
    of its own and the camera start's (weight-space ensembling, WiSE-FT)."""
    mean = copy.deepcopy(net).cpu().eval()
    own, other = net.state_dict(), start.state_dict()
    mean.load_state_dict(
        {k: (v + other[k].to(v.device)) / 2 if v.is_floating_point() else v for k, v in own.items()}
    )
    return mean


def _evaluate(noisy: list, clean: list, peak: float, steps: int, settings: dict) -> dict:
    grey = noise2info.make_config().model
    starts = {}
    for noise in STARTS:
        net = build_model(grey)
        load_pretrained(net, grey, noise)
        starts[noise] = net.eval()
    config = noise2info.make_config(steps=steps, seed=0, **settings)
    config = config.model_copy(
        update={"model": config.model.model_copy(update={"channels": noisy[0].shape[0]})}
    )
    t0 = time.perf_counter()
    run = noise2info.train(noisy, config, progress=False)
    print(
        f"trained {time.perf_counter() - t0:.0f} s; start {run.plan.start}, refine {run.plan.refine}",
        flush=True,
    )
    averaged = _weights_mean(run.model, starts["camera"])
    gains: dict[str, list[float]] = {}
    for x, y in zip(noisy, clean, strict=True):
        base = peak_signal_noise_ratio(y, x, data_range=peak)
        outs = {f"{noise} start alone": _per_channel(net, x) for noise, net in starts.items()}
        outs["default"] = noise2info.denoise(run, x)
        outs["the run without the mix"] = noise2info.denoise(run, x, mix_start=False)
        outs["the network alone"] = noise2info.denoise(run, x, posterior=False, mix_start=False)
        outs["mean of the run and the camera start"] = (
            outs["the run without the mix"] + outs["camera start alone"]
        ) / 2
        outs["weights averaged with the camera start"] = noise2info.denoise(
            averaged, x, plan=run.plan, mix_start=False
        )
        for name, out in outs.items():
            out = np.clip(np.round(out) if peak == 255 else out, 0, peak)
            gains.setdefault(name, []).append(
                peak_signal_noise_ratio(y, out.astype(y.dtype), data_range=peak) - base
            )
    return gains


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", nargs="*", default=[], help="real-sim kinds")
    parser.add_argument("--polyu", action="store_true")
    parser.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared/data/polyu-dev"))
    parser.add_argument("--only", default=None, help="polyu-dev photo indices, comma-separated")
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--set", nargs="*", default=[], help="flat settings of the default, key=value (JSON)")
    args = parser.parse_args()
    settings = {k: json.loads(v) for k, _, v in (s.partition("=") for s in args.set)}
    sets = []
    for kind in args.kind:
        from noise2info.data.camera import real_sim_images

        _, refs, noisy = real_sim_images(kind, side=256)
        sets.append(
            (kind, [np.asarray(x, np.float32) for x in noisy], [np.asarray(r, np.float32) for r in refs], 1.0)
        )
    if args.polyu:
        from polyu import load

        _, noisy, clean = load(Path(args.data))
        chosen = [int(i) for i in args.only.split(",")] if args.only else range(len(noisy))
        sets.append(("polyu-dev", [noisy[i] for i in chosen], [clean[i] for i in chosen], 255))
    for name, noisy, clean, peak in sets:
        for row, values in _evaluate(noisy, clean, peak, args.steps, settings).items():
            v = np.asarray(values)
            worse = int((v < 0).sum())
            print(f"{name}: {row}: {v.mean():+.2f} dB (worst {v.min():+.2f}, {worse} of {v.size} worse)")


if __name__ == "__main__":
    main()
