"""Tile planning and stitching: which windows of a (padded) image are predicted, which part
of each is kept, and where it goes, so that the stitched result equals the untiled one.

Kept apart from the network and from the per-tile pass (:mod:`noise2info.prediction.denoise`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator

import numpy as np

from ..errors import ConfigError
from ..io import cast_to

# Largest input (pixels / voxels) predicted in one piece when no tile size is given.
AUTO_TILE_LIMIT = {2: 1024 * 1024, 3: 128**3}
AUTO_TILE = {2: 512, 3: 96}


def round_up(n: int, m: int) -> int:
    return -(-n // m) * m


def plan_tiles(size: int, tile: int, margin: int) -> list[tuple[int, int, int]]:
    """Tiles along one axis: ``(start, keep_from, keep_to)`` in image coordinates.

    Tiles of length ``tile`` start every ``tile - 2 * margin`` pixels, the last one flush with
    the end; each keeps its centre, ``margin`` away from any cut edge (image edges are kept
    whole). With ``margin`` at least the network's receptive radius and ``tile``, ``margin``
    and ``size`` multiples of 2**depth, the stitched result equals the untiled one.
    """
    if tile >= size:
        return [(0, 0, size)]
    stride = tile - 2 * margin
    if stride <= 0:
        raise ValueError(f"tile {tile} must be larger than twice the overlap margin {margin}")
    starts = list(range(0, size - tile, stride)) + [size - tile]
    plan = []
    for i, s in enumerate(starts):
        # Each tile keeps from where the previous one stopped, so every pixel is predicted
        # once; the last tile, flush with the end, starts early enough for that.
        keep_from = plan[-1][2] if plan else 0
        keep_to = size if i == len(starts) - 1 else s + tile - margin
        plan.append((s, keep_from, keep_to))
    return plan


def symmetric_pads(spatial: tuple[int, ...], multiple: int) -> list[tuple[int, int]]:
    """``(before, after)`` per spatial axis that pad each side to a multiple of ``multiple``
    (the U-Net's 2**depth), split evenly."""
    pads = []
    for s in spatial:
        total = round_up(s, multiple) - s
        pads.append((total // 2, total - total // 2))
    return pads


def choose_tile(padded: list[int], tile: int | None, margin: int, dims: int, multiple: int) -> int | None:
    """The tile side for an image of ``padded`` size: ``tile`` rounded up to ``multiple``, an
    automatic one for a large image when not given, None where one tile holds the whole image.

    Raises
    ------
    ConfigError
        A tile too small for the margin it keeps on each side.
    """
    if tile is None and math.prod(padded) > AUTO_TILE_LIMIT[dims]:
        tile = max(AUTO_TILE[dims], 4 * margin)
    if tile is not None and tile >= max(padded):
        return None
    if tile is not None:
        tile = round_up(tile, multiple)
        if tile <= 2 * margin:
            raise ConfigError(
                f"tile {tile} is too small for this model: tiles keep a margin of {margin} pixels "
                f"on each side; use a tile of at least {2 * margin + 4 * multiple}"
            )
    return tile


def tiles(
    spatial: tuple[int, ...], pads: list[tuple[int, int]], tile: int | None, margin: int
) -> Iterator[tuple[list[tuple[int, int]], tuple[slice, ...], tuple[slice, ...]]]:
    """Every tile of an image of size ``spatial`` padded by ``pads``: ``(window, keep, dst)``,
    the window in padded coordinates (``(start, stop)`` per axis), the part of the tile kept
    (its centre, less the padding) and where that goes in the image (spatial slices)."""
    padded = [s + lo + hi for s, (lo, hi) in zip(spatial, pads, strict=True)]
    plans = [plan_tiles(n, tile or n, margin) for n in padded]
    for pieces in itertools.product(*plans):
        window = [(s, s + min(tile or n, n)) for (s, _, _), n in zip(pieces, padded, strict=True)]
        keep, dst = [], []
        for (s, a, b), (lo, _), n in zip(pieces, pads, spatial, strict=True):
            a, b = max(a, lo), min(b, lo + n)  # image coordinates [a - lo, b - lo)
            keep.append(slice(a - s, b - s))
            dst.append(slice(a - lo, b - lo))
        yield window, tuple(keep), tuple(dst)


def read_padded(image, window: list[tuple[int, int]], pads: list[tuple[int, int]]) -> np.ndarray:
    """Read ``window`` (``(start, stop)`` per spatial axis, padded coordinates) of ``image``
    as if it were symmetric-padded by ``pads``: only the pixels inside are read."""
    spatial = image.shape[1:]
    src, extra = [], []
    for (a, b), (lo, _), n in zip(window, pads, spatial, strict=True):
        start, stop = max(a - lo, 0), min(b - lo, n)
        src.append(slice(start, stop))
        extra.append((start - (a - lo), (b - lo) - stop))
    block = image[(slice(None), *src)]
    # A window reaches past an edge by less than 2**depth, which its own pixels cover, so
    # padding the block equals cropping the padded image.
    return np.pad(block, [(0, 0), *extra], mode="symmetric") if any(map(sum, extra)) else np.asarray(block)


def stitch(out, dst: tuple[slice, ...], values: np.ndarray) -> None:
    """Write one tile's kept values into ``out`` at ``dst`` (rounded and clipped for an
    integer ``out``)."""
    out[(slice(None), *dst)] = cast_to(values, out.dtype)
