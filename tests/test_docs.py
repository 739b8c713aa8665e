"""The docs: the site builds offline with warnings as errors (a broken link, a missing
reference or a failing example fails it), and every command the pages tell users to type runs.

A page's commands are the lines starting with ``noise2info`` (or ``$ noise2info``) in its
fenced ``bash`` / ``console`` blocks. They run in order, per page, in a folder that holds the
inputs the pages name (``noisy/``, ``in/``, ``data/noisy/``: small noisy images), shortened so
the test takes a minute rather than hours: ``--steps N`` becomes ``--steps 4``, ``--time T``
``--time 2s``, and a ``train`` or ``demo`` without either gets ``--steps 4``. Synopses (lines
with ``[`` or ``...``) and commands that need a GPU (``--device cuda``) are not run.
"""

from __future__ import annotations

import glob
import re
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from helpers import cli
from noise2info import io

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
GUIDE_PAGES = [DOCS / "index.md", DOCS / "getting-started.md", *sorted((DOCS / "guide").glob("*.md"))]
FENCE = re.compile(r"^```(bash|console)\s*$(.*?)^```", re.M | re.S)


def page_commands(page: Path) -> list[str]:
    """The ``noise2info`` commands of a page's bash / console blocks, as a user would type them."""
    out = []
    for block in FENCE.finditer(page.read_text()):
        lines, joined = block.group(2).splitlines(), ""
        for line in lines:
            joined += line.strip().removeprefix("$ ")
            if joined.endswith("\\"):  # a command continued on the next line
                joined = joined[:-1] + " "
                continue
            if joined.startswith("noise2info "):
                out.append(joined.split("  #")[0].strip())
            joined = ""
    return out


def shortened(command: str) -> list[str] | None:
    """The command's arguments as the test runs them (see the module; the shell's globs
    expanded by the test), or None where it is not run here."""
    if "[" in command or "..." in command or "--device cuda" in command or "|" in command:
        return None
    command = re.sub(r"--steps \d+", "--steps 4", command)
    command = re.sub(r"--time \S+", "--time 2s", command)
    words = shlex.split(command)[1:]
    if words[0] in ("train", "demo") and "--steps" not in words and "--time" not in words:
        words[1:1] = ["--steps", "4"]
    return words


def _inputs(folder: Path) -> None:
    """The noisy images the pages name."""
    from skimage import data

    rng = np.random.default_rng(0)
    names = ("camera", "coins", "moon")
    images = [getattr(data, name)()[:96, :96].astype(np.float64) / 255 for name in names]
    for sub in ("noisy", "in", "data/noisy"):
        for name, clean in zip(("a", "b", "c"), images, strict=True):
            noisy = np.clip(clean + rng.normal(0, 0.08, clean.shape), 0, 1)
            io.write_image(folder / sub / f"{name}.png", io.cast_to(noisy * 255, np.uint8))


def test_the_pages_name_commands_and_the_rules_keep_them():
    commands = [c for page in GUIDE_PAGES for c in page_commands(page)]
    assert len(commands) >= 10  # the pages do tell users what to type
    assert sum(len(_runnable(page)) for page in GUIDE_PAGES) >= 10
    assert shortened("noise2info train in/ --out run --steps 3000")[-2:] == ["--steps", "4"]
    assert shortened("noise2info train noisy/ --out run")[:3] == ["train", "--steps", "4"]
    assert shortened("noise2info denoise RUN_DIR INPUT... --out OUT_DIR [--tta]") is None


def _runnable(page: Path) -> list[str]:
    return [c for c in map(shortened, page_commands(page)) if c is not None]


@pytest.mark.slow
@pytest.mark.parametrize(
    "page", [p for p in GUIDE_PAGES if _runnable(p)], ids=lambda p: str(p.relative_to(DOCS))
)
def test_every_command_of_the_guide_runs(page, tmp_path, monkeypatch):
    _inputs(tmp_path)
    monkeypatch.chdir(tmp_path)  # the pages' relative paths
    for words in _runnable(page):  # in this process (the CLI as click runs it), globs as a shell would
        args = [match for w in words for match in (sorted(glob.glob(w)) if "*" in w else [w])]
        done = cli(*args)
        typed = " ".join(words)
        assert done.exit_code == 0, f"{page.name}: `noise2info {typed}` failed:\n{done.output[-2000:]}"


@pytest.mark.slow
def test_the_docs_build_offline_with_warnings_as_errors(tmp_path):
    """The site, examples executed (their figures come from this build), every warning an
    error; nothing is fetched."""
    pytest.importorskip("sphinx_gallery", reason="the docs extra is not installed")
    done = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", str(DOCS), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=1800,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    gallery = tmp_path / "auto_examples"
    assert len(list(gallery.glob("plot_*.html"))) >= 6
    figures = list((tmp_path / "_images").glob("sphx_glr_plot_*.png"))
    assert len(figures) >= 6  # made by this build
    stages = (tmp_path / "how-it-works.html").read_text()
    assert all(name in stages for name in ("start", "lines", "vst", "correlation", "noise", "refine"))
