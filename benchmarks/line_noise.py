"""The line-noise reading (noise2info.lines.line_noise) on images with and without row offsets:
the kinds of the real-sim test bed, and BSD68 / Set12 with Gaussian noise, alone and with
row offsets of a given std added. Prints a Markdown table; seconds, numpy only.

    python benchmarks/line_noise.py [DATA]      # DATA: the folder holding bsd68/ and set12/
"""

import sys
from pathlib import Path

import numpy as np

from noise2info.data.camera import TEST_BED, real_sim_images
from noise2info.data.folders import load_clean_folder
from noise2info.lines import line_noise


def row(name: str, images: list[np.ndarray]) -> str:
    whole = line_noise(images)
    single = sum(bool(line_noise([x])["found"]) for x in images)
    return (
        f"| {name} | {whole['rows']:+.3f} | {whole['columns']:+.3f} | {', '.join(whole['found']) or '-'} "
        f"| {single} of {len(images)} |"
    )


def main(data: Path) -> None:
    print("| images | rows | columns | found | single images read as lined |")
    print("|---|---|---|---|---|")
    for kind in TEST_BED:
        _, _, noisy = real_sim_images(kind, side=256, seed=0)
        noisy = [x if x.ndim == 3 else x[None] for x in noisy]
        print(row(f"real-sim {kind}", noisy))
        print(row(f"real-sim {kind}, 8-bit", [np.round(np.clip(x, 0, 1) * 255) for x in noisy]))
    photos = data / "polyu-dev"
    if photos.is_dir():  # real JPEG photos (three cameras; the Canon 5D Mark II's carry weak banding)
        from noise2info.io import read_image

        paths = sorted(photos.glob("*_real.JPG"))
        noisy = [np.moveaxis(read_image(p), -1, 0).astype(np.float64) for p in paths]
        print(row("polyu-dev, 56 JPEG photos", noisy))
    rng = np.random.default_rng(0)
    for suite in ("bsd68", "set12"):
        if not (data / suite).is_dir():
            continue
        clean = load_clean_folder(data / suite)[1]
        for std in (2, 15, 50):
            noisy = [(c + rng.normal(0, std / 255, c.shape))[None] for c in clean]
            print(row(f"{suite}, Gaussian {std}/255", noisy))
        for lines in (0.005, 0.01, 0.02):
            noisy = [
                (c + rng.normal(0, 15 / 255, c.shape) + rng.normal(0, lines, (c.shape[0], 1)))[None]
                for c in clean
            ]
            print(row(f"{suite}, Gaussian 15/255 + row offsets of std {lines}", noisy))


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data"))
