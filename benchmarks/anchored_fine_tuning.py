"""Fine-tuning anchored to the camera start: does it keep the network from turning blind?

The default fine-tunes the shipped camera start on the user's photos with Noise2Info's
objective, and its network alone then loses to the input on many JPEG'd photos (the masked
objective makes a denoiser that read the pixel itself into a blind-spot one). This experiment
adds ``lam * mean((F(X) - S(X))^2)`` to the objective, S the shipped camera start, frozen:
the fine-tuned network is held near the start's own prediction. The objective is wrapped here,
for this benchmark only; the rows are those of benchmarks/camera_start.py.

    python benchmarks/anchored_fine_tuning.py --lam 0 1 10 --only 0,4,8,...,52 --steps 400
"""

from __future__ import annotations

import argparse
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
from camera_start import _evaluate
from polyu import load

import noise2info
from noise2info.models import build_model
from noise2info.models.pretrained import load_pretrained
from noise2info.objectives import noise2same


@contextmanager
def anchored(lam: float):
    """Noise2Same (and so Noise2Info) with the anchor term added while the block runs; 0: the
    objective untouched (no extra pass, which would move the batch norms' running statistics)."""
    if lam == 0:
        yield
        return
    grey = noise2info.make_config().model
    start = build_model(grey)
    load_pretrained(start, grey, "camera")
    start.eval().requires_grad_(False)
    plain = noise2same.Noise2Same.__call__

    def call(self, model, batch):
        terms = plain(self, model, batch)
        with torch.no_grad():
            target = start.to(batch.noisy.device)(batch.noisy)
        anchor = torch.mean((noise2same.predict_fp32(model, batch.noisy) - target) ** 2)
        return {**terms, "loss": terms["loss"] + lam * anchor, "anchor": anchor}

    noise2same.Noise2Same.__call__ = call
    try:
        yield
    finally:
        noise2same.Noise2Same.__call__ = plain


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared/data/polyu-dev"))
    parser.add_argument("--lam", type=float, nargs="+", default=[0.0, 1.0, 10.0])
    parser.add_argument("--only", default=None, help="polyu-dev photo indices, comma-separated")
    parser.add_argument("--steps", type=int, default=400)
    args = parser.parse_args()
    _, noisy, clean = load(Path(args.data))
    chosen = [int(i) for i in args.only.split(",")] if args.only else range(len(noisy))
    noisy, clean = [noisy[i] for i in chosen], [clean[i] for i in chosen]
    for lam in args.lam:
        with anchored(lam):
            gains = _evaluate(noisy, clean, 255, args.steps, {})
        for row, values in gains.items():
            v = np.asarray(values)
            worse = int((v < 0).sum())
            print(f"lam {lam:g}: {row}: {v.mean():+.3f} dB (worst {v.min():+.2f}, {worse} of {v.size} worse)")


if __name__ == "__main__":
    main()
