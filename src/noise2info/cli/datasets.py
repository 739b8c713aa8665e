"""``noise2info demo``, ``data`` and ``bench``: the built-in demo, the benchmark datasets and the
paper's comparisons."""

from __future__ import annotations

from pathlib import Path

import click

from ..bench import BUDGETS, SUITES
from ..data.hanzi import ALL_CHARS
from ..data.noise import NOISE_KINDS
from .app import DATA_ROOT_OPTION, _emit, friendly_errors, main


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
    from ..demo import run_demo

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
    from ..data.hanzi import find_cjk_font, make_hanzi_dataset
    from ..data.noise import NoiseModel

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


@data.command("bsd68")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False))
@DATA_ROOT_OPTION
@click.option("--std", type=float, default=25.0, show_default=True, help="Gaussian std on the 0..255 scale.")
@click.option("--seed", type=int, default=0, show_default=True)
@friendly_errors
def data_bsd68(out_dir, data_root, std, seed):
    """Noisy BSD400 (train), BSD68 and Set12 (test): float32 TIFFs, not clipped, beside the clean."""
    from ..data.folders import make_bsd_dataset

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
    from ..bench import run_suite
    from ..bench.report import markdown

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
