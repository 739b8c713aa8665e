"""Line noise: an offset shared by every pixel of a row or of a column (issue 11).

Scientific cameras add it (sCMOS column patterns, row read-out noise, scan stripes). A
blind-spot network cannot remove it: a pixel's offset is seen by every other pixel of its
line, so the network learns it as signal and keeps it. It is removed after the network
instead, by the classic destriping: each line's offset is the median, along the line, of the
image less a median filter across the lines (which a single line's offset does not survive).

Whether the images carry it is read from the noisy images alone: the offsets of the left and
right ends of each row (top and bottom of each column) are two independent readings of the
same offset where there is line noise, so they agree; without it they are unrelated noise.

References
----------
Broaddus, Krull, Weigert, Schmidt, Myers, "Removing structured noise with self-supervised
blind-spot networks", ISBI 2020 (why blind-spot networks keep it).
"""

from __future__ import annotations

from functools import partial

import numpy as np
from scipy.ndimage import median_filter
from scipy.stats import spearmanr, trim_mean

from .noise_level import centre, spread

# Lines in the median filter across them: one line's offset does not pass it, and a wider
# filter leaves less of the neighbours' offsets in the reading but follows the image's own
# detail less (on the real-sim microscope, after the network: 3 lines +0.97 dB, 5 +1.44,
# 9 +1.82, 15 +1.94; docs/notes/benchmarks.md, "Line noise").
ACROSS = 9
READ_ACROSS = 5  # the same filter for the reading (calibrated with it: AGREE)
MIN_PART = 16  # pixels in each quarter-line for a reading
# Agreement of the offsets read on a line's two ends above which a direction carries line
# noise (docs/notes/benchmarks.md, "Line noise"; benchmarks/line_noise.py): without line noise the
# median over planes read at most 0.04 (BSD68, Set12, the real-sim kinds without lines, float
# or 8-bit); row offsets of std 0.01 under Gaussian noise of 15/255 read 0.30-0.33, the
# microscope 0.72-0.77.
AGREE = 0.2


def line_offsets(plane: np.ndarray, axis: int, across: int = ACROSS) -> np.ndarray:
    """Each line's offset in a 2-D plane: one per row (``axis`` 0) or per column (1).

    Parameters
    ----------
    plane : np.ndarray
        A 2-D image.
    axis : int
        0 for row offsets, 1 for column offsets.
    across : int
        Lines in the median filter across them, whose output the offset is read against.

    Returns
    -------
    np.ndarray
        float64, one offset per line: the median along the line of the plane less the median
        filter across lines.
    """
    z = np.asarray(plane, np.float64)
    if z.ndim != 2:
        raise ValueError(f"a 2-D plane is needed, not shape {z.shape}")
    detail = _across(z if axis == 0 else z.T, across)
    return np.median(detail, axis=1)


def _across(z: np.ndarray, across: int) -> np.ndarray:
    """A plane less its median filter across the rows: what a row's own offset leaves."""
    return z - median_filter(z, size=(across, 1), mode="mirror")


def remove_lines(image, rows: bool = True, columns: bool = True, passes: int = 2) -> np.ndarray:
    """``image`` (``(C, *spatial)`` or 2-D) with each 2-D plane's row and / or column offsets
    subtracted (:func:`line_offsets`), alternately, ``passes`` times (a row's offset biases the
    column readings a little, and the other way round). Returns float64."""
    out = np.array(image, np.float64, copy=True)
    for plane in out.reshape(-1, *out.shape[-2:]):  # views: written in place
        for _ in range(passes):
            if rows:
                plane -= line_offsets(plane, 0)[:, None]
            if columns:
                plane -= line_offsets(plane, 1)[None, :]
    return out


def agreement(plane: np.ndarray, axis: int) -> float | None:
    """How much the lines' offsets read on the first and on the last quarter of each line agree
    (Spearman's rank correlation over lines; None where the plane is too small or the
    readings constant). Line noise is shared along the whole line; the image's own structures
    rarely are, and ranks keep a few strong ones (a horizon, a frame) from deciding.

    Each quarter-line is read twice, by its median and by the mean of its middle half, and the
    lower agreement counts. The median ignores structures over up to half a line but is one of
    a few integers on 8-bit images, whose ties read a single JPEG photo as lined (1.0); the
    mean of the middle half is continuous there but follows strokes over a quarter of a line
    (Hanzi characters under salt-and-pepper noise read 0.48). Line noise reads high in both.
    """
    z = np.asarray(plane, np.float64)
    if axis == 1:
        z = z.T
    quarter = z.shape[1] // 4
    if quarter < MIN_PART or z.shape[0] < 2 * READ_ACROSS:
        return None
    detail = _across(z, READ_ACROSS)
    found = []
    for read in (partial(np.median, axis=1), partial(trim_mean, proportiontocut=0.25, axis=1)):
        a, b = read(detail[:, :quarter]), read(detail[:, -quarter:])
        if np.ptp(a) == 0 or np.ptp(b) == 0:  # flat or saturated: nothing to read
            return None
        found.append(float(spearmanr(a, b).statistic))
    return float(np.min(found))  # NaN (a NaN pixel) whichever reading gave it


def line_noise(images) -> dict:
    """Whether the noisy images carry row or column offsets, from the images alone.

    Parameters
    ----------
    images : list of array-like
        ``(C, *spatial)`` images (NumPy arrays or lazy views); every 2-D plane of every channel
        of a bounded sample (:func:`noise2info.noise_level.spread`) is read.

    Returns
    -------
    dict
        ``rows`` and ``columns``: the median over planes of :func:`agreement` (about 0 without
        line noise, towards 1 where it dominates; None without a plane to read); ``found``:
        the directions whose agreement reaches :data:`AGREE`, e.g. ``["rows"]``.
    """
    readings: dict[int, list[float]] = {0: [], 1: []}
    for i in spread(images):
        window = centre(images[i])
        for plane in window.reshape(-1, *window.shape[-2:]):
            for axis in (0, 1):
                found = agreement(plane, axis)
                if found is not None:
                    readings[axis].append(found)
    agree = {
        name: round(float(np.median(readings[axis])), 4) if readings[axis] else None
        for axis, name in ((0, "rows"), (1, "columns"))
    }
    found = [name for name, v in agree.items() if v is not None and v >= AGREE]
    return {**agree, "found": found}
