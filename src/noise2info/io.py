"""Read and write images, keeping format, dtype and range; arrange them as samples.

Internally every image becomes ``(N, C, *spatial)`` float samples: N > 1 for a stack read
as a batch of 2D images, C for colour. :class:`Layout` remembers how to undo that.
"""

from __future__ import annotations

import glob
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SUPPORTED = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".npy")


class ImageError(ValueError):
    """A problem with one input file; the message names the file."""


def find_inputs(inputs: list[str | Path]) -> list[Path]:
    """Expand files, directories (their supported images, sorted) and glob patterns.

    Raises
    ------
    ImageError
        If an input matches nothing, or the whole set is empty.
    """
    found: list[Path] = []
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            found += sorted(q for q in p.iterdir() if q.suffix.lower() in SUPPORTED and q.is_file())
        elif p.is_file():
            found.append(p)
        else:
            matches = sorted(Path(m) for m in glob.glob(str(item), recursive=True))
            if not matches:
                raise ImageError(f"{item}: no such file, directory or matching pattern")
            found += [m for m in matches if m.is_file()]
    if not found:
        raise ImageError(f"no images found in {', '.join(map(str, inputs)) or 'the inputs'}")
    return found


def read_image(path: str | Path) -> np.ndarray:
    """Read one image as stored: dtype kept, colour as a trailing axis, TIFF pages leading.

    Raises
    ------
    ImageError
        Unsupported extension, unreadable file, or a non-numeric / non-finite image.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise ImageError(
            f"{path}: unsupported format {suffix or '(none)'}; use one of {', '.join(SUPPORTED)}"
        )
    try:
        if suffix in (".tif", ".tiff"):
            import tifffile

            arr = tifffile.imread(path)
        elif suffix == ".npy":
            arr = np.load(path, allow_pickle=False)
        else:
            import imageio.v3 as iio

            arr = iio.imread(path, plugin="pillow")
    except Exception as err:  # any reader failure is the file's problem, said in one line
        raise ImageError(f"{path}: cannot read image ({type(err).__name__}: {err})") from None
    arr = np.asarray(arr)
    if arr.dtype.kind not in "uif" and arr.dtype != bool:
        raise ImageError(f"{path}: unsupported pixel type {arr.dtype}")
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise ImageError(f"{path}: image contains NaN or Inf pixels")
    return arr


def atomic_write(path: str | Path, write) -> Path:
    """Call ``write(tmp_path)`` on a temp file beside ``path``, then rename it over ``path``:
    readers see the old file or the whole new one, never half of it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_image(path: str | Path, arr: np.ndarray) -> None:
    """Write ``arr`` in the format of ``path``'s extension, atomically (temp file + rename)."""
    suffix = Path(path).suffix.lower()

    def write(tmp: str) -> None:
        if suffix in (".tif", ".tiff"):
            import tifffile

            # Say what the axes are, so readers don't guess: colour only for a trailing 3/4.
            rgb = arr.ndim >= 3 and arr.shape[-1] in (3, 4)
            tifffile.imwrite(tmp, arr, photometric="rgb" if rgb else "minisblack")
        elif suffix == ".npy":
            with open(tmp, "wb") as fh:
                np.save(fh, arr, allow_pickle=False)
        else:
            import imageio.v3 as iio

            kwargs = {"quality": 95} if suffix in (".jpg", ".jpeg") else {}
            iio.imwrite(tmp, arr, plugin="pillow", extension=suffix, **kwargs)

    atomic_write(path, write)


def cast_to(arr: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Convert float results to ``dtype``: integers are rounded and clipped to their range."""
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return arr >= 0.5
    if dtype.kind in "ui":
        info = np.iinfo(dtype)
        return np.clip(np.rint(arr), info.min, info.max).astype(dtype)
    return arr.astype(dtype)


@dataclass(frozen=True)
class Layout:
    """How a stored array maps to ``(N, C, *spatial)`` samples, and back."""

    shape: tuple[int, ...]
    dims: int
    channels_last: bool


def infer_layout(shape: tuple[int, ...], dims: int) -> Layout:
    """Decide how to read an array of ``shape`` for a ``dims``-D model.

    A trailing axis of 1-4 beyond the spatial ones is colour (channels); any remaining
    leading axes (TIFF pages when ``dims`` is 2) are a batch of separate images.
    """
    if len(shape) < dims:
        raise ImageError(f"array of shape {shape} has fewer than {dims} spatial axes")
    channels_last = len(shape) > dims and shape[-1] <= 4
    return Layout(tuple(shape), dims, channels_last)


def to_samples(arr: np.ndarray, dims: int) -> tuple[np.ndarray, Layout]:
    """Stored array -> float32 ``(N, C, *spatial)`` and its :class:`Layout`."""
    layout = infer_layout(arr.shape, dims)
    spatial_end = len(arr.shape) - int(layout.channels_last)
    spatial = arr.shape[spatial_end - dims : spatial_end]
    channels = arr.shape[-1] if layout.channels_last else 1
    x = np.asarray(arr, dtype=np.float32).reshape(-1, *spatial, channels)
    return np.moveaxis(x, -1, 1), layout


def from_samples(samples: np.ndarray, layout: Layout) -> np.ndarray:
    """Inverse of :func:`to_samples` (float, the stored shape)."""
    x = np.moveaxis(samples, 1, -1)
    if not layout.channels_last:
        x = x[..., 0]
    return x.reshape(layout.shape)
