"""``noise2info denoise``, ``export`` and ``estimate-sigma``: what a trained run is used for."""

from __future__ import annotations

import os
from pathlib import Path

import click

from .. import api, io, launch, run
from ..runtime import launched_by_torchrun
from .app import _emit, _fail, _guarded, friendly_errors, main


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
@click.option(
    "--mix-start/--no-mix-start",
    default=True,
    show_default=True,
    help="Mix the shipped camera start's own prediction into the output where the run decided "
    "to (JPEG'd colour photos); --no-mix-start: the run's output alone (its network and "
    "posterior step).",
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
    "use, or an .onnx file as RUN_DIR): each image whole, the posterior step as trained (in the "
    "graph, at the training images' noise, for a run that mixes in the camera start), no line "
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
    mix_start,
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
    suffix = Path(out_dir).suffix.lower()
    if suffix in io.SUPPORTED and suffix != ".zarr" and not Path(out_dir).is_dir():
        # named like an image file: the outputs would land in a new folder of that name
        _fail(f"--out {out_dir}: give a folder; each output keeps its input's name and format")
    options = dict(
        tile=tile,
        tta=tta,
        device=device,
        progress=not quiet,
        overwrite=overwrite,
        posterior=posterior,
        lines=lines,
        mix_start=mix_start,
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
        from ..export.onnx import export_onnx

        export_onnx(run.load_run(run_dir, "cpu"), onnx_path)
        lines.append(f"wrote {onnx_path} (ONNX; dynamic batch and sizes)")
        summary["onnx"] = str(onnx_path)
    if bmz_path:
        from ..export.bioimageio import export_bioimageio

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
        from ..plotting import plot_noise_level

        lines.append(f"wrote {plot_noise_level(nlf, plot)}")
    _emit(result, as_json, lines)
