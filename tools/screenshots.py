"""The screenshots in docs/: the napari plugin docked in a real viewer, and a run report
rendered by headless Chromium. Both from real runs on the demo's noisy images.

    xvfb-run -a python tools/screenshots.py [--steps 200]

Needs the napari and test extras, Xvfb and Chromium (as .ci/run installs them).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

DOCS = Path(__file__).resolve().parents[1] / "docs"


def napari_shot(steps: int, out: Path) -> None:
    import napari
    from qtpy.QtWidgets import QApplication

    from noise2info.napari.sample_data import noisy_samples
    from noise2info.napari.widgets import DenoiseWidget, NoiseWidget, TrainWidget

    def wait(until, timeout=1800):
        start = time.time()
        while not until():
            QApplication.processEvents()
            time.sleep(0.05)
            if time.time() - start > timeout:
                raise TimeoutError
        QApplication.processEvents()

    viewer = napari.Viewer(show=True)
    data, meta = noisy_samples()[0]  # camera
    viewer.add_image(data[128:384, 128:384], name="camera (noisy)")
    train = TrainWidget(viewer)
    denoise = DenoiseWidget(viewer)
    noise = NoiseWidget(viewer)
    viewer.window.add_dock_widget(train, name="noise2info: Train", area="right")
    viewer.window.add_dock_widget(denoise, name="noise2info: Denoise", area="right", tabify=True)
    viewer.window.add_dock_widget(noise, name="noise2info: Estimate noise", area="right", tabify=True)
    viewer.window._qt_window.resize(1400, 900)
    train.select("camera (noisy)")
    train.steps.setValue(steps)
    train.start_button.click()
    wait(lambda: train.state != "training")
    denoise.layer.setCurrentText("camera (noisy)")
    denoise.button.click()
    wait(lambda: denoise.output is not None)
    viewer.layers["camera (noisy)"].visible = True
    viewer.canvas.grid.enabled = True  # noisy and denoised side by side
    train.parentWidget().raise_()  # the Train tab in front, with its curves
    QApplication.processEvents()
    viewer.screenshot(str(out), canvas_only=False, flash=False)
    print(f"wrote {out}: {train.readout.text()}")
    viewer.close()


def report_shot(steps: int, out: Path) -> None:
    from playwright.sync_api import sync_playwright

    from noise2info.io import write_image
    from noise2info.napari.sample_data import noisy_samples

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "in").mkdir()
        for data, meta in noisy_samples():
            name = meta["name"].split()[0]
            write_image(tmp / "in" / f"{name}.tif", np.clip(data, 0, 1))
        cmd = [sys.executable, "-m", "noise2info.cli", "train", str(tmp / "in"), "--out", str(tmp / "run")]
        subprocess.run([*cmd, "--steps", str(steps), "--quiet"], check=True)
        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1100, "height": 1500})
            page.goto((tmp / "run" / "report.html").as_uri())
            page.screenshot(path=str(out))
            browser.close()
    print(f"wrote {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--only", choices=["napari", "report"])
    args = parser.parse_args()
    DOCS.mkdir(exist_ok=True)
    if args.only in (None, "napari"):
        napari_shot(args.steps, DOCS / "napari.png")
    if args.only in (None, "report"):
        report_shot(args.steps, DOCS / "report.png")


if __name__ == "__main__":
    main()
