"""Prediction: normalise, pad, tile (plan -> predict -> stitch), test-time augmentation,
undo normalisation. Kept apart from the model: any ``(B, C, *spatial) -> same`` network works.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import torch
from torch import nn

from .data import denormalise, normalise
from .models import receptive_radius
from .runtime import flush_denormals

# Largest input (pixels / voxels) predicted in one piece when no tile size is given.
AUTO_TILE_LIMIT = {2: 1024 * 1024, 3: 128**3}
AUTO_TILE = {2: 512, 3: 96}


def _round_up(n: int, m: int) -> int:
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
        keep_from = 0 if i == 0 else s + margin
        keep_to = size if i == len(starts) - 1 else s + tile - margin
        plan.append((s, keep_from, keep_to))
    return plan


@torch.no_grad()
def predict_tiled(model: nn.Module, x: np.ndarray, tile: int | None, margin: int) -> np.ndarray:
    """Apply ``model`` to one padded ``(C, *spatial)`` image, tile by tile.

    Only one tile is on the model's device at a time; the result is stitched on the CPU.
    """
    device = next(model.parameters()).device
    spatial = x.shape[1:]
    plans = [plan_tiles(s, tile or s, margin) for s in spatial]
    out = np.empty(x.shape, dtype=np.float32)
    for pieces in itertools.product(*plans):
        src = tuple(slice(s, s + min(tile or n, n)) for (s, _, _), n in zip(pieces, spatial, strict=True))
        inp = torch.from_numpy(np.ascontiguousarray(x[(slice(None), *src)]))[None].to(device)
        pred = model(inp)[0].float().cpu().numpy()
        keep = tuple(slice(a - s, b - s) for s, a, b in pieces)
        dst = tuple(slice(a, b) for _, a, b in pieces)
        out[(slice(None), *dst)] = pred[(slice(None), *keep)]
    return out


def _dihedral(x: np.ndarray, k: int, flip: bool) -> np.ndarray:
    x = np.rot90(x, k, axes=(-2, -1))
    return x[..., ::-1] if flip else x


def _undo_dihedral(x: np.ndarray, k: int, flip: bool) -> np.ndarray:
    x = x[..., ::-1] if flip else x
    return np.rot90(x, -k, axes=(-2, -1))


@flush_denormals()
def denoise(
    model: nn.Module,
    image: np.ndarray,
    *,
    tile: int | None = None,
    overlap: int | None = None,
    tta: bool = False,
) -> np.ndarray:
    """Denoise one ``(C, *spatial)`` image with a trained network.

    Parameters
    ----------
    model : UNet
        A trained network (put in eval mode here); its config gives dims and depth.
    image : np.ndarray
        Shape ``(C, *spatial)``, in the image's own intensity units.
    tile : int, optional
        Tile side; rounded up to a multiple of 2**depth. By default large inputs are tiled and
        small ones are not.
    overlap : int, optional
        Margin kept away from tile cuts; default the network's receptive radius (exact).
    tta : bool
        Average the 8 rotations / flips of the last two axes (test-time augmentation).

    Returns
    -------
    np.ndarray
        The denoised image, float64, same shape and units as ``image``.
    """
    cfg = model.config
    if image.ndim != cfg.dims + 1 or image.shape[0] != cfg.channels:
        raise ValueError(
            f"image of shape {image.shape} does not fit a {cfg.dims}D model with "
            f"{cfg.channels} channel(s); expected (C={cfg.channels}, {cfg.dims} spatial axes)"
        )
    model.eval()
    m = cfg.multiple
    normed, mean, std = normalise(image)
    spatial = image.shape[1:]
    pads = []
    for s in spatial:
        total = _round_up(s, m) - s
        pads.append((total // 2, total - total // 2))
    padded = np.pad(normed, [(0, 0), *pads], mode="symmetric") if any(map(sum, pads)) else normed
    del normed

    margin = _round_up(overlap if overlap is not None else receptive_radius(cfg), m)
    if tile is None and math.prod(padded.shape[1:]) > AUTO_TILE_LIMIT[cfg.dims]:
        tile = max(AUTO_TILE[cfg.dims], 4 * margin)
    if tile is not None:
        tile = _round_up(tile, m)
        if tile <= 2 * margin:
            raise ValueError(
                f"tile {tile} is too small for this model: tiles keep a margin of {margin} pixels "
                f"on each side; use a tile of at least {2 * margin + 4 * m}"
            )

    if tta:
        acc = np.zeros(padded.shape, dtype=np.float64)
        for k, flip in [(k, f) for f in (False, True) for k in range(4)]:
            pred = predict_tiled(model, np.ascontiguousarray(_dihedral(padded, k, flip)), tile, margin)
            acc += _undo_dihedral(pred, k, flip)
        acc /= 8
    else:
        acc = predict_tiled(model, padded, tile, margin)
    crop = tuple(slice(a, a + s) for (a, _), s in zip(pads, spatial, strict=True))
    return denormalise(acc[(slice(None), *crop)], mean, std)
