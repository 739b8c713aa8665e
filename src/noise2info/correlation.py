"""The noise's spatial correlation from the noisy images alone (issue 11).

Blind-spot and Noise2Same training assume noise independent from pixel to pixel; camera
pipelines (demosaicing, JPEG, in-camera denoising) and scientific cameras (line and column
patterns) break that, and a network then learns to copy the noise. This measures the noise's
autocorrelation at short lags where the image is flattest: each 8 x 8 block less its
least-squares quadratic surface, blocks judged flat by the 16 blocks around them that share no row or
column with them, so the choice depends neither on the block's own noise nor on row or
column patterns; lag products pooled over the kept blocks. For white noise the fit
alone gives a known small negative correlation; it is subtracted, so white noise reads about
0 at every lag. For correlated noise the fit bends the values a little (lags the noise
does not correlate read slightly negative, -0.1 at most for strong row noise) and reads the
correlation low (0.47-0.59 for the demosaiced camera noise whose true neighbour correlation is
0.60).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import convolve

from .noise_level import centre, spread

BLOCK = 8
LAGS = ((0, 1), (1, 0), (1, 1), (1, -1), (0, 2), (2, 0))
# The check's probe carries the noise's correlation at every lag out to this many pixels: with
# the nearest lags as the block fit reads them Stein's risk read the test bed's camera kinds
# 1.3 / 2.0 dB high on average (up to 2.5), with every lag out to 3, unbent, within 1 dB of the
# truth on each image where the channels are denoised apart
# (docs/notes/benchmarks.md, "The expected gain under correlated noise").
REACH = 3
# Correlation above which the noise is treated as correlated (docs/notes/benchmarks.md, "Correlated
# noise", benchmarks/noise_correlation.py): i.i.d. noise read at most 0.36 (scikit-image's
# textured photos at noise std 2/255, where what is left of the signal in the flattest blocks
# dominates; 0.14 at 15/255), demosaiced camera and phone JPEG noise 0.47-0.59.
CORRELATED = 0.4
FLAT = 0.02  # share of blocks kept: the flattest, least touched by signal
_OFF_AXIS = [(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3) if dy and dx]


@functools.cache
def _residual_operator(side: int = BLOCK) -> np.ndarray:
    """I - H for a least-squares quadratic surface (1, y, x, y^2, xy, x^2) fitted to a
    side x side block, flattened. (A plane left enough curvature of the signal in the flattest
    blocks of textured photos to read i.i.d. noise at 2/255 as correlated, 0.41.)"""
    y, x = np.indices((side, side))
    y, x = y.ravel() / side, x.ravel() / side
    design = np.stack([np.ones(side * side), y, x, y * y, x * y, x * x], axis=1)
    hat = design @ np.linalg.pinv(design)
    return np.eye(side * side) - hat


def reach_lags(reach: int = REACH) -> list[tuple[int, int]]:
    """Every lag (dy, dx) out to ``reach`` pixels on each axis, one of each pair (dy, dx) /
    (-dy, -dx), lag (0, 0) first."""
    return (
        [(0, 0)]
        + [(0, dx) for dx in range(1, reach + 1)]
        + [(dy, dx) for dy in range(1, reach + 1) for dx in range(-reach, reach + 1)]
    )


def _lag_pairs(dy: int, dx: int, side: int = BLOCK) -> tuple[np.ndarray, np.ndarray]:
    """Flat indices (i, j) of the pixel pairs at lag (dy, dx) inside one block."""
    y, x = np.indices((side, side))
    ok = (y + dy >= 0) & (y + dy < side) & (x + dx >= 0) & (x + dx < side)
    i = (y * side + x)[ok]
    return i, i + dy * side + dx


def _white_expectation() -> dict[tuple[int, int], float]:
    """The correlation white noise reads at each lag of :data:`LAGS` after the surface fit,
    E[r_i r_j] / E[r_i^2]: the first column of :func:`_bending` over its first entry."""
    white = _bending()[:, 0]
    index = {lag: a for a, lag in enumerate(reach_lags())}
    return {lag: float(white[index[lag]] / white[0]) for lag in LAGS}


@functools.cache
def _bending(reach: int = REACH) -> np.ndarray:
    """How the surface fit bends a correlation: entry (a, b) is the mean lag product at lag a
    of the fit's residuals of noise whose only correlation is 1 at lag b (lag (0, 0): white
    noise), lags as :func:`reach_lags` lists them. Residuals r = M x of noise of covariance C
    (M = I - H, :func:`_residual_operator`) have covariance M C M, linear in C, so the read
    products solve for the unbent correlation."""
    m = _residual_operator()
    lags = reach_lags(reach)
    out = np.empty((len(lags), len(lags)))
    for b, lag in enumerate(lags):
        i, j = _lag_pairs(*lag)
        covariance = np.zeros_like(m)
        covariance[i, j] = covariance[j, i] = 1.0
        bent = m @ covariance @ m
        for a, read in enumerate(lags):
            out[a, b] = np.mean(bent[_lag_pairs(*read)])
    return out


def unbent_correlation(products: dict) -> dict[str, float]:
    """The noise's correlation at every lag out to :data:`REACH` from the mean lag products of
    surface-fit residuals (``products``, keyed by every lag of :func:`reach_lags`): the
    linear system :func:`_bending` solved in the least-squares sense, each lag over lag
    (0, 0). The fit takes the slow part of correlated noise with the signal (lag 2 of
    demosaiced camera noise read -0.05 to -0.11 where the truth is 0.14); solved, it reads
    0.18 / 0.13. Assumes no correlation past :data:`REACH`.

    Returns
    -------
    dict
        ``{"dy,dx": correlation}`` for the lags of :func:`reach_lags` but (0, 0).
    """
    lags = reach_lags()
    solved = np.linalg.lstsq(_bending(), np.array([products[lag] for lag in lags]), rcond=None)[0]
    if solved[0] <= 0:
        return {f"{dy},{dx}": 0.0 for dy, dx in lags[1:]}
    return {f"{dy},{dx}": float(v / solved[0]) for (dy, dx), v in zip(lags[1:], solved[1:], strict=True)}


def _fit_residuals(planes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """``(residuals, neighbours, alive)`` of the 8 x 8 blocks away from the edge of
    ``(C, H, W)`` planes: each block less its surface fit, flattened (``(C, blocks, 64)``);
    each plane's fit energy of the 16 blocks around it that share neither its rows nor its
    columns (``(C, blocks)``: how flat it is, judged apart from its own noise and from row or
    column patterns); and whether the block holds noise in the plane (``(C, blocks)``; not
    padding or saturation). None when the planes hold fewer than 5 x 5 blocks."""
    z = np.asarray(planes, np.float64)
    ny, nx = z.shape[1] // BLOCK, z.shape[2] // BLOCK
    if ny < 5 or nx < 5:
        return None
    blocks = z[:, : ny * BLOCK, : nx * BLOCK].reshape(len(z), ny, BLOCK, nx, BLOCK).swapaxes(2, 3)
    residual = blocks.reshape(len(z), ny, nx, -1) @ _residual_operator().T  # symmetric operator
    e = np.mean(residual**2, axis=-1)
    h, w = ny - 4, nx - 4
    neighbours = sum(e[:, 2 + dy : 2 + dy + h, 2 + dx : 2 + dx + w] for dy, dx in _OFF_AXIS)
    alive = e[:, 2:-2, 2:-2] > 0
    residual = residual[:, 2:-2, 2:-2].reshape(len(z), -1, BLOCK * BLOCK)
    return residual, neighbours.reshape(len(z), -1), alive.reshape(len(z), -1)


def _flattest(residual: np.ndarray, neighbours: np.ndarray, flat: float) -> np.ndarray:
    """The ``flat`` share of the blocks (axis 1) whose neighbours hold the least energy, at
    least 16 but never more than a tenth (a small plane's textured blocks would read as
    correlation)."""
    count = residual.shape[1]
    keep = max(round(flat * count), min(16, -(-count // 10)))
    return residual[:, np.argsort(neighbours, kind="stable")[:keep]]


def _lag_products(fits: tuple, plane: int, flat: float = FLAT) -> tuple[dict, float, int] | None:
    """:func:`plane_correlation` of one plane of :func:`_fit_residuals`' ``fits``: its own
    blocks with noise, judged flat by its own neighbours."""
    residual, neighbours, alive = (a[plane] for a in fits)
    if not alive.any():
        return None
    kept = _flattest(residual[alive][None], neighbours[alive], flat)[0]
    products = {}
    for lag in dict.fromkeys((*LAGS, *reach_lags())):
        i, j = _lag_pairs(*lag)
        products[lag] = float(np.mean(kept[:, i] * kept[:, j]))
    return products, float(np.mean(kept**2)), len(kept)


def _channel_products(fits: tuple, flat: float = FLAT) -> tuple[np.ndarray, int] | None:
    """:func:`channel_products` of :func:`_fit_residuals`' ``fits``: the blocks with noise in
    every channel, judged flat by their neighbours' energy over all channels."""
    residual, neighbours, alive = fits
    both = np.all(alive, axis=0)
    if not both.any():
        return None
    kept = _flattest(residual[:, both], neighbours[:, both].sum(axis=0), flat)
    values = kept.reshape(len(kept), -1)
    return values @ values.T / values.shape[1], kept.shape[1]


def plane_correlation(plane: np.ndarray, flat: float = FLAT) -> tuple[dict, float, int] | None:
    """``(products, variance, blocks)`` of one 2-D plane: per lag (:data:`LAGS` and those
    of :func:`reach_lags`) the mean lag product of the surface-fit residuals of the kept
    (flattest) blocks, their mean square, and how many blocks were kept. None when the
    plane holds fewer than 5 x 5 blocks."""
    fits = _fit_residuals(np.asarray(plane)[None])
    return None if fits is None else _lag_products(fits, 0, flat)


def channel_products(image: np.ndarray, flat: float = FLAT) -> tuple[np.ndarray, int] | None:
    """``(products, blocks)`` of one ``(C, H, W)`` image: the C x C mean products of the
    channels' surface-fit residuals in the same kept blocks (the flattest by their
    neighbours' energy over all channels), and how many blocks were kept. The fit bends every
    channel alike, so their ratios read the noise's correlation between channels unbent where
    its spatial correlation is the same in each. None for one channel, planes other than
    2-D, or fewer than 5 x 5 blocks."""
    image = np.asarray(image, np.float64)
    if image.ndim != 3 or image.shape[0] < 2:
        return None
    fits = _fit_residuals(image)
    return None if fits is None else _channel_products(fits, flat)


def _window_products(window: np.ndarray) -> tuple[list, tuple | None]:
    """Each 2-D plane's :func:`plane_correlation` and, for a ``(C, H, W)`` window of several
    channels, :func:`channel_products`: there from one surface fit of the channels' blocks,
    elsewhere plane by plane (a stack's planes fitted at once would hold all their residuals)."""
    planes = np.asarray(window, np.float64).reshape(-1, *window.shape[-2:])
    if window.ndim != 3 or len(window) < 2:
        return [plane_correlation(plane) for plane in planes], None
    fits = _fit_residuals(planes)
    if fits is None:
        return [None] * len(planes), None
    return [_lag_products(fits, p) for p in range(len(planes))], _channel_products(fits)


# Mean step across the 8-pixel grid over the mean step elsewhere above which images read as
# JPEG-compressed (docs/notes/benchmarks.md, "The real-sim suite": the phone kind at q90 read
# 1.08-1.21, the camera, microscope and sensor kinds and noisy BSD68 0.98-1.04).
JPEG_GRID = 1.06


def jpeg_grid(plane: np.ndarray) -> float | None:
    """How much larger the steps between pixels are across JPEG's 8 x 8 block boundaries than
    elsewhere, in one 2-D plane (about 1 for an image never saved as JPEG; None: too small).
    JPEG quantises each block on its own: smooth areas lose their noise inside a block but not
    across its edges."""
    z = np.asarray(plane, np.float64)
    if min(z.shape) < 4 * BLOCK:
        return None
    ratios = []
    for axis in (0, 1):
        step = np.abs(np.diff(z, axis=axis)).mean(axis=1 - axis)
        edge = np.arange(step.size) % BLOCK == BLOCK - 1
        inside = step[~edge].mean()
        if inside <= 0:
            return None
        ratios.append(step[edge].mean() / inside)
    return float(np.mean(ratios))


def noise_correlation(images) -> dict:
    """The noise's spatial autocorrelation at short lags, from noisy images alone.

    Parameters
    ----------
    images : list of array-like
        ``(C, *spatial)`` images (NumPy arrays or lazy views); every 2-D plane of every
        channel of a bounded sample (:func:`noise2info.noise_level.spread`) is measured.

    Returns
    -------
    dict
        ``lags``: ``{"dy,dx": correlation}`` for the lags in :data:`LAGS` (about 0 for white
        noise; 1 means neighbours carry the same noise, negative values come from sharpening);
        ``max``: the one of largest magnitude, with its sign; ``correlated``: whether its
        magnitude reaches :data:`CORRELATED`; ``blocks``: how many
        blocks the estimate rests on. Correlations are None without a block to measure.
        ``jpeg``: whether the images read as JPEG-compressed (:func:`jpeg_grid`, the median
        over planes at least :data:`JPEG_GRID`): their noise then differs from block to
        block (JPEG removes it where the image is smooth). ``covariance``: the correlation
        at every lag out to :data:`REACH`, the fit's bending solved for
        (:func:`unbent_correlation`; None without a block): what the check's probe carries.
        ``lags`` stay as read (the decisions and the std's correction were measured on them).
        ``channels``: the C x C correlation of the noise between channels (:func:`channel_products`;
        None for one channel): the probe carries it where one network sees all channels.
    """
    sums = {lag: 0.0 for lag in dict.fromkeys((*LAGS, *reach_lags()))}
    count = 0
    grids = []
    pairs = []  # each window's channel products, pooled at the end
    for i in spread(images):
        window = centre(images[i])
        planes, pair = _window_products(window)
        pairs.append(pair)
        for plane, found in zip(window.reshape(-1, *window.shape[-2:]), planes, strict=True):
            grid = jpeg_grid(plane)
            if grid is not None:
                grids.append(grid)
            if found is None:
                continue
            products, var, n = found
            # Each plane weighted by its blocks, in units of its own noise variance, so a
            # bright image does not outweigh a dark one.
            if var > 0:
                for lag in sums:
                    sums[lag] += n * products[lag] / var
                count += n
    jpeg = bool(grids) and float(np.median(grids)) >= JPEG_GRID
    if count == 0:
        lags = {f"{dy},{dx}": None for dy, dx in LAGS}
        return {
            "lags": lags,
            "max": None,
            "correlated": False,
            "blocks": 0,
            "jpeg": jpeg,
            "covariance": None,
            "channels": None,
        }
    white = _white_expectation()
    lags = {lag: sums[lag] / count - white[lag] for lag in LAGS}
    covariance = unbent_correlation({lag: sums[lag] / count for lag in sums})
    top = max(lags.values(), key=abs)
    return {
        "lags": {f"{dy},{dx}": round(v, 4) for (dy, dx), v in lags.items()},
        "max": round(top, 4),
        "correlated": bool(abs(top) >= CORRELATED),
        "blocks": count,
        "jpeg": jpeg,
        "covariance": {k: round(v, 4) for k, v in covariance.items()},
        "channels": _pooled_channels(pairs),
    }


def _pooled_channels(pairs) -> list | None:
    """The C x C correlation between channels from windows' :func:`channel_products` (None
    entries skipped), each weighted by its blocks; None without any."""
    between, weight = 0.0, 0
    for pair in pairs:
        if pair is not None and np.all(np.diag(pair[0]) > 0):
            d = np.sqrt(np.diag(pair[0]))
            between, weight = between + pair[1] * pair[0] / np.outer(d, d), weight + pair[1]
    return np.round(between / weight, 4).tolist() if weight else None


def channel_correlation(images) -> list | None:
    """The noise's C x C correlation between channels alone, as :func:`noise_correlation`
    reports it (``channels``), without the lags: where the channels were read apart."""
    return _pooled_channels(channel_products(centre(images[i])) for i in spread(images))


def channel_correlations(images) -> list[dict] | None:
    """Each channel's own noise correlation: :func:`noise_correlation` of that channel's planes
    alone (None for one-channel images), read once for ``lags`` and ``covariance``.

    Demosaicing leaves green, sampled twice as densely as red and blue, with more of its noise
    at the finest scale: on the test bed's camera kind the diagonal Haar detail keeps 0.26 of
    green's noise variance and 0.09 / 0.10 of red's and blue's, so one correction pooled over
    the channels (0.15) reads green high and red and blue low
    (docs/notes/benchmarks.md, "Each channel's own correlation")."""
    chosen = spread(images)
    if not chosen or images[chosen[0]].shape[0] < 2:
        return None
    windows = [centre(images[i]) for i in chosen]
    return [noise_correlation([w[c : c + 1] for w in windows]) for c in range(windows[0].shape[0])]


def channel_scales(lags: dict | None, by_channel: list | None, channels: int) -> list[float]:
    """:func:`difference_scale` of each of ``channels`` channels: from the channel's own lags
    (``by_channel``: :func:`channel_correlations`' ``lags``) where they were read for that many
    channels, else the pooled ``lags`` (a grey plane of a run that trained on the channels apart,
    or a channel without a measurable block)."""
    pooled = difference_scale(lags)
    if not by_channel or len(by_channel) != channels:
        return [pooled] * channels
    return [difference_scale(own) if _read(own) else pooled for own in by_channel]


def _read(lags: dict | None) -> bool:
    """Whether ``lags`` hold the nearest lags :func:`haar_share` needs."""
    return bool(lags) and all(lags.get(k) is not None for k in ("0,1", "1,0", "1,1", "1,-1"))


def haar_share(lags: dict | None) -> float:
    """The share of the noise variance that the diagonal Haar detail keeps, which the
    pixel-difference estimators read (:func:`noise2info.noise_level.direct_noise_std`): 1 for
    independent noise, ``1 - r(0,1) - r(1,0) + (r(1,1) + r(1,-1)) / 2`` for correlation r
    between neighbours (``lags`` as :func:`noise_correlation` reports them, keys ``"dy,dx"``).
    Demosaiced camera noise keeps about a seventh. Never below 0.05 (a reading no real noise
    gives: the correction stays finite)."""
    if not _read(lags):
        return 1.0
    share = 1 - lags["0,1"] - lags["1,0"] + (lags["1,1"] + lags["1,-1"]) / 2
    return float(min(max(share, 0.05), 1.0))


def difference_scale(lags: dict | None) -> float:
    """What a pixel-difference noise reading is multiplied by to give the noise std:
    ``1 / sqrt(haar_share(lags))`` (1 for independent noise)."""
    return 1 / math.sqrt(haar_share(lags))


# The second scale's diagonal detail: (A - B - C + D) / 2 of the 2 x 2 means A, B / C, D of a
# 4 x 4 patch, as weights on its pixels. White noise keeps a quarter of its variance there.
_COARSE = np.kron(np.array([[1.0, -1.0], [-1.0, 1.0]]), np.ones((2, 2))) / 8


def coarse_share(covariance: dict | None) -> float:
    """The share of the noise variance that the diagonal Haar detail of the 2 x 2 means keeps,
    over what independent noise keeps there (a quarter): the correction of the second scale's
    reading (:func:`noise2info.noise_level.direct_noise_std`'s ``coarse_channels``), from the
    noise's correlation out to :data:`REACH` pixels (``covariance`` as
    :func:`noise_correlation` reports it, keys ``"dy,dx"``); 1 without one. The pixel pairs
    of a 4 x 4 patch lie at most 3 pixels apart, all within reach. Demosaiced camera noise
    keeps 1.1-1.6 of the white share there, against a seventh at the finest scale. Never
    below 0.05."""
    if not covariance:
        return 1.0
    y, x = np.indices(_COARSE.shape)
    w, y, x = _COARSE.ravel(), y.ravel(), x.ravel()
    rho = np.eye(w.size)
    for a in range(w.size):
        for b in range(a + 1, w.size):  # raster order: (dy, dx) is the key's half of each pair
            rho[a, b] = rho[b, a] = covariance.get(f"{y[b] - y[a]},{x[b] - x[a]}") or 0.0
    return float(max(w @ rho @ w / np.sum(w**2), 0.05))


def coarse_scales(covariance: dict | None, by_channel: list | None, channels: int) -> list[float]:
    """What each of ``channels`` channels' second-scale reading is multiplied by:
    ``1 / sqrt(coarse_share)`` of the channel's own ``covariance`` where read for that many
    channels (``by_channel``), else of the pooled one (as :func:`channel_scales`)."""
    pooled = 1 / math.sqrt(coarse_share(covariance))
    if not by_channel or len(by_channel) != channels:
        return [pooled] * channels
    return [1 / math.sqrt(coarse_share(own)) if own else pooled for own in by_channel]


PROBE_SIDE = 32  # FFT grid on which the probe's filter is factorised


def probe_filter(lags: dict | None) -> np.ndarray | None:
    """A small filter h whose output on white noise has the measured correlation between
    neighbours (``lags`` or ``covariance`` as :func:`noise_correlation` reports them, keys
    ``"dy,dx"`` out to :data:`REACH` pixels) and unit variance: the square root of the
    correlation's spectrum, clipped at 0 where the reading is not a possible spectrum. None
    for independent noise (``lags`` None).

    A Monte-Carlo divergence read with a probe b of the noise's correlation C gives tr(J C)
    (E b^T J b), which is what Stein's risk estimate needs for correlated Gaussian noise
    (mean (f - X)^2 - sigma^2 + 2 sigma^2 tr(J C) / n)."""
    if not lags:
        return None
    kernel = np.zeros((PROBE_SIDE, PROBE_SIDE))
    kernel[0, 0] = 1.0
    for key, value in lags.items():
        if value is None:
            continue
        dy, dx = (int(v) for v in key.split(","))
        kernel[dy % PROBE_SIDE, dx % PROBE_SIDE] = kernel[-dy % PROBE_SIDE, -dx % PROBE_SIDE] = value
    spectrum = np.clip(np.fft.fft2(kernel).real, 0.0, None)
    h = np.fft.fftshift(np.fft.ifft2(np.sqrt(spectrum)).real)
    c = PROBE_SIDE // 2
    h = h[c - 4 : c + 5, c - 4 : c + 5]  # 9 x 9 holds it: the correlation reaches REACH pixels
    return h / np.sqrt(np.sum(h**2))


def channel_root(channels) -> np.ndarray | None:
    """The symmetric square root of the C x C correlation between channels (clipped to a
    covariance), each row scaled to unit norm so each channel keeps unit variance: what mixes
    independent channels into channels with that correlation. None for None."""
    if channels is None:
        return None
    values, vectors = np.linalg.eigh(np.asarray(channels, np.float64))
    root = vectors @ np.diag(np.sqrt(np.clip(values, 0.0, None))) @ vectors.T
    return root / np.sqrt(np.sum(root**2, axis=1, keepdims=True))


@dataclass(frozen=True)
class NoiseProbe:
    """A probe with the noise's correlation, built once for many draws: each 2-D plane filtered
    by :func:`probe_filter` (``spatial``; None for independent noise), then the channels mixed
    by :func:`channel_root` (``mixing``; None: channels apart)."""

    spatial: np.ndarray | None
    mixing: np.ndarray | None

    @classmethod
    def of(cls, lags: dict | None, channels=None) -> NoiseProbe:
        """From ``lags`` (or ``covariance``) and ``channels`` as :func:`noise_correlation`
        reports them."""
        return cls(probe_filter(lags), channel_root(channels))

    def __call__(self, white: np.ndarray) -> np.ndarray:
        """``white`` (``(C, *spatial)`` unit-variance noise) given the noise's correlation;
        returned as is for independent noise."""
        out = white
        if self.spatial is not None:
            out = np.empty_like(white)
            flat_in, flat_out = white.reshape(-1, *white.shape[-2:]), out.reshape(-1, *white.shape[-2:])
            for src, dst in zip(flat_in, flat_out, strict=True):
                dst[...] = convolve(src, self.spatial, mode="wrap")
        if self.mixing is not None:
            if len(self.mixing) != white.shape[0]:
                channels = len(self.mixing)
                raise ValueError(f"a {channels}-channel correlation for a {white.shape[0]}-channel probe")
            out = np.tensordot(self.mixing, out, axes=1).astype(white.dtype)
        return out


def correlated_probe(white: np.ndarray, lags: dict | None, channels=None) -> np.ndarray:
    """``white`` (``(C, *spatial)`` unit-variance noise) filtered in each 2-D plane by
    :func:`probe_filter` and, with ``channels`` (the C x C correlation between channels,
    :func:`noise_correlation`'s ``channels``), mixed across channels by its square root: a
    probe with the noise's correlation (:class:`NoiseProbe`). Returned as is for independent
    noise."""
    return NoiseProbe.of(lags, channels)(white)
