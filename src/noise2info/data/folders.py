"""Clean image folders (BSD400, BSD68, Set12 or the user's own) as float images in [0, 1]."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import io
from ..errors import ImageError


def load_clean_folder(folder: str | Path, limit: int | None = None) -> tuple[list[str], list[np.ndarray]]:
    """Read the grey images of ``folder`` (sorted by name) scaled to [0, 1].

    Integer images are divided by their dtype's maximum; colour images are converted to grey
    with the ITU-R 601 weights; float images are taken as they are.
    """
    paths = io.find_inputs([folder])[:limit]
    names, images = [], []
    for p in paths:
        arr = io.read_image(p)
        scale = np.iinfo(arr.dtype).max if arr.dtype.kind in "ui" else 1.0
        x = arr.astype(np.float64) / scale
        if x.ndim == 3 and x.shape[-1] in (3, 4):
            x = x[..., :3] @ np.array([0.299, 0.587, 0.114])
        if x.ndim != 2:
            raise ImageError(f"{p}: expected a 2-D grey image, got shape {arr.shape}")
        names.append(p.name)
        images.append(x)
    return names, images


BSD_SETS = ("bsd400", "bsd68", "set12")  # the paper's training set and its two test sets


def bsd_set(data_root: str | Path, name: str, *, std: float = 25.0, seed: int = 0, limit: int | None = None):
    """One of BSD400 / BSD68 / Set12 with the paper's noise: ``(names, clean, noisy)``.

    Gaussian noise of ``std`` on the 0..255 scale (images in [0, 1], so std / 255), not
    clipped; each set has its own seeded stream (``seed`` plus the set's index in
    ``BSD_SETS``), so ``noise2info data bsd68`` and the benchmark suites see the same noise.
    ``limit`` keeps the first images (their noise does not depend on it).

    Raises
    ------
    ImageError
        A missing folder under ``data_root`` or an image that cannot be read.
    """
    from .noise import NoiseModel, add_noise

    folder = Path(data_root) / name
    if not folder.is_dir():
        raise ImageError(f"{folder}: folder of clean images not found (use --data)")
    names, clean = load_clean_folder(folder, limit)
    noisy = add_noise(clean, NoiseModel("gaussian", std=std / 255), seed + BSD_SETS.index(name))
    return names, clean, noisy


def make_bsd_dataset(data_root: str | Path, out_dir: str | Path, *, std: float = 25.0, seed: int = 0) -> dict:
    """Write :func:`bsd_set` for the three sets as float32 TIFFs,
    ``out_dir/{bsd400,bsd68,set12}/{clean,noisy}/NAME.tif``; returns the image count per set."""
    counts = {}
    for sub in BSD_SETS:
        names, clean, noisy = bsd_set(data_root, sub, std=std, seed=seed)
        for name, y, x in zip(names, clean, noisy, strict=True):
            stem = Path(name).stem + ".tif"
            io.write_image(Path(out_dir) / sub / "clean" / stem, y.astype("float32"))
            io.write_image(Path(out_dir) / sub / "noisy" / stem, x.astype("float32"))
        counts[sub] = len(names)
    return counts
