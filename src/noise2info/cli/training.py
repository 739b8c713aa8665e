"""``noise2info train``: the options become one Config, the API trains, and the summary says
what each pipeline stage decided (noise2info.pipeline)."""

from __future__ import annotations

import signal
import sys

import click

from .. import api, launch, pipeline, run
from ..config import SCHEDULE_SETTINGS, Config, make_config, updated
from ..run import load_config
from ..runtime import init_distributed, launched_by_torchrun, rank_and_world
from ..training import TrainingInterrupted
from .app import SETTING_NAMES, Duration, _emit, _fail, _guarded, friendly_errors, main, setting_options


@main.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option(
    "--out", "run_dir", required=True, type=click.Path(file_okay=False), help="Run directory to write."
)
@setting_options
@click.option(
    "--resume", is_flag=True, help="Continue the interrupted run in --out; options given must match it."
)
@click.option(
    "--time",
    "time_budget",
    type=Duration(),
    help="Train for this wall-clock time (e.g. 10m) instead of --steps: the steps that fit, "
    "timed on the first steps.",
)
@click.option("--nproc", type=click.IntRange(min=1), default=1, help="Processes (DDP): GPUs, or CPU workers.")
@click.option(
    "--workers", type=click.IntRange(min=0), default=0, help="DataLoader processes drawing patches."
)
@click.option("--device", default="auto", show_default=True, help="auto, cpu or cuda[:N].")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary as the last line.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@friendly_errors
def train(inputs, run_dir, **opts):
    """Train on noisy images INPUT... (files, directories or globs) and save to --out."""
    overrides = {k: v for k, v in opts.items() if k in SETTING_NAMES and v is not None}
    opts = {k: v for k, v in opts.items() if k not in SETTING_NAMES}
    if opts["time_budget"] is not None and "steps" in overrides:
        _fail("give --steps or --time, not both")
    opts["keep"] = tuple(k for k in overrides if k in SCHEDULE_SETTINGS)
    # A new run: the defaults with the options given. A resumed run: its saved config with
    # them, which train_files compares with the saved one (a difference is refused).
    config = updated(load_config(run_dir), **overrides) if opts["resume"] else make_config(**overrides)
    if launched_by_torchrun():
        init_distributed(opts["device"])
        _train_and_report(inputs, run_dir, config, opts)
        launch.leave_group()
    elif opts["nproc"] > 1:
        args = (list(inputs), run_dir, config, opts)
        launch.run_ranks(_train_and_report, opts["nproc"], args, device=opts["device"], guard=_guarded)
    else:
        _train_and_report(inputs, run_dir, config, opts)


def _train_and_report(inputs, run_dir, config: Config, opts: dict) -> None:
    rank = rank_and_world()[0]
    try:
        result = api.train_files(
            inputs,
            config,
            run_dir,
            device=opts["device"],
            progress=not opts["quiet"],
            resume=opts["resume"],
            workers=opts["workers"],
            time_budget=opts["time_budget"],
            keep=opts["keep"],
        )
    except TrainingInterrupted as stop:
        if rank == 0:
            click.echo(f"noise2info: {stop}; continue with the same command and --resume", err=True)
        sys.exit(128 + int(stop.signal or signal.SIGINT))
    if rank > 0:
        return
    last = result.history.steps[-1]
    steps, method, plan = result.config.training.steps, result.config.method.name, result.plan
    record = run.run_record(result)
    readings = result.history.readings
    summary = {
        "run_dir": str(run_dir),
        "method": method,
        "steps": steps,
        "init": plan.init,
        "start": plan.start if plan.init == "pretrained" else None,  # which shipped start
        "sigma_loss": result.sigma_loss,
        "sigma": result.sigma,
        "sigma_readout": result.sigma_readout,
        "loss": last["loss"],
        "seconds": result.seconds,
        "sigma_rounds": len(result.history.sigma_rounds),
        "processes": rank_and_world()[1],
        "time_budget": opts["time_budget"],
        "plan": plan.model_dump(mode="json"),  # what the run decided from its images (plan.json)
        "vst": {"a": plan.vst[0], "b": plan.vst[1]} if plan.vst else None,
        "posterior": plan.posterior,
        "refine": readings.get("refine"),  # refine auto: the estimate and the choice
        "pd_stride": plan.pd_stride,
        "correlation": readings.get("correlation"),  # what the correlation stage read
        "expected_gain": result.expected_gain,  # denoise --check on a few training images
        "line_noise": plan.lines,
        "mask_block": plan.mask_block,
        "lines": readings.get("lines"),  # what the lines stage read
    }
    fitted = "" if opts["time_budget"] is None else f" (the steps that fit in {opts['time_budget']:.0f} s)"
    lines = [
        f"trained {method} for {steps} steps{fitted} in {result.seconds:.1f} s; final loss {last['loss']:.4f}"
    ]
    lines += pipeline.explain(plan, record)  # each stage: what it decided and why, in order
    g = summary["expected_gain"]
    if g and g["mean_db"] is not None:
        lines.append(
            f"expected PSNR gain over the noisy input on {g['images']} training image(s) (estimated "
            f"without a clean image, as denoise --check): mean {g['mean_db']:+.2f} dB, lowest "
            f"{g['lowest_db']:+.2f} dB"
        )
        if g["worse"]:
            click.echo(
                f"noise2info: warning: the model is expected to make {g['worse']} of {g['images']} "
                "training image(s) worse; denoise --safe blends such images toward the input",
                err=True,
            )
    lines.append(f"wrote {run_dir}/{', '.join(run.RUN_FILES)}, {run.REPORT} (open it in a browser)")
    _emit(summary, opts["as_json"], lines)
