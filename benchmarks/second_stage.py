"""Does a second training stage driven by the estimated noise level pay? (issue 10, item 2)

    python benchmarks/second_stage.py --steps 400 --switch 200
    python benchmarks/second_stage.py --steps 400 --switch 200 --masking donut --variants n2i,sure-img
    python benchmarks/second_stage.py --init pretrained --switch 0 --variants sure-patch,sure-oracle

``--init pretrained`` starts from the shipped starting point (``--switch 0``: every variant
fine-tunes it directly).

Five grey scikit-image images (camera, coins, moon, brick, grass) with Gaussian noise 25/255
(seed 0). Noise2Info trains for ``--switch`` steps (cpu preset, batch 8); from that state each
variant trains the remaining steps, so all are compared at equal total steps:

- ``n2i``: Noise2Info goes on (the baseline).
- ``n2s-readout``: Noise2Same with sigma_loss fixed at the noise readout of the stage-1 F.
- ``sure-global``: Monte-Carlo SURE (one probe) with that one readout as sigma.
- ``sure-img``: SURE with each image's own readout (``estimate_sigma``'s ``per_image``): after
  per-image normalisation the five images hold normalised noise levels from 0.32 to 0.88.
- ``sure-patch``: SURE with each patch's readout computed in the step from the same probe.
- ``sure-oracle``: SURE with each patch's true noise std (from the clean patch): the ceiling.
- ``r2r-img`` / ``r2r-oracle``: Recorrupted-to-Recorrupted (alpha 0.5) with each image's
  readout / true noise std (one forward pass per step: half a step's cost).

Prints a markdown table of PSNR per image (data range 1). The clean images reach the
objectives only where a variant's name says oracle.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from five_images import IMAGES, five_images
from skimage.metrics import peak_signal_noise_ratio

import noise2info
from noise2info.config import MaskingConfig
from noise2info.data import PatchSampler
from noise2info.objectives.base import Objective
from noise2info.objectives.noise2same import Noise2Same
from noise2info.readout import haar_detail, patch_quantiles
from noise2info.training import Trainer

EPS = 1e-3  # the SURE probe step, normalised units


class Sure(Objective):
    """Monte-Carlo SURE: mean (F(x) - x)^2 - s^2 + 2 s^2 div F, div from one probe."""

    def __init__(self, mode: str, sigma: float | None = None):
        self.mode, self.sigma = mode, sigma

    def __call__(self, model, batch):
        x = batch.noisy
        f = model(x).float()
        b = torch.randn_like(x)
        fb = model(x + EPS * b).float()
        div = (b * (fb - f)).flatten(1).mean(1) / EPS
        mse = ((f - x) ** 2).flatten(1).mean(1)
        with torch.no_grad():
            if self.mode == "global":
                s2 = torch.full_like(mse, self.sigma**2)
            elif self.mode == "patch":  # the readout of this patch (see noise2info.readout)
                r = patch_quantiles(haar_detail((x - f).double()).abs())
                p = patch_quantiles(haar_detail((b - (fb - f) / EPS).double()).abs())
                s2 = (r / p).square().to(x)
            elif self.mode == "oracle":
                s2 = ((x - batch.clean) ** 2).flatten(1).mean(1)
            else:  # "img": batch.clean carries each patch's image's sigma as a constant
                s2 = batch.clean.flatten(1).mean(1) ** 2
        loss = (mse - s2 + 2 * s2 * div).mean()
        return {"loss": loss}


class R2R(Objective):
    """Recorrupted-to-Recorrupted: F(x + a z) against x - z / a, z ~ N(0, s^2)."""

    def __init__(self, alpha: float = 0.5):
        self.alpha = alpha

    def __call__(self, model, batch):
        x = batch.noisy
        s = batch.clean.flatten(1).mean(1).view(-1, *[1] * (x.ndim - 1))
        z = torch.randn_like(x) * s
        return {"loss": ((model(x + self.alpha * z).float() - (x - z / self.alpha)) ** 2).mean()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--switch", type=int, default=200)
    ap.add_argument("--masking", default="gaussian")
    ap.add_argument("--init", default="random", choices=["random", "pretrained"])
    ap.add_argument(
        "--variants", default="n2i,n2s-readout,sure-global,sure-img,sure-patch,sure-oracle,r2r-img,r2r-oracle"
    )
    args = ap.parse_args()
    clean, noisy = five_images()
    X = [x[None].astype(np.float32) for x in noisy]
    Y = [y[None].astype(np.float32) for y in clean]
    cfg = noise2info.make_config(
        method="noise2info",
        preset="cpu",
        steps=args.steps,
        batch_size=8,
        seed=0,
        masking=args.masking,
        refine="none",  # the stages are this script's
        init=args.init,
    )

    def trainer(targets):  # the training stream with (clean or per-image constant) targets
        t = Trainer(X, cfg, device="cpu")
        t.sampler = PatchSampler(X, cfg.training.patch_size, t.sampler.seed, True, targets, t.sampler.stats)
        return t

    def psnr(t):  # the trainer's network, predicted with its plan
        t.model.eval()
        out = [
            peak_signal_noise_ratio(y, np.clip(noise2info.denoise(t, x[None])[0], 0, 1), data_range=1)
            for y, x in zip(clean, noisy, strict=True)
        ]
        t.model.train()
        return out

    def train_until(t, stop):
        while t.steps_done < stop:
            t.step()
            if t.schedule is not None and t.schedule.is_round(t.steps_done):
                t.sigma_round()

    first = trainer(Y)
    train_until(first, args.switch)
    state, readout = first.state(), first.readout()
    # With the run's plan (its VST); batch 16 and the default masking, as for a bare network.
    read = noise2info.estimate_sigma(X, first, batch_size=16, masking=MaskingConfig())
    per_image = [p["sigma"] for p in read["per_image"]]
    truth = [25 / 255 / float(np.std(x)) for x in noisy]

    def constants(values):  # targets that normalise to each image's sigma
        return [
            np.full_like(x, v * float(sd.ravel()[0]) + float(m.ravel()[0]))
            for x, v, (m, sd) in zip(X, values, first.sampler.stats, strict=True)
        ]

    print(f"stage 1: {args.switch} steps, sigma_loss {first.sigma_loss:.4f}, readout {readout:.4f}")
    print(f"per-image readout {np.round(per_image, 4).tolist()}, truth {np.round(truth, 4).tolist()}\n")
    print(f"| variant | {' | '.join(IMAGES)} | mean | stage 2 s |")
    print("|---|" + "---|" * (len(IMAGES) + 2))
    print(
        f"| stage 1 only ({args.switch} steps) | {' | '.join(f'{p:.2f}' for p in psnr(first))} | "
        f"{np.mean(psnr(first)):.2f} | |"
    )
    objectives = {
        "n2i": lambda: None,
        "n2s-readout": lambda: Noise2Same(readout),
        "sure-global": lambda: Sure("global", readout),
        "sure-img": lambda: Sure("img"),
        "sure-patch": lambda: Sure("patch"),
        "sure-oracle": lambda: Sure("oracle"),
        "r2r-img": R2R,
        "r2r-oracle": R2R,
    }
    for name in args.variants.split(","):
        t0 = time.perf_counter()
        targets = {"sure-img": per_image, "r2r-img": per_image, "r2r-oracle": truth}.get(name)
        t = trainer(constants(targets) if targets else Y)
        t.load_state(state)
        objective = objectives[name]()
        if objective is not None:
            t.objective = objective  # its own: no sigma rounds (sigma_schedule None)
        train_until(t, args.steps)
        p = psnr(t)
        print(
            f"| {name} | {' | '.join(f'{v:.2f}' for v in p)} | {np.mean(p):.2f} | "
            f"{time.perf_counter() - t0:.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    torch.set_num_threads(2)
    main()
