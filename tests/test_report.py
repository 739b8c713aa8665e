"""The run report: written by every ``train``, self-contained, and rendered by a real
headless browser."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest

from helpers import cli, noisy_set, tiny_train_args
from noise2info.io import write_image
from noise2info.report import readout_spread

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("report")
    inputs = tmp / "in"
    inputs.mkdir()
    for i, im in enumerate(noisy_set(3, (48, 40))[1]):
        write_image(inputs / f"img{i}.tif", im[0])
    result = cli("train", inputs, "--out", tmp / "run", *tiny_train_args())
    assert result.exit_code == 0, result.output
    return tmp / "run"


def test_train_writes_a_self_contained_report(trained):
    page = (trained / "report.html").read_text()
    for what in ("Noise level", "Curves", "Before / after", "Time and throughput", "Data", "Config"):
        assert f"<h2>{what}</h2>" in page
    assert "img0.tif" in page and "48 x 40" in page  # the data, image by image
    assert '"steps": 6' in page  # the config
    sources = re.findall(r'src="([^"]+)"', page)
    assert len(sources) >= 4 and all(s.startswith("data:image/png;base64,") for s in sources)
    assert "<script" not in page and "http" not in page  # nothing to fetch


def test_readout_spread():
    per_image = [{"sigma": s} for s in (0.1, 0.2, 0.3)] + [{"sigma": None}]
    found = readout_spread(per_image)
    assert found["images"] == 3 and found["mean"] == pytest.approx(0.2)
    assert found["sem"] == pytest.approx(np.std([0.1, 0.2, 0.3], ddof=1) / np.sqrt(3))
    assert readout_spread(per_image[:1])["mean"] is None


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine (.ci/run installs it)")
def test_report_renders_in_a_headless_browser(trained, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
        )
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        errors, requests = [], []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        page.goto((trained / "report.html").as_uri())
        page.wait_for_load_state("load")
        images = page.eval_on_selector_all(
            "img", "els => els.map(e => [e.complete, e.naturalWidth, e.naturalHeight])"
        )
        headings = page.eval_on_selector_all("h2", "els => els.map(e => e.textContent)")
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        browser.close()
    assert not errors
    assert [u for u in requests if not u.startswith(("file:", "data:"))] == []  # offline
    assert len(images) >= 4 and all(ok and w > 0 and h > 0 for ok, w, h in images)  # decoded
    assert "Noise level" in headings and "Before / after" in headings
    assert (tmp_path / "report.png").stat().st_size > 10_000
