"""Clean image folders (BSD400, BSD68, Set12 or the user's own) as float images in [0, 1]."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import io


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
            raise io.ImageError(f"{p}: expected a 2-D grey image, got shape {arr.shape}")
        names.append(p.name)
        images.append(x)
    return names, images
