"""Where the Hanzi gap to supervised training comes from: variants of the default pipeline
against supervised training at the same steps (issue 10's last open target).

    cd benchmarks && python hanzi_gap.py --font FONT --level 0.3 \
        --variants default,default+ema,supervised,supervised+ema

Each variant: the suite's training characters (cpu budget: 300 steps, batch 16, seed 0),
PSNR (peak 1) on the 100 test characters, predicted plainly (no posterior step).
``+ema``: predict with an exponential moving average of the weights (decay ``--ema``).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from settings_spec import parse_settings
from skimage.metrics import peak_signal_noise_ratio
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

import noise2info
from noise2info.bench.budgets import BUDGETS
from noise2info.bench.suites import SUITES
from noise2info.training import Trainer

BASE = {
    "default": dict(method="noise2info", refine="sure"),
    "n2i": dict(method="noise2info", refine="none"),
    "supervised": dict(method="supervised"),
    "noise2self": dict(method="noise2self"),
}


def psnr(trained, clean, noisy) -> float:
    """``trained``: the trainer, whose network predicts with its plan."""
    out = [np.clip(noise2info.denoise(trained, x[None], posterior=False)[0], 0, 1) for x in noisy]
    return float(
        np.mean([peak_signal_noise_ratio(y, o, data_range=1) for y, o in zip(clean, out, strict=True)])
    )


def run(variant: str, case, steps: int, ema: float, extra: dict) -> tuple[float, float, float]:
    name, *mods = variant.split("+")
    settings = {**BASE[name], "steps": steps, "seed": 0, "vst": "none", **extra}
    # Any make_config setting after a '+', e.g. default+lr=0.0008, default+refine_after=0.
    settings.update(parse_settings(",".join(m for m in mods if "=" in m)))
    cfg = noise2info.make_config(**settings)
    clean = [x[None].astype(np.float32) for x in case.train_clean] if name == "supervised" else None
    t = Trainer([x[None].astype(np.float32) for x in case.train_noisy], cfg, clean=clean, device="cpu")
    avg = (
        AveragedModel(t.model, multi_avg_fn=get_ema_multi_avg_fn(ema), use_buffers=True)
        if "ema" in mods
        else None
    )
    t0 = time.perf_counter()
    while t.steps_done < steps:
        t.step()
        if t.schedule is not None and t.schedule.is_round(t.steps_done):
            t.sigma_round()
        if avg is not None:
            avg.update_parameters(t.model)
    t.model.eval()
    plain = psnr(t, case.test_clean, case.test_noisy)
    averaged = plain
    if avg is not None:
        t.model.load_state_dict(avg.module.state_dict())
        averaged = psnr(t, case.test_clean, case.test_noisy)
    return plain, averaged, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--font", required=True)
    ap.add_argument("--level", type=float, default=0.3)
    ap.add_argument("--steps", type=int, default=BUDGETS["cpu"].steps["hanzi"])
    ap.add_argument("--ema", type=float, default=0.98)
    ap.add_argument("--variants", default="default,default+ema,supervised,supervised+ema")
    args = ap.parse_args()
    cases = SUITES["hanzi-gauss"](BUDGETS["cpu"], None, args.font, 0)
    case = next(c for c in cases if f"{args.level}" in c.name)
    print(f"{case.name}: {len(case.train_noisy)} train, {len(case.test_noisy)} test, {args.steps} steps")
    print("| variant | PSNR (last weights) | PSNR (EMA) | s |\n|---|---|---|---|")
    for v in args.variants.split(","):
        plain, averaged, s = run(v, case, args.steps, args.ema, {})
        print(f"| {v} | {plain:.2f} | {averaged:.2f} | {s:.0f} |", flush=True)


if __name__ == "__main__":
    torch.set_num_threads(2)
    main()
