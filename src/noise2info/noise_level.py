"""The noise level function from the noisy images alone, no network: noise std against
intensity and the Poisson-Gaussian fit variance = a * intensity + b^2.

Each 2x2 block gives a level (its mean, smoothed over 3x3 blocks), a diagonal Haar detail
(z00 - z01 - z10 + z11) / 2, whose variance is the noise variance for pixel-independent noise
and which cancels any plane of signal, and an edge energy (the two other Haar details). In
each intensity bin the flatter half of the blocks (lowest edge energy) keeps the details
least touched by signal; their mean square is that bin's noise variance. The rms, not a
median: within one bin the variance still varies, and a median of a scale mixture reads low.
Measured against the network's readout in docs/notes/benchmarks.md ("Noise level function").

References
----------
Foi, Trimeche, Katkovnik, Egiazarian, "Practical Poissonian-Gaussian noise modeling and
fitting for single-image raw-data", IEEE TIP 2008 (the same idea: wavelet details over
level sets of smooth blocks).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.ndimage import uniform_filter

from .readout import fit_line

# The share of sigma_loss a run reports as the noise std of JPEG'd correlated noise. The bound
# sat 12 % above the true std on polyu-dev (800 steps) and 30 % above on the phone-jpeg test bed
# (400 steps); 0.8 of it reads -10 % and +4 % (docs/notes/benchmarks.md, "Real camera photos").
# For other correlated noise it is one factor of the geometric mean :func:`run_noise_std` takes
# ("A test bed with the detail of real photos").
BOUND_SHARE = 0.8


def run_noise_std(
    direct: float | None, readout: float | None, sigma_loss: float | None, corrected: bool, scaled: bool
) -> tuple[float | None, str]:
    """A run's noise std, and the rule that gave it.

    Parameters
    ----------
    direct : float or None
        The training images' own reading (:func:`direct_noise_std`), with the run's
        correction for correlated noise applied.
    readout : float or None
        The trained network's noise readout (:mod:`noise2info.readout`).
    sigma_loss : float or None
        Noise2Info's bound (None for methods without one).
    corrected : bool
        Whether the reading was corrected for correlated noise (``plan.noise_lags``).
    scaled : bool
        Whether it was scaled up to sigma_loss (``plan.noise_scale`` above 1: JPEG'd noise).

    Returns
    -------
    sigma : float or None
    rule : str
        ``"images"`` (the reading; within 3 % on independent noise), ``"readout"`` (images
        too small to read), ``"bound"`` (:data:`BOUND_SHARE` of sigma_loss: JPEG'd noise) or
        ``"mean"``: the geometric mean of the reading and that share. For correlated noise the
        images' reading looks where in-camera noise reduction left the noise weakest (low) and
        the bound carries the network's own error (high, the more so the shorter the training).
    """
    if sigma_loss is not None and scaled:
        return BOUND_SHARE * sigma_loss, "bound"
    if direct is None:
        return readout, "readout"
    if sigma_loss is not None and corrected:
        return math.sqrt(direct * BOUND_SHARE * sigma_loss), "mean"
    return direct, "images"


def plan_noise_std(reading: float | None, readout, sigma_loss, plan, coarse=None) -> tuple[float | None, str]:
    """:func:`run_noise_std` of the images' pooled ``reading`` as it comes from
    :func:`direct_noise_std`: corrected first as the run's ``plan`` says (``noise_lags``,
    ``noise_scale``) and, where it carries ``noise_covariance``, combined with the second
    scale's pooled reading (``coarse``), as each image's reading is at prediction
    (:func:`image_noise_std`)."""
    from .correlation import coarse_share, difference_scale  # correlation reads blocks with this module

    if reading is not None:
        reading *= difference_scale(plan.noise_lags) * (plan.noise_scale or 1.0)
        if coarse and plan.noise_covariance is not None:
            reading = math.sqrt(reading * coarse / math.sqrt(coarse_share(plan.noise_covariance)))
    scaled = (plan.noise_scale or 1.0) > 1.0
    return run_noise_std(reading, readout, sigma_loss, plan.noise_lags is not None, scaled)


def _haar(image: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per 2x2 block of a 2-D image: its mean, its diagonal detail (z00 - z01 - z10 + z11) / 2
    and the energy of its two other details (the block's edges)."""
    z = np.asarray(image, np.float64)
    z = z[: z.shape[0] // 2 * 2, : z.shape[1] // 2 * 2]
    a, b, c, d = z[0::2, 0::2], z[0::2, 1::2], z[1::2, 0::2], z[1::2, 1::2]
    return (a + b + c + d) / 4, (a - b - c + d) / 2, ((a + b - c - d) / 2) ** 2 + ((a - b + c - d) / 2) ** 2


def _blocks(image: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Level, diagonal detail and edge energy of each 2x2 block, level and edges smoothed
    over 3x3 blocks."""
    mean, detail, edge = _haar(image)
    return uniform_filter(mean, 3).ravel(), detail.ravel(), uniform_filter(edge, 3).ravel()


def _planes_of(images) -> list[np.ndarray]:
    """The 2-D planes (at least 8 x 8) of one-channel images, in float64."""
    planes = []
    for im in images:
        arr = np.asarray(im)
        if arr.ndim > 2 and arr.shape[0] != 1:
            raise ValueError(f"one-channel images only; got shape {arr.shape}")
        arr = arr.reshape(-1, *arr.shape[-2:])
        planes += [p for p in arr if min(p.shape) >= 8]
    return planes


def spread(images, budget: int = 2**24) -> list[int]:
    """Indices of evenly spaced images whose :func:`centre` windows hold about ``budget``
    pixels in all (every image when they fit), so an estimate over tens of thousands of
    files reads a bounded sample."""
    sizes = [int(np.prod([min(n, 1024) for n in im.shape[-2:]])) * _planes(im) for im in images]
    if sum(sizes) <= budget:
        return list(range(len(images)))
    keep = max(1, round(len(images) * budget / sum(sizes)))
    return evenly_spaced(len(images), keep)


def evenly_spaced(n: int, count: int) -> list[int]:
    """Up to ``count`` indices of ``range(n)``, evenly spaced, first and last included."""
    return sorted({int(i) for i in np.linspace(0, n - 1, min(count, n)).round()})


def _planes(image, planes: int = 16) -> int:
    return int(np.prod([min(n, planes) for n in image.shape[1:-2]]))


def centre(image, side: int = 1024, planes: int = 16) -> np.ndarray:
    """A centre window of a ``(C, *spatial)`` image, lazy or not (at most side^2 pixels a
    plane, ``planes`` planes), read as float64."""
    key = [slice(None)]
    for i, n in enumerate(image.shape[1:]):
        keep = side if i >= image.ndim - 3 else planes
        start = max(0, (n - keep) // 2)
        key.append(slice(start, start + min(n, keep)))
    return np.asarray(image[tuple(key)], np.float64)


def _without_centre(x: np.ndarray) -> np.ndarray:
    """Sum over each element's 3x3 neighbours, itself left out."""
    return uniform_filter(x, 3, mode="mirror") * 9 - x


def plane_noise_variance(plane: np.ndarray, bins: int = 8, flat: float = 0.1) -> tuple | None:
    """The noise variance of one 2-D plane, its blocks and the blocks the variance rests on
    (None: too small).

    Blocks are binned by their neighbours' level and, in each bin, the ``flat`` fraction
    whose 8 neighbour blocks hold the least detail energy are kept; the variance is the mean
    square diagonal detail of those, averaged over the bins (equal counts). Judging a block
    by its neighbours, not its own pixels, keeps the choice independent of its own noise, so
    heavy- or light-tailed noise is not biased (a block's own edge energy would pick blocks
    with small noise); binning by level keeps signal-dependent noise from being read at the
    dark, quiet end only.
    """
    mean, detail, edge = _haar(plane)
    if min(detail.shape) < 3:
        return None
    energy = _without_centre(edge + detail**2)[1:-1, 1:-1].ravel()
    level = _without_centre(mean)[1:-1, 1:-1].ravel()
    detail = detail[1:-1, 1:-1].ravel()
    bins = max(1, min(bins, detail.size // 200))  # at least ~20 blocks kept a bin
    edges = np.quantile(level, np.linspace(0, 1, bins + 1)[1:-1])
    which = np.searchsorted(edges, level, side="right")
    var, kept = [], 0
    for i in range(bins):
        inside = which == i
        if inside.sum() < 10:
            continue
        e = energy[inside]
        chosen = detail[inside][e <= np.quantile(e, flat)]
        var.append(float(np.mean(chosen**2)))
        kept += chosen.size
    return (float(np.mean(var)), int(detail.size), kept) if var else None


def _coarse_std(planes, std: float) -> float | None:
    """A channel's normalised noise std read as :func:`plane_noise_variance` reads it, on the
    2 x 2 means of its planes: the second scale, where white noise keeps a quarter of its
    variance (hence the factor 2). Correlated noise keeps more of its variance there than at
    the finest scale (demosaiced camera noise about 1.3 of the white share, against a seventh),
    and its correction (:func:`noise2info.correlation.coarse_share`) reads it closer; more of
    the signal too. None where no plane is large enough."""
    found = [f for f in (plane_noise_variance(_haar(p)[0]) for p in planes) if f is not None]
    if not found or std <= 0:
        return None
    return float(2 * np.sqrt(np.average([f[0] for f in found], weights=[f[1] for f in found])) / std)


def direct_noise_std(images, stds=None) -> dict:
    """The noise std of pixel-independent noise from the noisy images alone, no network.

    Parameters
    ----------
    images : list of array-like
        ``(C, *spatial)`` images (NumPy arrays or lazy views); every 2-D plane of every
        channel is measured (:func:`plane_noise_variance`), on at most about 16 Mpx in all
        (:func:`spread`, :func:`centre`).
    stds : list of array-like, optional
        Each image's per-channel std (:func:`noise2info.data.channel_stats`); computed from
        the windows read when not given.

    Returns
    -------
    dict
        ``sigma``: in normalised units (each image and channel divided by its std), pooled
        over pixels as an rms, like the paper's sigma_n (None without a plane of 8 x 8 or
        more); ``coarse``: the same at the second scale (:func:`_coarse_std`); ``per_image``:
        each image read, its normalised and intensity-unit std (None where it could not be
        measured), each channel's normalised std (``sigma_channels``),
        std of intensity (``std_channels``) and the blocks its variance rests on
        (``kept_channels``, 0 where none; :func:`shrink_noise_variance`), and each channel's
        normalised std read the same way at the second scale (``coarse_channels``,
        :func:`_coarse_std`; for correlated noise);
        ``images_read``: how many images were read.
    """
    per_image, num, den = [], 0.0, 0
    coarse_num, coarse_den = 0.0, 0
    chosen = spread(images)
    for i in chosen:
        window = centre(images[i])
        flat = window.reshape(window.shape[0], -1)
        std = np.asarray(stds[i], np.float64).ravel() if stds is not None else flat.std(axis=1)
        var, count = [], []  # normalised, per channel with a measurable plane
        channels = []  # each channel's normalised std, None where it has no measurable plane
        coarse = []  # the same at the second scale
        kept = []
        for c in range(window.shape[0]):
            planes = window[c].reshape(-1, *window.shape[-2:])
            found = [f for f in map(plane_noise_variance, planes) if f is not None]
            own = None
            if found and std[c] > 0:
                n = [f[1] for f in found]
                var.append(np.average([f[0] for f in found], weights=n) / std[c] ** 2)
                count.append(sum(n))
                own = float(np.sqrt(var[-1]))
            channels.append(own)
            coarse.append(_coarse_std(planes, std[c]))
            if own is not None and coarse[-1] is not None:  # pooled with the finest scale's weights
                coarse_num, coarse_den = coarse_num + coarse[-1] ** 2 * count[-1], coarse_den + count[-1]
            kept.append(sum(f[2] for f in found))
        sigma = float(np.sqrt(np.average(var, weights=count))) if var else None
        scale = float(np.mean(std))  # intensity units: the normalised std times the image's std
        per_image.append(
            {
                "index": i,
                "sigma": sigma,
                "sigma_intensity": None if sigma is None else sigma * scale,
                "sigma_channels": channels,
                "coarse_channels": coarse,
                "std_channels": [float(v) for v in std],
                "kept_channels": kept,
            }
        )
        num += float(np.dot(var, count))
        den += sum(count)
    return {
        "sigma": float(np.sqrt(num / den)) if den else None,
        "coarse": float(np.sqrt(coarse_num / coarse_den)) if coarse_den else None,
        "per_image": per_image,
        "images_read": len(chosen),
    }


# A reading further than this many standard errors from the training images' noise is of
# another noise (another instrument, another scale) and is kept as read.
PRIOR_Z = 3.0


def _log_reading(variance, kept):
    """log of a variance read as the mean square of ``kept`` Gaussian details, unbiased
    (E log(chi2_k / k) = -1/k to first order), and its sampling variance 2 / k: the same
    for any noise level, so readings of different noise compare on one scale."""
    return np.log(variance) + 1.0 / kept, 2.0 / kept


def noise_prior(variance, kept) -> tuple[float, float] | None:
    """The log noise variance pooled over images and its spread between them (the variance
    of the images' true log variances; 0 when all differences are reading error).

    Parameters
    ----------
    variance : array-like
        Each image's noise variance in intensity units (NaN where not measured).
    kept : array-like
        The blocks each variance rests on (:func:`plane_noise_variance`).

    Returns
    -------
    (log_variance, spread) or None
        None when no image was measured.

    Notes
    -----
    The spread is the blocks-weighted variance of the log readings less their weighted
    sampling variance, 2 / kept each (method of moments, kept >= 0).
    """
    v, k = np.asarray(variance, np.float64), np.asarray(kept, np.float64)
    ok = np.isfinite(v) & (v > 0) & (k > 0)
    if not ok.any():
        return None
    logs, errors = _log_reading(v[ok], k[ok])
    w = k[ok]
    pooled = float(np.average(logs, weights=w))
    spread = np.average((logs - pooled) ** 2, weights=w) - np.average(errors, weights=w)
    return pooled, float(max(0.0, spread))


def shrink_noise_variance(variance: float, kept: int, prior: tuple[float, float] | None) -> float:
    """One image's noise variance read against the images' ``prior`` (:func:`noise_prior`):
    pulled toward the pooled variance by how little its own reading can be trusted.

    A small image's reading is noisy (64 x 64 pixels: about 7 % in std), and the posterior
    step is sensitive to it where the network is already close (docs/notes/benchmarks.md,
    "Posterior step or SURE stage"); the pooled variance of many images is not.

    Parameters
    ----------
    variance : float
        The image's own reading, intensity units.
    kept : int
        The blocks it rests on.
    prior : (log_variance, spread) or None
        None: the reading is returned as it is.

    Returns
    -------
    float
        ``exp(m + spread / (spread + e^2) (log variance - m))``, with m the pooled log
        variance and e^2 = 2 / kept the log reading's sampling variance (the posterior mean
        of the image's log variance, empirical Bayes); the reading itself when it is more
        than PRIOR_Z standard deviations from the pooled one (another noise than the
        training images').

    References
    ----------
    Efron, Morris, "Stein's estimation rule and its competitors: an empirical Bayes
    approach", JASA 1973.
    """
    if prior is None or not np.isfinite(variance) or variance <= 0 or kept <= 0:
        return float(variance)
    pooled, spread = prior
    log, error = _log_reading(variance, kept)
    if abs(log - pooled) > PRIOR_Z * np.sqrt(spread + error):
        return float(variance)
    return float(np.exp(pooled + spread / (spread + error) * (log - pooled)))


def _variance(entry: dict, channel: int) -> float:
    """A :func:`direct_noise_std` entry's noise variance of one channel in intensity units."""
    s = entry["sigma_channels"][channel]
    return np.nan if s is None else (s * entry["std_channels"][channel]) ** 2


def noise_priors(found: dict) -> list[tuple[float, float] | None]:
    """Each channel's :func:`noise_prior` over the images of a :func:`direct_noise_std` result."""
    entries = found["per_image"]
    channels = len(entries[0]["sigma_channels"]) if entries else 0
    return [
        noise_prior([_variance(e, c) for e in entries], [e["kept_channels"][c] for e in entries])
        for c in range(channels)
    ]


def image_noise_stds(found: dict, priors=None) -> list[list[float | None]]:
    """Each image's per-channel noise std in normalised units from a :func:`direct_noise_std`
    result, each reading shrunk toward its channel's prior (:func:`shrink_noise_variance`;
    ``priors``: default :func:`noise_priors` of the images read themselves; a channel's None:
    as read)."""
    priors = noise_priors(found) if priors is None else priors
    out = []
    for e in found["per_image"]:
        stds = []
        for c, scale in enumerate(e["std_channels"]):
            v = _variance(e, c)
            if not np.isfinite(v) or scale <= 0:
                stds.append(None)
                continue
            prior = priors[c] if c < len(priors) else None
            stds.append(float(np.sqrt(shrink_noise_variance(v, e["kept_channels"][c], prior))) / scale)
        out.append(stds)
    return out


def image_noise_std(
    reading: dict | None,
    std,
    priors=None,
    lags=None,
    scale=None,
    lags_by_channel=None,
    covariance=None,
    covariance_by_channel=None,
) -> list[float] | None:
    """One image's noise std per channel in normalised units, as prediction uses it: the
    posterior step, the check, and the refinement's estimate of them during training.

    Parameters
    ----------
    reading : dict or None
        The image's entry of :func:`direct_noise_std` (``per_image``), or None for an image
        not read.
    std : array-like
        The image's per-channel std (normalised units are intensity over it).
    priors : list, optional
        The training images' noise per channel (:func:`noise_priors`; a run's
        ``plan.noise_prior``): the image's own reading is shrunk toward it
        (:func:`shrink_noise_variance`), and it stands in for a channel not read.
    lags : dict, optional
        The noise's measured correlation (``plan.noise_lags``): pixel differences read
        correlated noise low, by the share :func:`noise2info.correlation.haar_share` says.
    scale : float, optional
        A run's ``plan.noise_scale``: the reading times it (JPEG'd correlated noise).
    lags_by_channel : list of dict, optional
        Each channel's own correlation (``plan.noise_lags_by_channel``): a channel is corrected
        by its own share where it was read (:func:`noise2info.correlation.channel_scales`).
    covariance, covariance_by_channel : dict, list of dict, optional
        The noise's correlation out to 3 pixels, pooled and each channel's own
        (``plan.noise_covariance``, ``plan.noise_covariance_by_channel``): with them a channel's
        std is the geometric mean of its finest-scale reading and its second-scale one
        (``coarse_channels``), each corrected for the correlation. The finest scale keeps a
        tenth of camera noise and its correction reads smooth images 25-30 % low; the second
        keeps more of the noise and of the signal, and reads textured images 5-15 % high. On the
        test bed's camera kinds 69 of 105 channels read within 15 % against 39 at the finest
        scale alone (docs/notes/benchmarks.md, "The noise std at two scales").

    Returns
    -------
    list of float or None
        None where neither the image nor the priors give a noise level.
    """
    from .correlation import channel_scales, coarse_scales  # correlation reads blocks with this module

    std = np.ravel(np.asarray(std, np.float64))
    priors = list(priors) if priors else [None] * len(std)
    if len(priors) == 1 and len(std) > 1:  # a run that trained on the channels apart: one prior
        priors = priors * len(std)
    own = image_noise_stds({"per_image": [reading]}, priors)[0] if reading is not None else [None] * len(std)
    pooled = reading["sigma"] if reading is not None else None
    out = []
    for c, value in enumerate(own):
        if value is None and c < len(priors) and priors[c] is not None and std[c] > 0:
            value = math.exp(priors[c][0] / 2) / std[c]  # not read: the training images' level
        value = pooled if value is None else value
        if value is None:
            return None
        out.append(value)
    factors = channel_scales(lags, lags_by_channel, len(out))
    out = [f * (scale or 1.0) * v for f, v in zip(factors, out, strict=True)]
    if covariance is None or reading is None or "coarse_channels" not in reading:
        return out
    factors = coarse_scales(covariance, covariance_by_channel, len(out))
    coarse = reading["coarse_channels"]
    return [
        v if c >= len(coarse) or coarse[c] is None else math.sqrt(v * f * coarse[c])
        for c, (f, v) in enumerate(zip(factors, out, strict=True))
    ]


def plan_image_noise_std(reading: dict | None, std, plan) -> list[float] | None:
    """:func:`image_noise_std` read as a run's ``plan`` says (its ``noise_prior``,
    ``noise_lags``, ``noise_scale``, ``noise_covariance`` and their values by channel): what the
    trainer, denoise, estimate-sigma and export weigh each image with. JPEG'd noise is scaled
    to the bound instead (``noise_scale``) and carries no covariance for this: its noise is
    gone where the image is smooth, at either scale."""
    return image_noise_std(
        reading,
        std,
        plan.noise_prior,
        plan.noise_lags,
        plan.noise_scale,
        plan.noise_lags_by_channel,
        plan.noise_covariance,
        plan.noise_covariance_by_channel,
    )


def direct_noise_level_function(images, bins: int = 16, flat: float = 0.5) -> dict:
    """Noise std per intensity bin and the fitted Poisson-Gaussian gain and offset.

    Parameters
    ----------
    images : list of array-like
        One-channel images in their own intensity units: 2-D arrays, or ``(1, H, W)`` /
        ``(1, Z, Y, X)`` (each plane of a volume counts as an image).
    bins : int
        Intensity bins of equal block counts.
    flat : float
        Fraction of each bin's blocks kept, the flattest (0 < flat <= 1).

    Returns
    -------
    dict
        ``intensity`` and ``sigma`` per bin, ``a`` and ``b`` of variance = a * intensity + b^2
        (weighted least squares, a and b^2 kept >= 0; None with fewer than two bins).

    Raises
    ------
    ValueError
        No image, images with more than one channel, or a bad ``bins`` / ``flat``.
    """
    if not 0 < flat <= 1 or bins < 1:
        raise ValueError(f"need bins >= 1 and 0 < flat <= 1, got bins={bins}, flat={flat}")
    planes = _planes_of(images)
    if not planes:
        raise ValueError("no image of at least 8 x 8 pixels")
    level, detail, edge = (np.concatenate(v) for v in zip(*(_blocks(p) for p in planes), strict=True))
    bins = max(1, min(bins, level.size // 100))  # at least ~100 blocks a bin
    edges = np.quantile(level, np.linspace(0, 1, bins + 1))
    intensity, sigma, weight = [], [], []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        inside = (level >= lo) & (level <= hi)
        if inside.sum() < 20:
            continue
        keep = edge[inside] <= np.quantile(edge[inside], flat)
        var = float(np.mean(detail[inside][keep] ** 2))
        if not var > 0:  # no noise measurable here (clipped or constant): no weight to give it
            continue
        intensity.append(float(level[inside][keep].mean()))
        sigma.append(float(np.sqrt(var)))
        weight.append(keep.sum() / var**2)  # a variance's error grows with it
    a, b = fit_line(np.array(intensity), np.array(sigma) ** 2, np.array(weight))
    return {"intensity": intensity, "sigma": sigma, "a": a, "b": b}


def line_fits_each(windows: list[np.ndarray], a: float, b: float, factor: float = 10.0) -> bool:
    """Whether every image's own noise variance (mean square diagonal detail of its flatter
    half of blocks) is within ``factor`` of the line's at its level: one gain and offset
    cannot serve images in different units (8-bit beside [0, 1] floats, say)."""
    for w in windows:
        parts = [_blocks(p) for p in _planes_of([w])]
        if not parts:
            continue
        level, detail, edge = (np.concatenate(v) for v in zip(*parts, strict=True))
        flat = edge <= np.median(edge)
        own, line = np.mean(detail[flat] ** 2), a * np.mean(level[flat]) + b * b
        if not (line / factor <= own <= line * factor):
            return False
    return True
