"""The posterior step on correlated camera noise, by the noise std it is given (issue 11).

Two steps, as run for docs/notes/benchmarks.md ("The real-sim suite", "Masked blocks and the noise
std"): train one kind of the real-sim test bed as the bench's `cpu` budget does (400 steps,
cpu preset, batch 16, patch 64, seed 0, vst auto) with a pixel-shuffle stride and a masked
block, and save the run; then score the saved network's outputs on the kind's five images:
the network alone, the posterior step with the std read on each image (as the run would),
with the true std (x0.8, x1, x1.2), with the std of flat-block residuals (x0.8, x1, x1.2), and
with the run's correlation correction switched on (the plan's `noise_lags`, as `auto` sets it on
correlated non-JPEG noise), with the expected gains (no clean image) beside the true ones.

    python benchmarks/correlated_posterior.py train camera 1 3 RUN_DIR    # stride 1, block 3
    python benchmarks/correlated_posterior.py score camera RUN_DIR
"""

import json
import sys
import time

import numpy as np
from pd_stride import train_kind  # benchmarks/ is on the path when run as a script

from noise2info.bench.metrics import mean_scores
from noise2info.correlation import _residual_operator, noise_correlation, plane_correlation
from noise2info.data.camera import real_sim_images
from noise2info.prediction import denoise
from noise2info.run import load_run, save_run


def train_and_save(kind: str, stride: int, block: int, out: str) -> None:
    t = time.time()
    res = train_kind(kind, stride, block)  # the same training as pd_stride.py's
    save_run(res, out)
    refine = res.history.readings.get("refine")
    print(json.dumps({"s": time.time() - t, "refine": refine, "sigma_loss": res.sigma_loss}))


def _chw(x):
    return x[None] if x.ndim == 2 else x


def _true_sigma(x, y):
    x, y = _chw(x).astype(np.float64), _chw(y).astype(np.float64)
    return float(np.sqrt(np.mean([np.mean((a - b) ** 2) / a.std() ** 2 for a, b in zip(x, y, strict=True)])))


def _flat_block_sigma(x):
    m = _residual_operator()
    share = np.trace(m) / m.shape[0]
    v = [plane_correlation(a)[1] / share / a.std() ** 2 for a in _chw(x).astype(np.float64)]
    return float(np.sqrt(np.mean(v)))


def score(kind: str, run: str) -> None:
    model = load_run(run, device="cpu")  # the network with its plan
    _, refs, noisy = real_sim_images(kind, side=256, seed=0)

    def psnr(preds):
        return round(mean_scores(refs, preds, peak=1.0)[0], 3)

    out = {"kind": kind, "run": run, "noisy": round(mean_scores(refs, noisy, clip=False, peak=1.0)[0], 3)}
    out["network"] = psnr([denoise(model, x, posterior=False) for x in noisy])
    out["posterior_default"] = psnr([denoise(model, x, posterior=True) for x in noisy])
    for name, read in (("true", _true_sigma), ("flat_blocks", lambda x, y: _flat_block_sigma(x))):
        for scale in (0.8, 1.0, 1.2):
            preds = [
                denoise(model, x, posterior=True, sigma=scale * read(x, y))
                for x, y in zip(noisy, refs, strict=True)
            ]
            out[f"posterior_{name}_x{scale}"] = psnr(preds)
    reading = noise_correlation([_chw(x) for x in noisy])
    plan = model.plan
    if reading["correlated"]:
        plan = plan.model_copy(update={"noise_lags": reading["lags"]})
    preds = [denoise(model, x, plan=plan, posterior=True) for x in noisy]
    out["posterior_corrected"] = psnr(preds)
    out["gain_estimated"] = [
        round(denoise(model, x, plan=plan, return_gain=True)[1]["gain_db"], 2) for x in noisy
    ]
    out["gain_true"] = [
        round(10 * np.log10(np.mean((x - y) ** 2) / np.mean((p - y) ** 2)), 2)
        for y, x, p in zip(refs, noisy, preds, strict=True)
    ]
    print(json.dumps(out))


if __name__ == "__main__":
    if sys.argv[1] == "train":
        train_and_save(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
    else:
        score(sys.argv[2], sys.argv[3])
