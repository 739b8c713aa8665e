"""Run one suite: every method on every case under one budget, with a progress bar."""

from __future__ import annotations

import json
import platform
import time
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from ..errors import ConfigError
from ..noise_level import direct_noise_std
from .budgets import BUDGETS
from .methods import METHODS, as_chw, run_method
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
    resume: bool = False,
    cases: list[str] | None = None,
) -> dict:
    """Run ``suite`` at ``budget``; write the report into ``out_dir`` when given. ``methods``
    and ``cases`` (by name, e.g. ``"s'=0.5"``) run only those.

    With ``out_dir``, every finished method is saved at once to ``out_dir/partial.json``, so
    an interrupted run loses at most the method it was on; ``resume=True`` reuses the rows
    saved there by a run of the same suite, budget and seed instead of training them again
    (a finished run's results.json too, so methods can be added to it).

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
    if resume and out_dir is None:
        raise ConfigError("resume needs the report folder of the interrupted run (out_dir)")
    done = _saved_rows(Path(out_dir), suite, budget, seed) if resume else {}
    t_start = time.perf_counter()
    wanted = cases
    cases = SUITES[suite](b, Path(data_root), Path(font) if font else None, seed)
    if wanted is not None:
        unknown = set(wanted) - {c.name for c in cases}
        if unknown:
            raise ConfigError(
                f"unknown case(s) {sorted(unknown)} of {suite}; known: {[c.name for c in cases]}"
            )
        cases = [c for c in cases if c.name in wanted]
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
    # A resumed report keeps every row it had, also of methods this run does not ask for.
    rows = {c.name: [m for m in METHODS if m in chosen or (c.name, m.name) in done] for c in cases}
    total = sum(len(r) for r in rows.values())
    bar = tqdm(total=total, desc=f"bench {suite}", unit="run", disable=not progress)
    for case in cases:
        psnr, ssim = mean_scores(case.test_signal, case.test_noisy, clip=False, peak=case.peak)
        noisy = {"psnr": psnr, "ssim": ssim}
        if case.test_noisy[0].ndim == 3 and case.test_noisy[0].shape[0] == 3:
            noisy["colour_shift"] = colour_shift(case.test_signal, case.test_noisy)
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
            # The noise std from the training images alone, uncorrected (what a run reports as
            # sigma for independent noise; noise_level.run_noise_std for correlated noise).
            "sigma_images": direct_noise_std([as_chw(x) for x in case.train_noisy])["sigma"],
            "methods": [],
        }
        results["cases"].append(entry)
        for m in rows[case.name]:
            bar.set_postfix_str(f"{case.name}: {m.name}")
            if (case.name, m.name) in done:
                entry["methods"].append(done[case.name, m.name])
                bar.update(1)
                continue
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
            if out.gains is not None and out.predictions:
                row.update(_gain_check(case, out))
            if out.predictions and out.predictions[0].ndim == 3 and out.predictions[0].shape[0] == 3:
                row["colour_shift"] = colour_shift(case.test_signal, out.predictions)
            if out.history is not None:
                row["sigma_curve"] = [(r["step"], r["sigma_loss"]) for r in out.history["sigma_rounds"]]
                row["sigma_star_curve"] = [(r["step"], r["sigma_star"]) for r in out.history["sigma_rounds"]]
            entry["methods"].append(row)
            if out_dir is not None:
                _save_partial(results, Path(out_dir))
            bar.update(1)
    bar.close()
    results["seconds"] = time.perf_counter() - t_start
    if done:  # the suite's time includes the interrupted run's, as far as it is known
        results["seconds"] += sum(r.get("train_seconds", 0.0) for r in done.values())
        results["resumed"] = len(done)
    if out_dir is not None:
        write_report(results, out_dir)
        (Path(out_dir) / _PARTIAL).unlink(missing_ok=True)
    return results


def colour_shift(clean: list[np.ndarray], images: list[np.ndarray]) -> float:
    """How far ``images`` move the colour balance of ``clean`` (``(3, H, W)`` each): the mean
    over images of the largest change of a channel's mean, less the change of the mean over
    channels (a shift of brightness is not one of colour), in units of the image range."""
    out = []
    for y, x in zip(clean, images, strict=True):
        d = x.reshape(3, -1).mean(1) - y.reshape(3, -1).mean(1)
        out.append(float(np.max(np.abs(d - d.mean()))))
    return float(np.mean(out))


def _gain_check(case, out) -> dict:
    """The expected gains (no clean image) against the true ones (PSNR of the unclipped
    prediction over the noisy image's, per test image): their means and how many images were
    made worse and how many of those the estimate flagged."""
    true = []
    for y, x, p in zip(case.test_signal, case.test_noisy, out.predictions, strict=True):
        true.append(10 * np.log10(np.mean((x - y) ** 2) / max(np.mean((p - y) ** 2), 1e-30)))
    found = [g for g in out.gains if g is not None]
    return {
        "gain_estimated": float(np.mean(found)) if found else None,
        "gain_true": float(np.mean(true)),
        "worse_true": int(sum(t < 0 for t in true)),
        "worse_flagged": int(
            sum(t < 0 and g is not None and g < 0 for t, g in zip(true, out.gains, strict=True))
        ),
        "flagged": int(sum(g is not None and g < 0 for g in out.gains)),
    }


_PARTIAL = "partial.json"


def _save_partial(results: dict, out: Path) -> None:
    # Written to a temporary name and renamed, so a kill mid-write leaves the last good file.
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / (_PARTIAL + ".tmp")
    tmp.write_text(json.dumps(results, indent=1) + "\n")
    tmp.replace(out / _PARTIAL)


def _saved_rows(out: Path, suite: str, budget: str, seed: int) -> dict[tuple[str, str], dict]:
    """The rows a run of the same suite, budget and seed saved in ``out``: a finished run's
    results.json (to add methods to it) and an interrupted one's partial.json, whose rows win."""
    paths = [p for p in (out / "results.json", out / _PARTIAL) if p.is_file()]
    if not paths:
        raise ConfigError(f"{out}: nothing to resume (no partial.json or results.json there)")
    rows = {}
    for path in paths:
        try:
            saved = json.loads(path.read_text())
        except json.JSONDecodeError as e:
            raise ConfigError(f"{path}: not readable as JSON ({e})") from None
        theirs = (saved.get("suite"), saved.get("budget"), saved.get("seed"))
        if theirs != (suite, budget, seed):
            raise ConfigError(
                f"{path}: saved by suite={theirs[0]}, budget={theirs[1]}, seed={theirs[2]}; "
                f"this run is suite={suite}, budget={budget}, seed={seed}"
            )
        rows.update({(c["name"], r["method"]): r for c in saved["cases"] for r in c["methods"]})
    return rows
