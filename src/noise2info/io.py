"""Read and write images, keeping format, dtype and range; arrange them as samples.

Internally every image is a sequence of ``(C, *spatial)`` samples: several for a stack read
as a batch of 2D images, C for colour. :class:`SampleView` reads and writes one sample by
slices, so a memory-mapped TIFF / NPY or a Zarr array is never loaded whole.
"""

from __future__ import annotations

import glob
import math
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import ImageError, Noise2InfoError

# Read and written with Pillow (through imageio): the common 8/16-bit formats, classic test
# sets' BMP and PGM/PPM among them.
PILLOW_FORMATS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".pgm", ".ppm", ".pbm", ".pnm")
SUPPORTED = (*PILLOW_FORMATS, ".tif", ".tiff", ".npy", ".zarr")


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
        if _is_zarr(p):
            found.append(p)
        elif p.is_dir():
            found += sorted(
                q for q in p.iterdir() if q.suffix.lower() in SUPPORTED and (q.is_file() or _is_zarr(q))
            )
        elif p.is_file():
            found.append(p)
        else:
            matches = sorted(Path(m) for m in glob.glob(str(item), recursive=True))
            if not matches:
                raise ImageError(f"{item}: no such file, directory or matching pattern")
            found += [m for m in matches if m.is_file() or _is_zarr(m)]
    if not found:
        raise ImageError(f"no images found in {', '.join(map(str, inputs)) or 'the inputs'}")
    return found


def _is_zarr(path: Path) -> bool:
    return path.suffix.lower() == ".zarr" and path.is_dir()


def _zarr():
    from .extras import require

    require("reading Zarr arrays", "zarr")
    import zarr

    return zarr


def open_image(path: str | Path, *, lazy: bool = True):
    """Open one image as stored: dtype kept, colour as a trailing axis, TIFF pages leading.

    With ``lazy`` (the default) nothing is read yet where the format allows it: an ``.npy``
    file or an uncompressed TIFF comes back memory-mapped (``np.memmap``), a ``.zarr``
    directory as a Zarr array; PNG, JPEG and compressed TIFF are read whole. Lazy arrays are
    checked for NaN / Inf when their statistics are computed
    (:func:`noise2info.data.channel_stats`), eager ones here.

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

            arr = None
            if lazy:
                try:
                    arr = tifffile.memmap(path, mode="r")
                except ValueError:  # compressed or scattered pages cannot be mapped
                    arr = None
            if arr is None:
                arr = tifffile.imread(path)
        elif suffix == ".npy":
            arr = np.load(path, mmap_mode="r" if lazy else None, allow_pickle=False)
        elif suffix == ".zarr":
            arr = _zarr().open_array(path, mode="r")
            if not lazy:
                arr = arr[...]
        else:
            import imageio.v3 as iio

            _check_content(path)
            arr = iio.imread(path, plugin="pillow")
    except Noise2InfoError:
        raise
    except Exception as err:  # any reader failure is the file's problem, said in one line
        raise ImageError(f"{path}: cannot read image ({type(err).__name__}: {err})") from None
    dtype = np.dtype(arr.dtype)
    if dtype.kind not in "uifb":
        raise ImageError(f"{path}: unsupported pixel type {dtype}")
    if arr.ndim == 0 or 0 in arr.shape:
        raise ImageError(f"{path}: empty image of shape {tuple(arr.shape)}")
    if not is_lazy(arr) and dtype.kind == "f" and not np.isfinite(arr).all():
        raise ImageError(f"{path}: image contains NaN or Inf pixels")
    return arr


# What Pillow calls the formats of each extension (a camera's JPEG may be a multi-picture MPO).
_PILLOW_NAMES = {
    ".png": ("PNG",),
    ".jpg": ("JPEG", "MPO"),
    ".jpeg": ("JPEG", "MPO"),
    ".bmp": ("BMP", "DIB"),
    ".gif": ("GIF",),
    ".webp": ("WEBP",),
    **dict.fromkeys((".pgm", ".ppm", ".pbm", ".pnm"), ("PPM",)),
}


def _check_content(path: Path) -> None:
    """Refuse a file whose content is another format than its extension says: its output
    would be written in the extension's format, not the input's."""
    from PIL import Image

    with Image.open(path) as image:  # reads the header only
        found = image.format
    if found not in _PILLOW_NAMES[path.suffix.lower()]:
        raise ImageError(f"{path}: holds a {found} image, not {path.suffix}; give it its format's extension")


def read_image(path: str | Path) -> np.ndarray:
    """Read one whole image into memory (see :func:`open_image` for the conventions)."""
    return np.asarray(open_image(path, lazy=False))


def is_lazy(arr) -> bool:
    """True for arrays read on demand (memory-mapped or Zarr) rather than held in memory."""
    return isinstance(arr, np.memmap) or not isinstance(arr, np.ndarray)


# The mode new files get: read once (reading the umask means setting it, process-wide).
_UMASK = os.umask(0o022)
os.umask(_UMASK)


def atomic_write(path: str | Path, write) -> Path:
    """Call ``write(tmp_path)`` on a temp file beside ``path``, then rename it over ``path``:
    readers see the old file or the whole new one, never half of it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        os.chmod(tmp, 0o666 & ~_UMASK)  # a temp file is private (0600); the result is not
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _photometric(shape: tuple[int, ...]) -> str:
    # Say what the axes are, so readers don't guess: colour only for a trailing 3/4.
    return "rgb" if len(shape) >= 3 and shape[-1] in (3, 4) else "minisblack"


def write_into(path: str | Path, shape: tuple[int, ...], dtype, fill, *, chunks=None) -> Path:
    """Create the image ``path`` of ``shape`` and ``dtype``, let ``fill(out)`` write it, publish it.

    TIFF and NPY outputs are memory-mapped files and Zarr outputs chunked arrays (``chunks``,
    default automatic), so a large result is never held in memory whole; PNG and JPEG are
    filled in memory, then encoded. Like :func:`write_image` the output appears only once
    complete (temp file or folder + rename).
    """
    path, dtype = Path(path), np.dtype(dtype)
    suffix = path.suffix.lower()
    if suffix == ".zarr":
        zarr = _zarr()
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.stem}.", suffix=".zarr", dir=path.parent))
        try:
            fill(zarr.create_array(tmp, shape=shape, dtype=dtype, chunks=chunks or "auto", overwrite=True))
            if path.exists():  # only reached when the caller chose to overwrite
                shutil.rmtree(path)
            os.replace(tmp, path)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return path
    if suffix in (".tif", ".tiff", ".npy") and dtype.kind != "b":

        def write(tmp: str) -> None:
            if suffix == ".npy":
                out = np.lib.format.open_memmap(tmp, mode="w+", dtype=dtype, shape=shape)
            else:
                import tifffile

                out = tifffile.memmap(tmp, shape=shape, dtype=dtype, photometric=_photometric(shape))
            fill(out)
            out.flush()
            del out  # unmapped before the rename

        return atomic_write(path, write)
    out = np.empty(shape, dtype)
    fill(out)
    write_image(path, out)
    return path


def write_image(path: str | Path, arr: np.ndarray) -> None:
    """Write ``arr`` in the format of ``path``'s extension, atomically (temp file + rename)."""
    suffix = Path(path).suffix.lower()

    def write(tmp: str) -> None:
        if suffix in (".tif", ".tiff"):
            import tifffile

            tifffile.imwrite(tmp, arr, photometric=_photometric(arr.shape))
        elif suffix == ".npy":
            with open(tmp, "wb") as fh:
                np.save(fh, arr, allow_pickle=False)
        else:
            import imageio.v3 as iio

            kwargs = {"quality": 95} if suffix in (".jpg", ".jpeg") else {}
            iio.imwrite(tmp, arr, plugin="pillow", extension=suffix, **kwargs)

    atomic_write(path, write)


def cast_to(arr: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Convert float results to ``dtype``: integers are rounded and clipped to their range,
    floats converted without a copy where they already are ``dtype``."""
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return arr >= 0.5
    if dtype.kind in "ui":
        info = np.iinfo(dtype)
        return np.clip(np.rint(arr), info.min, info.max).astype(dtype)
    return arr.astype(dtype, copy=False)


@dataclass(frozen=True)
class Layout:
    """How a stored array maps to ``(C, *spatial)`` samples, and back."""

    shape: tuple[int, ...]
    dims: int
    channels_last: bool

    @property
    def leading(self) -> tuple[int, ...]:
        """Axes before the spatial ones: each index is one sample (e.g. TIFF pages)."""
        return self.shape[: len(self.shape) - self.dims - int(self.channels_last)]

    @property
    def sample_shape(self) -> tuple[int, ...]:
        """``(C, *spatial)``."""
        end = len(self.shape) - int(self.channels_last)
        return (self.shape[-1] if self.channels_last else 1, *self.shape[end - self.dims : end])


# The smallest side of an image's plane that noise2info reads: its noise readings work on 8 x 8
# blocks, and a smaller image has too little of its noise to learn from or to read.
MIN_SIDE = 8


def infer_layout(shape: tuple[int, ...], dims: int, channels: int | None = None) -> Layout:
    """Decide how to read an array of ``shape`` for a ``dims``-D model (docs/reliability.md,
    "How an array is read").

    The last ``dims`` axes are spatial, unless a trailing axis beyond them is channels: one
    of 1-4 (grey + alpha, RGB, RGBA), one smaller than :data:`MIN_SIDE` (too small to be a
    side), or one equal to ``channels`` (the model's, where it has more than one). Any axis
    before them is pages: each index a separate image (a TIFF stack when ``dims`` is 2); at
    most one such axis beyond the channels, so an array has at most ``dims + 2`` axes.

    Raises
    ------
    ImageError
        Too few or too many axes, or a plane smaller than :data:`MIN_SIDE` a side.
    """
    shape = tuple(int(n) for n in shape)
    if len(shape) < dims:
        raise ImageError(f"shape {shape} has fewer than {dims} spatial axes (a {dims}-D image)")
    if len(shape) > dims + 2:
        raise ImageError(
            f"shape {shape} has too many axes ({len(shape)}): a {dims}-D model reads at most {dims + 2} "
            f"(pages, {dims} spatial, channels){'; --dims 3 reads volumes' if dims == 2 else ''}"
        )
    last = shape[-1]
    channels_last = len(shape) > dims and (
        last <= 4 or last < MIN_SIDE or (channels is not None and channels > 1 and last == channels)
    )
    layout = Layout(shape, dims, channels_last)
    plane = layout.sample_shape[-2:]
    if min(plane) < MIN_SIDE:
        raise ImageError(
            f"image of {plane[0]} x {plane[1]} pixels is too small: noise2info needs at least "
            f"{MIN_SIDE} x {MIN_SIDE}"
        )
    return layout


class SampleView:
    """One ``(C, *spatial)`` sample of a stored array, read and written by slices.

    Only the slices asked for are read (``view[key]`` returns a NumPy array) or written
    (``view[key] = values``), so a memory-mapped or Zarr source is never loaded whole.
    ``np.asarray(view)`` reads all of it. Keys are ``...`` or slices for the leading axes of
    ``(C, *spatial)`` (the rest whole), without steps.
    """

    def __init__(self, source, layout: Layout, index: int):
        self.source, self.layout = source, layout
        lead = layout.leading
        self._lead = tuple(int(i) for i in np.unravel_index(index, lead)) if lead else ()
        self.shape = layout.sample_shape
        self.ndim = len(self.shape)
        self.dtype = np.dtype(source.dtype)
        self.size = math.prod(self.shape)

    def _key(self, key) -> tuple:
        key = () if key is Ellipsis else key if isinstance(key, tuple) else (key,)
        key += (slice(None),) * (self.ndim - len(key))  # trailing axes whole, as NumPy reads them
        if len(key) != self.ndim or any(not isinstance(k, slice) or k.step not in (None, 1) for k in key):
            raise IndexError(f"index a sample with {self.ndim} slices (channel, spatial axes), not {key!r}")
        if self.layout.channels_last:
            return (*self._lead, *key[1:], key[0])
        if key[0].indices(1) != (0, 1, 1):
            raise IndexError("this array has one channel: use a full channel slice")
        return (*self._lead, *key[1:])

    def __getitem__(self, key) -> np.ndarray:
        block = np.asarray(self.source[self._key(key)])
        return np.moveaxis(block, -1, 0) if self.layout.channels_last else block[None]

    def __setitem__(self, key, value) -> None:
        value = np.asarray(value)
        self.source[self._key(key)] = np.moveaxis(value, 0, -1) if self.layout.channels_last else value[0]

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        block = self[...]
        return block if dtype is None else block.astype(dtype)


def check_samples(samples, dims: int, channels: int | None = None, names: list[str] | None = None) -> int:
    """Check that ``(C, *spatial)`` samples have ``dims`` spatial axes and one channel count
    (``channels``, when given, e.g. a model's); return the count.

    Raises
    ------
    ImageError
        Naming the first sample that does not fit (``names``, default ``image i``).
    """
    if not len(samples):
        raise ImageError("no images")
    names = names or [f"image {i}" for i in range(len(samples))]
    for name, s in zip(names, samples, strict=True):
        if len(s.shape) != dims + 1:
            raise ImageError(
                f"{name}: shape {tuple(s.shape)}; expected (C, *spatial) with {dims} spatial axes"
            )
    first: dict[int, str] = {}
    for name, s in zip(names, samples, strict=True):
        first.setdefault(int(s.shape[0]), name)
    if len(first) > 1:
        listed = ", ".join(f"{name}: {c}" for c, name in first.items())
        raise ImageError(f"images have mixed channel counts ({listed})")
    ((count, name),) = first.items()
    if channels is not None and count != channels:
        raise ImageError(f"{name}: {count} channel(s), but the model was trained on {channels}")
    return count


def sample_views(arr, dims: int, channels: int | None = None, name: str | None = None) -> list[SampleView]:
    """The ``(C, *spatial)`` samples of a stored array (NumPy, memory-mapped or Zarr), laid
    out by :func:`infer_layout`: the one place every command reads an array's layout.

    With ``channels`` (a model's) an array of another channel count is refused; ``name``
    (the file) starts every message.

    Raises
    ------
    ImageError
        Empty, too few or too many axes, too small, or the wrong channel count.
    """
    try:
        if len(arr.shape) == 0 or 0 in arr.shape:
            raise ImageError(f"empty image of shape {tuple(arr.shape)}")
        layout = infer_layout(tuple(arr.shape), dims, channels)
        if channels is not None and layout.sample_shape[0] != channels:
            raise ImageError(f"{layout.sample_shape[0]} channel(s), but the model was trained on {channels}")
    except ImageError as err:
        raise ImageError(f"{name}: {err}" if name else str(err)) from None
    return [SampleView(arr, layout, i) for i in range(math.prod(layout.leading))]
