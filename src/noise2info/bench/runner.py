"""Run one suite: every method on every case under one budget, with a progress bar."""

from __future__ import annotations

import platform
import time
from pathlib import Path

import torch
from tqdm.auto import tqdm

from ..errors import ConfigError
from .budgets import BUDGETS
from .methods import METHODS, run_method
from .metrics import mean_scores
from .report import write_report
from .suites import SUITES


def run_suite(
    suite: str,
    budget: str = "quick",
    *,
    out_dir: str | Path | None = None,
    data_root: str | Path = "../shared/data",
    font: str | Path | None = None,
    methods: list[str] | None = None,
    seed: int = 0,
    progress: bool = True,
) -> dict:
    """Run ``suite`` at ``budget``; write the report into ``out_dir`` when given.

    Returns the results as a dict (the same content as ``results.json``).
    """
    if suite not in SUITES:
        raise ConfigError(f"unknown suite {suite!r}; choose one of {', '.join(SUITES)}")
    if budget not in BUDGETS:
        raise ConfigError(f"unknown budget {budget!r}; choose one of {', '.join(BUDGETS)}")
    b = BUDGETS[budget]
    chosen = [m for m in METHODS if methods is None or m.name in methods]
    if methods is not None and len(chosen) != len(set(methods)):
        unknown = set(methods) - {m.name for m in METHODS}
        raise ConfigError(f"unknown method(s) {sorted(unknown)}; known: {[m.name for m in METHODS]}")
    t_start = time.perf_counter()
    cases = SUITES[suite](b, Path(data_root), Path(font) if font else None, seed)
    results = {
        "suite": suite,
        "budget": budget,
        "seed": seed,
        "preset": b.preset,
        "batch_size": b.batch_size,
        "patch_size": b.patch_size,
        "date": time.strftime("%Y-%m-%d"),
        "torch": torch.__version__,
        "machine": f"{platform.machine()}, {torch.get_num_threads()} threads"
        + (f", {torch.cuda.get_device_name()}" if torch.cuda.is_available() else ", no GPU"),
        "cases": [],
    }
    bar = tqdm(total=len(cases) * len(chosen), desc=f"bench {suite}", unit="run", disable=not progress)
    for case in cases:
        psnr, ssim = mean_scores(case.test_signal, case.test_noisy, clip=False, peak=case.peak)
        noisy = {"psnr": psnr, "ssim": ssim}
        if case.peak is not None:  # the max(Y) convention as a second figure
            noisy["psnr_max_y"] = mean_scores(case.test_signal, case.test_noisy, clip=False)[0]
        entry = {
            "name": case.name,
            "paper_key": case.paper_key,
            "noise": case.noise.describe(),
            "steps": b.steps[case.family],
            "train_images": len(case.train_noisy),
            "test_images": len(case.test_noisy),
            "sigma_n_train": case.sigma_n_train,
            "psnr_peak": "255 on 0..255" if case.peak is not None else "max(Y) per image",
            "noisy": noisy,
            "methods": [],
        }
        for m in chosen:
            bar.set_postfix_str(f"{case.name}: {m.name}")
            out = run_method(m, case, b, seed)
            row = {
                "method": m.name,
                "kind": m.kind,
                "train_seconds": out.train_seconds,
                "predict_seconds": out.predict_seconds,
                "sigma_loss": out.sigma_loss,
                "sigma": out.sigma,
                "note": out.note,
            }
            if out.predictions:
                row["psnr"], row["ssim"] = mean_scores(case.test_signal, out.predictions, peak=case.peak)
                if case.peak is not None:
                    row["psnr_max_y"] = mean_scores(case.test_signal, out.predictions)[0]
            if out.history is not None:
                row["sigma_curve"] = [(r["step"], r["sigma_loss"]) for r in out.history["sigma_rounds"]]
                row["sigma_star_curve"] = [(r["step"], r["sigma_star"]) for r in out.history["sigma_rounds"]]
            entry["methods"].append(row)
            bar.update(1)
        results["cases"].append(entry)
    bar.close()
    results["seconds"] = time.perf_counter() - t_start
    if out_dir is not None:
        write_report(results, out_dir)
    return results
