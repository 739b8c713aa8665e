"""The command line: a thin layer that parses, builds the one Config and calls the API.

Exit codes: 0 ok, 2 usage or input error (one line naming the file and problem), 1 internal.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import sys
import warnings
from pathlib import Path

import click
from pydantic import ValidationError

from . import api, launch, pipeline, run
from .bench import BUDGETS, SUITES
from .config import SCHEDULE_SETTINGS, Config, explain, make_config, settings, updated
from .data.hanzi import ALL_CHARS
from .data.noise import NOISE_KINDS
from .errors import Noise2InfoError
from .run import load_config
from .runtime import init_distributed, keep_freed_memory, launched_by_torchrun, rank_and_world
from .training import TrainingError, TrainingInterrupted


def _fail(message: str, code: int = 2):
    if rank_and_world()[0] == 0:  # one message, not one per process
        click.echo(f"noise2info: error: {message}", err=True)
    sys.exit(code)


def friendly_errors(fn):
    """One line instead of a traceback: exit 2 for input errors, 1 for anything internal."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            with warnings.catch_warnings():
                warnings.showwarning = _show_warning
                return fn(*args, **kwargs)
        except ValidationError as err:  # a Config built directly from bad values
            _fail(explain(err))
        except TrainingError as err:
            _fail(str(err), 1)
        except Noise2InfoError as err:  # the user's input: files, settings, run folders
            _fail(str(err).splitlines()[0] if str(err) else type(err).__name__)
        except KeyboardInterrupt:
            _fail("interrupted", 130)
        except Exception as err:
            if os.environ.get("NOISE2INFO_DEBUG"):
                raise
            _fail(
                f"internal error ({type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}); "
                "rerun with NOISE2INFO_DEBUG=1 for the traceback and please report it",
                1,
            )

    return wrapper


def _guarded(fn, *args):
    """``fn(*args)`` with the CLI's error lines: what a spawned rank runs (picklable)."""
    return friendly_errors(fn)(*args)


def _show_warning(message, category, *_args, **_kwargs) -> None:
    if rank_and_world()[0] == 0:
        click.echo(f"noise2info: warning: {message}", err=True)


def _emit(summary: dict, as_json: bool, lines: list[str]) -> None:
    if as_json:
        click.echo(json.dumps(summary))
    else:
        for line in lines:
            click.echo(line)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="noise2info")
def main():
    """Self-supervised blind denoising that estimates the noise level as it trains."""
    keep_freed_memory()  # tiled prediction reuses its buffers (2x faster on glibc CPUs)


def setting_options(fn):
    """One option per flat setting of :func:`noise2info.config.settings`, defaulting to
    'not given' (None): given ones override the defaults (or, with --resume, are checked
    against the saved config). Types, choices, defaults and help come from config.py."""
    for s in reversed(settings()):
        flag = "--" + s.name.replace("_", "-")
        text = f"{s.help} [default: {s.default}]"
        if s.type is bool:
            option = click.option(f"{flag}/--no-{flag[2:]}", s.name, default=None, help=text)
        elif s.choices is not None:
            choice = click.Choice([str(c) for c in s.choices])
            convert = s.type

            def cast(_ctx, _param, value, convert=convert):
                return None if value is None else convert(value)

            option = click.option(flag, s.name, type=choice, default=None, callback=cast, help=text)
        else:
            option = click.option(flag, s.name, type=s.type, default=None, help=text)
        fn = option(fn)
    return fn


SETTING_NAMES = frozenset(s.name for s in settings())


class Duration(click.ParamType):
    """A wall-clock time: ``90s``, ``10m``, ``1.5h``, ``1h30m`` or plain seconds."""

    name = "duration"
    _UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0}

    def convert(self, value, param, ctx):
        if isinstance(value, (int, float)):
            return float(value)
        text, total, number = str(value).strip().lower(), 0.0, ""
        try:
            for char in text:
                if char in self._UNITS:
                    total, number = total + float(number) * self._UNITS[char], ""
                else:
                    number += char
            total += float(number) if number else 0.0
        except ValueError:
            self.fail(f"{value!r} is not a duration (examples: 90s, 10m, 1h30m)", param, ctx)
        if not total > 0:
            self.fail(f"{value!r}: a duration must be positive", param, ctx)
        return total


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


@main.command()
@click.argument("run_dir", type=click.Path())  # or an .onnx file, with --engine onnx
@click.argument("inputs", nargs=-1, required=True)
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False))
@click.option("--tile", type=int, default=None, help="Tile side for large images (default: automatic).")
@click.option("--tta", is_flag=True, help="Average the 8 rotations / flips.")
@click.option(
    "--posterior/--no-posterior",
    default=None,
    help="Weigh the network's prediction against each noisy pixel with the noise std measured "
    "on the image (default: as the run was trained; on for the default noise2info pipeline).",
)
@click.option(
    "--lines/--no-lines",
    default=None,
    help="Remove row and column offsets (line noise) after the network (default: as the run "
    "read them on its training images).",
)
@click.option("--overwrite", is_flag=True, help="Redo outputs that already exist (default: skip them).")
@click.option(
    "--check/--no-check",
    default=True,
    show_default=True,
    help="Estimate each image's PSNR gain from the noisy image alone (Stein's unbiased risk "
    "estimate; one more network pass) and warn where the model is expected to make it worse.",
)
@click.option(
    "--safe",
    is_flag=True,
    help="Blend an image the model is expected to make worse toward its input, with the "
    "weight of least estimated error.",
)
@click.option(
    "--engine",
    type=click.Choice(["torch", "onnx"]),
    default="torch",
    show_default=True,
    help="onnx: the exported network with ONNX Runtime (RUN_DIR/model.onnx, exported on first "
    "use, or an .onnx file as RUN_DIR): each image whole, the posterior step as trained, no line "
    "removal or check.",
)
@click.option(
    "--nproc",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Processes sharing the inputs (one GPU each where there are GPUs, else the CPU "
    "threads split among them); under torchrun the ranks share them.",
)
@click.option("--device", default="auto", show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.option("--quiet", is_flag=True)
@friendly_errors
def denoise(
    run_dir,
    inputs,
    out_dir,
    tile,
    tta,
    posterior,
    lines,
    overwrite,
    check,
    safe,
    engine,
    nproc,
    device,
    as_json,
    quiet,
):
    """Denoise INPUT... with the model in RUN_DIR into --out (same names, formats, dtypes).
    Outputs already in --out are complete (written atomically) and skipped unless --overwrite."""
    if engine == "onnx" and (lines or safe):
        _fail("--engine onnx has no line removal or check: drop --lines and --safe")
    options = dict(
        tile=tile,
        tta=tta,
        device=device,
        progress=not quiet,
        overwrite=overwrite,
        posterior=posterior,
        lines=lines,
        check=check and engine == "torch",
        safe=safe,
        engine=engine,
    )
    if launched_by_torchrun():
        rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
        done = launch.denoise_shard(rank, world, run_dir, inputs, out_dir, options)
        if rank > 0:
            return
        click.echo(f"noise2info: rank 0 of {world}; each rank reports its own outputs", err=True)
    elif nproc > 1:
        done = launch.denoise_files(run_dir, inputs, out_dir, nproc=nproc, guard=_guarded, **options)
    else:
        done = api.denoise_files(run_dir, inputs, out_dir, **options)
    lines = [f"wrote {len(done.written)} image(s) to {out_dir}"]
    if done.skipped:
        lines.append(f"skipped {len(done.skipped)} already complete (--overwrite to redo them)")
    found = [g["gain_db"] for gains in done.gains.values() for g in gains if g["gain_db"] is not None]
    if found:
        lines.append(
            f"expected PSNR gain over the noisy input (estimated without a clean image): mean "
            f"{sum(found) / len(found):+.2f} dB, lowest {min(found):+.2f} dB"
        )
    for path, worst in done.expected_worse():
        what = "blended toward the input" if safe else "--safe blends such images toward the input"
        click.echo(
            f"noise2info: warning: {path.name}: the model is expected to make this image worse "
            f"({worst:+.2f} dB); {what}",
            err=True,
        )
    summary = {
        "outputs": [str(p) for p in done.written],
        "skipped": len(done.skipped),
        "gains": {str(p): g for p, g in done.gains.items()},
        "expected_worse": [str(p) for p, _ in done.expected_worse()],
    }
    _emit(summary, as_json, lines)


@main.command()
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option("--onnx", "onnx_path", type=click.Path(dir_okay=False), help="Write the network as ONNX.")
@click.option(
    "--bioimageio",
    "bmz_path",
    type=click.Path(dir_okay=False),
    help="Write a bioimage.io model package (.zip).",
)
@click.option(
    "--image",
    type=click.Path(dir_okay=False),
    help="The package's test image (default: a synthetic noisy one).",
)
@click.option("--name", help="The package's name (default: the run folder's).")
@click.option("--author", "authors", multiple=True, help="An author of the package (repeatable).")
@click.option(
    "--license", "license_id", default="CC-BY-4.0", show_default=True, help="SPDX licence of the weights."
)
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
def export(run_dir, onnx_path, bmz_path, image, name, authors, license_id, as_json):
    """Ship the network of RUN_DIR: as ONNX and / or as a bioimage.io model package. The
    exported network normalises, pads and maps back by itself: raw intensities in, denoised
    intensities out; a run trained for the posterior step ends with it, at the training images'
    noise std (no line removal)."""
    if not (onnx_path or bmz_path):
        _fail("nothing to export: give --onnx OUT.onnx and / or --bioimageio OUT.zip")
    lines, summary = [], {"run_dir": str(run_dir)}
    if onnx_path:
        from .export.onnx import export_onnx

        export_onnx(run.load_run(run_dir, "cpu"), onnx_path)
        lines.append(f"wrote {onnx_path} (ONNX; dynamic batch and sizes)")
        summary["onnx"] = str(onnx_path)
    if bmz_path:
        from .export.bioimageio import export_bioimageio

        export_bioimageio(
            run_dir,
            bmz_path,
            image=image,
            name=name,
            authors=authors or ("noise2info user",),
            license=license_id,
        )
        lines.append(
            f"wrote {bmz_path} (bioimage.io model package; check it with: bioimageio test {bmz_path})"
        )
        summary["bioimageio"] = str(bmz_path)
    _emit(summary, as_json, lines)


@main.command("estimate-sigma")
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.argument("inputs", nargs=-1, required=True)
@click.option(
    "--batches", type=click.IntRange(min=1), help="Estimation batches (k_u) of the run's batch size."
)
@click.option("--k-mc", type=click.IntRange(min=1), help="Monte-Carlo draws for E_l.")
@click.option("--seed", type=int, help="Seed of the patches, masks and draws.")
@click.option("--device", default="auto", show_default=True)
@click.option("--plot", type=click.Path(dir_okay=False), help="Write the noise level function plot (PNG).")
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
def estimate_sigma(run_dir, inputs, device, plot, as_json, **options):
    """Estimate the noise std of INPUT... with the trained model in RUN_DIR: the readout, the
    bound of Algorithm 1 and, for one-channel images, the noise std against intensity with
    its Poisson-Gaussian fit. Unset options take the defaults of noise2info.estimate_sigma."""
    given = {k: v for k, v in options.items() if v is not None}
    result = api.estimate_sigma_files(run_dir, inputs, device=device, **given)
    nlf = result["noise_level_function"]

    def fmt(v):
        return "no estimate" if v is None else f"{v:.4f}"

    # A run trained on stabilised images reads the noise of f(X), whose std should be about 1.
    units = "stabilised" if result["vst"] else "intensity"
    lines = [
        f"{e['image']}: sigma {fmt(e['sigma'])} (normalised; network readout {fmt(e['sigma_readout'])}, "
        f"bound {fmt(e['sigma_bound'])}), {fmt(e['sigma_intensity'])} ({units})"
        for e in result["per_image"]
    ]
    lines.append(
        f"all images: sigma {fmt(result['sigma'])} (normalised; network readout "
        f"{fmt(result['sigma_readout'])}, bound {fmt(result['sigma_bound'])}); "
        f"mean {fmt(result['sigma_intensity_mean'])} ({units} units)"
    )
    fits = (("", nlf), (" (from the images alone)", result["noise_level_function_direct"]))
    for how, fit in fits:
        if fit is not None and fit["a"] is not None:
            lines.append(
                f"noise level function{how}: variance = a * intensity + b^2 with a {fit['a']:.4g}, "
                f"b {fit['b']:.4g} (intensity units; {len(fit['intensity'])} bins)"
            )
    nlf = nlf or result["noise_level_function_direct"]  # a stabilised run has no network fit
    if plot and nlf is not None:
        from .plotting import plot_noise_level

        lines.append(f"wrote {plot_noise_level(nlf, plot)}")
    _emit(result, as_json, lines)


@main.command()
@click.option("--out", "out_dir", default="demo-out", show_default=True, type=click.Path(file_okay=False))
@click.option("--steps", type=click.IntRange(min=1), help="Training steps (default: the demo's own).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--device", default="auto", show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.option("--quiet", is_flag=True)
@friendly_errors
def demo(out_dir, steps, seed, device, as_json, quiet):
    """Blind denoising of scikit-image's bundled images with hidden Gaussian noise."""
    from .demo import run_demo

    given = {} if steps is None else {"steps": steps}
    s = run_demo(out_dir, seed=seed, device=device, progress=not quiet, **given)
    _emit(
        s,
        as_json,
        [
            f"images: {', '.join(s['images'])} "
            f"(noise std {s['sigma_true_01'] * 255:.0f}/255, hidden from training)",
            f"noise std, normalised units: true sigma_n {s['sigma_true']:.4f}, "
            f"estimated sigma {s['sigma']:.4f} ({s['sigma'] / s['sigma_true'] - 1:+.1%}; "
            f"the network's readout {s['sigma_readout']:.4f}, "
            f"{s['sigma_readout'] / s['sigma_true'] - 1:+.1%}; "
            f"the bound sigma_loss {s['sigma_loss']:.4f}, {s['sigma_loss'] / s['sigma_true'] - 1:+.1%})",
            f"PSNR: noisy {s['psnr_noisy']:.2f} dB -> denoised {s['psnr_denoised']:.2f} dB",
            f"time: {s['seconds']:.0f} s; outputs in {Path(out_dir)}/ (before_after.png, curves.png, run/)",
        ],
    )


@main.group()
def data():
    """Generate the benchmark datasets (seeded)."""


@data.command("hanzi")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False))
@click.option(
    "--font", type=click.Path(dir_okay=False), default=None, help="A CJK font (default: a system one)."
)
@click.option(
    "--chars", type=click.IntRange(min=2), default=ALL_CHARS, show_default=True, help="Characters to render."
)
@click.option(
    "--noise",
    type=click.Choice(NOISE_KINDS),
    default="hanzi",
    show_default=True,
    help="hanzi: Gaussian 0.7 + Bernoulli 0.25 set to 0, clipped (the paper's main Hanzi noise).",
)
@click.option("--std", type=float, default=0.7, show_default=True, help="Gaussian std s' (gaussian, hanzi).")
@click.option("--p", "p", type=float, default=0.25, show_default=True, help="Bernoulli / pepper probability.")
@click.option("--a", "a", type=float, default=1.0, show_default=True, help="Poisson scale a.")
@click.option(
    "--b", "b", type=float, default=0.3, show_default=True, help="Gaussian std b of Poisson-Gaussian."
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
def data_hanzi(out_dir, font, chars, noise, std, p, a, b, seed, as_json):
    """Render 64x64 Hanzi in [0, 1] (white on black), split 9:1, add noise; clean and noisy
    TIFF stacks side by side in --out."""
    from .data.hanzi import find_cjk_font, make_hanzi_dataset
    from .data.noise import NoiseModel

    model = {
        "hanzi": NoiseModel("hanzi", std=std, p=p),
        "gaussian": NoiseModel("gaussian", std=std),
        "poisson-gaussian": NoiseModel("poisson-gaussian", a=a, b=b),
        "pepper": NoiseModel("pepper", p=p),
    }[noise]
    meta = make_hanzi_dataset(out_dir, font or find_cjk_font(), model, n_chars=chars, seed=seed)
    _emit(
        meta,
        as_json,
        [
            f"rendered {meta['chars']} characters: {meta['train_count']} train, {meta['test_count']} test",
            f"noise: {meta['noise_description']}; sigma_n train {meta['train_sigma_n']:.4f}",
            f"wrote {out_dir}/train_noisy.tif, train_clean.tif, test_noisy.tif, test_clean.tif, meta.json",
        ],
    )


DATA_ROOT_OPTION = click.option(
    "--data",
    "data_root",
    default="../shared/data",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Folder holding bsd400/, bsd68/, set12/.",
)


@data.command("bsd68")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False))
@DATA_ROOT_OPTION
@click.option("--std", type=float, default=25.0, show_default=True, help="Gaussian std on the 0..255 scale.")
@click.option("--seed", type=int, default=0, show_default=True)
@friendly_errors
def data_bsd68(out_dir, data_root, std, seed):
    """Noisy BSD400 (train), BSD68 and Set12 (test): float32 TIFFs, not clipped, beside the clean."""
    from .data.folders import make_bsd_dataset

    for sub, count in make_bsd_dataset(data_root, out_dir, std=std, seed=seed).items():
        click.echo(f"{sub}: {count} images -> {out_dir}/{sub}/{{clean,noisy}}/")


@main.command()
@click.argument("suite", type=click.Choice(list(SUITES)))
@click.option("--budget", type=click.Choice(list(BUDGETS)), default="quick", show_default=True)
@click.option(
    "--out",
    "out_dir",
    default=None,
    type=click.Path(file_okay=False),
    help="Report folder (default bench-SUITE-BUDGET).",
)
@DATA_ROOT_OPTION
@click.option("--font", type=click.Path(dir_okay=False), default=None, help="CJK font for the Hanzi suites.")
@click.option("--method", "methods", multiple=True, help="Run only these methods (repeatable).")
@click.option("--case", "cases", multiple=True, help='Run only these cases, e.g. "s\'=0.5" (repeatable).')
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--resume",
    is_flag=True,
    help="Reuse the methods a run saved in --out: an interrupted one's, or a finished one's to add methods.",
)
@click.option("--json", "as_json", is_flag=True)
@click.option("--quiet", is_flag=True)
@friendly_errors
def bench(suite, budget, out_dir, data_root, font, methods, cases, seed, resume, as_json, quiet):
    """Reproduce the paper's comparisons for SUITE with the peers under one budget."""
    from .bench import run_suite
    from .bench.report import markdown

    out_dir = out_dir or f"bench-{suite}-{budget}"
    results = run_suite(
        suite,
        budget,
        out_dir=out_dir,
        data_root=data_root,
        font=font,
        methods=list(methods) or None,
        seed=seed,
        progress=not quiet,
        resume=resume,
        cases=list(cases) or None,
    )
    _emit(results, as_json, [markdown(results), f"wrote {out_dir}/results.md, results.json, sigma.png"])


if __name__ == "__main__":
    main()
