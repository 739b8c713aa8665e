"""Prediction: per tile read, normalise, pad, predict (with test-time augmentation),
undo normalisation, write (plan -> predict -> stitch). Kept apart from the model: any
``(B, C, *spatial) -> same`` network works.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import torch
from torch import nn

from .config import MaskingConfig, line_directions
from .correlation import correlated_probe, difference_scale
from .data import channel_stats, denormalise, normalise
from .data.patches import dihedral_mean
from .data.shuffle import pd_down, pd_up
from .data.variance import Stabilised, inverse_generalized_anscombe
from .errors import ConfigError, ImageError
from .io import cast_to, check_samples
from .lines import remove_lines
from .masking import Masker
from .models import inference_model, receptive_radius
from .noise_level import direct_noise_std, image_noise_stds
from .objectives.noise2same import reconstruction_and_invariance
from .posterior import posterior_divergence, posterior_mean, posterior_radius
from .readout import PROBE_STEP
from .runtime import flush_denormals
from .safety import expected_gain, risk_sums

# Masks per tile for the error bound: enough for about 4096 masked pixels (inv to a few %),
# at most 16 extra passes.
BOUND_MASKED, BOUND_DRAWS = 4096, 16
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
        # Each tile keeps from where the previous one stopped, so every pixel is predicted
        # once; the last tile, flush with the end, starts early enough for that.
        keep_from = plan[-1][2] if plan else 0
        keep_to = size if i == len(starts) - 1 else s + tile - margin
        plan.append((s, keep_from, keep_to))
    return plan


def _read_padded(image, window: list[tuple[int, int]], pads: list[tuple[int, int]]) -> np.ndarray:
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


@torch.inference_mode()
def _predict(model: nn.Module, x: np.ndarray, tta: bool) -> np.ndarray:
    """The network on one normalised ``(C, *spatial)`` tile; with ``tta`` the mean of the
    8 rotations / flips of the last two axes."""
    device = next(model.parameters()).device

    def run(a: np.ndarray) -> np.ndarray:
        return model(torch.from_numpy(np.ascontiguousarray(a))[None].to(device))[0].float().cpu().numpy()

    return dihedral_mean(run, x) if tta else run(x)


@torch.inference_mode()
def _bound_sums(net: nn.Module, x: np.ndarray, f_x: np.ndarray, keep: tuple, masker: Masker, draws: int):
    """Sums over the kept region of one tile: ``(sum (F(X) - X)^2, pixels, sum over masked
    pixels of (F(X) - F(X_Jc))^2, masked pixels)`` for ``draws`` masks."""
    device = next(net.parameters()).device
    xt = torch.from_numpy(np.ascontiguousarray(x))[None].to(device)
    ft = torch.from_numpy(np.ascontiguousarray(f_x))[None].to(device)
    crop = (slice(None), slice(None), *keep)  # the kept region, batch and channel axes whole
    sq = pixels = inv_sum = masked = 0.0
    for _ in range(draws):
        x_jc, mask = masker(xt)
        # The objective's own L_in and inv on the kept region, back to sums so tiles pool.
        l_in, inv = reconstruction_and_invariance(ft[crop], net(x_jc).float()[crop], xt[crop], mask[crop])
        n_masked = int(mask[crop].sum())
        inv_sum += float(inv) * n_masked
        masked += n_masked
    n = ft[crop].numel()
    sq, pixels = float(l_in) * n, n
    return sq, pixels, inv_sum, masked


def error_bound(l_in: float, inv: float, sigma: float) -> float:
    """Noise2Same's upper bound on the denoiser's own error, no clean image needed:
    mse(F(X), Y) <= L_in + 2 sigma sqrt(inv) - sigma^2, for zero-mean noise of std sigma
    independent from pixel to pixel (method.md, Eq. 1; all in normalised units).

    References
    ----------
    Xie, Wang, Ji, "Noise2Same", NeurIPS 2020, Theorem 2.
    """
    return l_in + 2.0 * sigma * math.sqrt(max(inv, 0.0)) - sigma**2


def expected_gain_db(mse_bound: float, sigma: float) -> float:
    """The PSNR gain that :func:`error_bound` guarantees: 10 log10(sigma^2 / bound), the noisy
    input's mse being sigma^2 (capped at 60 dB where the bound reaches 0)."""
    if mse_bound <= 0:
        return 60.0
    return min(60.0, 10.0 * math.log10(sigma**2 / mse_bound))


def image_sigmas(image, std, priors=None, lags=None) -> list[float] | None:
    """One image's noise std per channel in normalised units, as the posterior step reads it.

    Parameters
    ----------
    image : array-like
        ``(C, *spatial)``, in the units the network sees (stabilised under a VST).
    std : np.ndarray
        Its per-channel std (:func:`noise2info.data.channel_stats`).
    priors : list, optional
        The training images' noise, per channel (``model.noise_prior``): the image's own
        reading is shrunk toward it (:func:`noise2info.noise_level.shrink_noise_variance`).
    lags : dict, optional
        The noise's measured correlation (``model.noise_lags``): pixel differences read
        correlated noise low, by the share :func:`noise2info.correlation.haar_share` says.

    Returns
    -------
    list of float or None
        None where no noise level can be read (an image too small or flat).
    """
    found = direct_noise_std([image], stds=[std])
    if found["sigma"] is None:
        return None
    # Read against the training images' noise: alone, a small image's reading is too noisy
    # for the posterior step (noise_level.shrink_noise_variance).
    own = image_noise_stds(found, priors or [None] * image.shape[0])[0]
    scale = difference_scale(lags)
    return [scale * (found["sigma"] if s is None else s) for s in own]


@flush_denormals()
def denoise(
    model: nn.Module,
    image,
    *,
    tile: int | None = None,
    overlap: int | None = None,
    tta: bool = False,
    out=None,
    name: str = "image",
    return_bound: bool = False,
    return_gain: bool = False,
    sigma: float | None = None,
    seed: int = 0,
    posterior: bool | None = None,
    lines: bool | None = None,
):
    """Denoise one ``(C, *spatial)`` image with a trained network, tile by tile.

    Each tile is read, normalised with the whole image's statistics, padded at the image
    edges to a multiple of 2**depth, predicted, de-normalised and written, so the memory used
    is one tile's (plus ``out``) and a lazy image (:class:`noise2info.io.SampleView`) is
    streamed from and to disk. A network trained on pixel-shuffled sub-images
    (``model.pd_stride`` > 1, for spatially correlated noise) denoises the image's
    sub-images the same way, each as a whole image, and puts them back; that reads the
    whole image into memory.

    Parameters
    ----------
    model : UNet
        A trained network (predicts through an eval-mode copy); its config gives dims and depth. One
        trained with ``vst`` 'gat' carries the gain and offset (``model.vst``): the image is
        transformed before the network and the result mapped back.
    image : array-like
        Shape ``(C, *spatial)``, in the image's own intensity units: a NumPy array or a lazy
        view sliced like one.
    tile : int, optional
        Tile side; rounded up to a multiple of 2**depth. By default large inputs are tiled and
        small ones are not.
    overlap : int, optional
        Margin kept away from tile cuts; default the network's receptive radius (exact:
        the stitched result equals the untiled one).
    tta : bool
        Average the 8 rotations / flips of the last two axes (test-time augmentation).
    out : array-like, optional
        Where to write the result (same shape as ``image``; e.g. a memory-mapped output).
        Integer outputs get rounded, clipped values.
    name : str
        The image's name in error messages.
    return_bound : bool
        Also return what the network is expected to gain on this image, from Noise2Same's
        bound (:func:`error_bound`), with extra masked passes (the training masks, enough
        draws for about 4096 masked pixels a tile). It bounds the network itself, without TTA
        or the posterior step.
    return_gain : bool
        Also return what the network is expected to gain on this image from Stein's unbiased
        risk estimate (:mod:`noise2info.safety`; one more pass with a probe), and the blend
        with the input that would minimise the estimated error. It rates the output as
        written, with the posterior step where it is used, but without TTA.
    sigma : float, optional
        The image's noise std in normalised units for the bound and the posterior step; by
        default measured on the image, channel by channel
        (:func:`noise2info.noise_level.direct_noise_std`), and read against the training
        images' noise where the model carries it (``model.noise_prior``:
        :func:`noise2info.noise_level.shrink_noise_variance`).
    seed : int
        Seed of the bound's masks.
    posterior : bool, optional
        Weigh the network's prediction against each noisy pixel by their variances
        (:func:`noise2info.posterior.posterior_mean`, with the noise std measured on the
        image). By default what the model was trained for (``model.posterior``: the default
        Noise2Info pipeline); an image whose noise cannot be measured is predicted without it.
    lines : bool, optional
        Remove row / column offsets (line noise) from the result
        (:func:`noise2info.lines.remove_lines`), which the network keeps. By default those the
        model was trained to remove (``model.line_noise``, read on the training images);
        True removes both, False none. That reads the whole result into memory; the gain
        rates the output before it.

    Returns
    -------
    np.ndarray or array-like
        ``out`` if given, else the denoised image as float64; same shape and units as
        ``image``.
    bound : dict
        With ``return_bound``: ``sigma``, ``L_in``, ``inv``, ``mse_bound`` (normalised units)
        and ``gain_db``, the PSNR gain over the noisy image that the bound guarantees (the
        true gain is at least about this when the noise is pixel-independent; negative: the
        output may be worse than the input).
    gain : dict
        With ``return_gain`` (after ``bound`` when both): ``sigma`` and
        :func:`noise2info.safety.expected_gain`'s ``gain_db``, ``blend`` and ``blend_gain_db``
        (None without a measurable noise level).
    """
    cfg = model.config
    check_samples([image], cfg.dims, cfg.channels, names=[name])
    options = dict(
        tile=tile, overlap=overlap, tta=tta, name=name, sigma=sigma, seed=seed, posterior=posterior
    )
    rows, columns = line_directions(getattr(model, "line_noise", None) or "none")
    if lines is not None:
        rows = columns = bool(lines)
    target = out
    if rows or columns:  # written once, after the offsets are gone: no second rounding
        out = None
    stride = getattr(model, "pd_stride", None) or 1
    if stride > 1:
        out, bound, gain = _denoise_shuffled(model, image, stride, out, return_bound, return_gain, options)
    else:
        out, bound, gain = _denoise(
            model, image, out=out, return_bound=return_bound, return_gain=return_gain, **options
        )
        gain = _gain_report(*(gain or (None, None))) if return_gain else None
    if rows or columns:
        out = remove_lines(out, rows=rows, columns=columns)
        if target is not None:
            target[...] = cast_to(out, target.dtype)
            out = target
    extra = ([bound] if return_bound else []) + ([gain] if return_gain else [])
    return (out, *extra) if extra else out


def _gain_report(sigma: float | None, sums: np.ndarray | None) -> dict:
    return {"sigma": sigma, **expected_gain(np.zeros(3) if sums is None else sums)}


def _denoise_shuffled(
    model: nn.Module, image, stride: int, out, return_bound: bool, return_gain: bool, options: dict
):
    """:func:`denoise` under pixel-shuffle downsampling (data/shuffle.py): the network saw
    every ``stride``-th pixel's sub-images in training, where correlated noise is nearly
    independent, so each sub-image is denoised as an image of its own and put back."""
    x = np.asarray(image, dtype=np.float64)
    *_, h, w = x.shape
    grow = [(0, 0)] * (x.ndim - 2) + [(0, -h % stride), (0, -w % stride)]
    if h < stride or w < stride:
        raise ImageError(f"{options['name']}: {h} x {w} is smaller than the model's PD stride {stride}")
    x = np.pad(x, grow, mode="reflect") if any(hi for _, hi in grow) else x
    parts, bounds, sums, sigmas = [], [], np.zeros(3), []
    for sub in pd_down(x, stride):
        found, bound, gain = _denoise(
            model, sub, out=None, return_bound=return_bound, return_gain=return_gain, **options
        )
        bounds.append(bound)
        parts.append(found)
        if gain is not None:  # each sub-image's sums in intensity units: they add up
            sums += gain[1]
            sigmas.append(gain[0])
    result = pd_up(np.stack(parts), stride)[..., :h, :w]
    if out is None:
        out = result
    else:
        out[...] = cast_to(result, out.dtype)
    bound = _pooled_bound(bounds) if return_bound else None
    if not return_gain:
        return out, bound, None
    sigma = None if not sigmas or None in sigmas else math.sqrt(np.mean(np.square(sigmas)))
    return out, bound, _gain_report(sigma, sums if sigma is not None else None)


def _pooled_bound(bounds: list[dict]) -> dict:
    """One image's bound from its sub-images' (each the same share of its pixels)."""
    keys = ("sigma", "L_in", "inv", "mse_bound", "gain_db")
    if any(b["mse_bound"] is None for b in bounds):
        return dict.fromkeys(keys)
    sigma = math.sqrt(np.mean([b["sigma"] ** 2 for b in bounds]))
    mse = float(np.mean([b["mse_bound"] for b in bounds]))
    return {
        "sigma": sigma,
        "L_in": float(np.mean([b["L_in"] for b in bounds])),
        "inv": float(np.mean([b["inv"] for b in bounds])),
        "mse_bound": mse,
        "gain_db": round(expected_gain_db(mse, sigma), 2),
    }


def _denoise(
    model: nn.Module,
    image,
    *,
    tile: int | None,
    overlap: int | None,
    tta: bool,
    out,
    name: str,
    return_bound: bool,
    return_gain: bool,
    sigma: float | None,
    seed: int,
    posterior: bool | None,
):
    """:func:`denoise` of one image as the network saw its training images: ``(out, bound,
    gain)``, bound a dict or None, gain None or ``(sigma, risk sums)`` (:func:`_denoise_shuffled`
    pools sub-images' sums; :func:`denoise` makes the report)."""
    cfg = model.config
    net = inference_model(model)  # benchmarks/prediction_speed.py
    m = cfg.multiple
    vst = getattr(model, "vst", None)  # trained on generalized-Anscombe-transformed images
    source = Stabilised(image, *vst) if vst else image
    mean, std = channel_stats(source)
    spatial = tuple(image.shape[1:])
    pads = []
    for s in spatial:
        total = _round_up(s, m) - s
        pads.append((total // 2, total - total // 2))
    padded = [s + lo + hi for s, (lo, hi) in zip(spatial, pads, strict=True)]

    use_posterior = bool(getattr(model, "posterior", False) if posterior is None else posterior)
    sigmas = None  # per channel, normalised units: the posterior step's and the bound's
    if use_posterior or return_bound or return_gain:
        if sigma is not None:
            sigmas = [float(sigma)] * cfg.channels
        else:
            sigmas = image_sigmas(
                source, std, getattr(model, "noise_prior", None), getattr(model, "noise_lags", None)
            )
            if sigmas is not None:
                sigma = float(np.sqrt(np.mean(np.square(sigmas))))
    use_posterior = use_posterior and sigmas is not None

    margin = overlap if overlap is not None else receptive_radius(cfg)
    if use_posterior and overlap is None:  # the step reads a window around each prediction
        margin += posterior_radius()
    margin = _round_up(margin, m)
    if tile is None and math.prod(padded) > AUTO_TILE_LIMIT[cfg.dims]:
        tile = max(AUTO_TILE[cfg.dims], 4 * margin)
    if tile is not None and tile >= max(padded):
        tile = None  # one tile holds the whole image
    if tile is not None:
        tile = _round_up(tile, m)
        if tile <= 2 * margin:
            raise ConfigError(
                f"tile {tile} is too small for this model: tiles keep a margin of {margin} pixels "
                f"on each side; use a tile of at least {2 * margin + 4 * m}"
            )
    if out is None:
        out = np.empty(image.shape, dtype=np.float64)

    if return_bound:
        masker = Masker(MaskingConfig(replacement="donut"), torch.Generator().manual_seed(seed))
        sums = np.zeros(4)
    gain_sums, probes = np.zeros(3), np.random.default_rng(seed)
    lags = getattr(model, "noise_lags", None)
    scale = np.ravel(std)  # normalised -> intensity units, per channel
    plans = [plan_tiles(n, tile or n, margin) for n in padded]
    for pieces in itertools.product(*plans):
        window = [(s, s + min(tile or n, n)) for (s, _, _), n in zip(pieces, padded, strict=True)]
        x = normalise(_read_padded(source, window, pads), mean, std)[0]
        raw = _predict(net, x, tta)
        pred = posterior_mean(x, raw, sigmas) if use_posterior else raw
        # Keep the tile's centre, less the padding: image coordinates [a - lo, b - lo).
        keep, dst = [slice(None)], [slice(None)]
        for (s, a, b), (lo, _), n in zip(pieces, pads, spatial, strict=True):
            a, b = max(a, lo), min(b, lo + n)
            keep.append(slice(a - s, b - s))
            dst.append(slice(a - lo, b - lo))
        rating = (return_bound and sigma is not None) or (return_gain and sigmas is not None)
        plain = _predict(net, x, False) if tta and rating else raw  # the bound and gain rate F less TTA
        if return_bound and sigma is not None:
            per_draw = masker.config.percent / 100 * math.prod(x.shape)
            draws = min(BOUND_DRAWS, max(1, math.ceil(BOUND_MASKED / per_draw)))
            sums += _bound_sums(net, x, plain, tuple(keep[1:]), masker, draws)
        if return_gain and sigmas is not None:  # the output as written, less TTA
            # With the noise's correlation the divergence reads tr(J C), as the risk needs.
            probe = correlated_probe(probes.standard_normal(x.shape), lags).astype(np.float32)
            j = probe * (_predict(net, x + PROBE_STEP * probe, False) - plain) / PROBE_STEP
            rated = plain
            if use_posterior:
                rated = posterior_mean(x, plain, sigmas) if tta else pred
                j = posterior_divergence(x, plain, sigmas, j)
            k = tuple(keep)
            gain_sums += risk_sums(x[k], rated[k], j[k], sigmas, scale)
        values = denormalise(pred[tuple(keep)], mean, std)
        if vst:
            values = inverse_generalized_anscombe(values, *vst)
        out[tuple(dst)] = cast_to(values, out.dtype)
    gain = (sigma, gain_sums) if return_gain and sigmas is not None else None
    if not return_bound:
        return out, None, gain
    if sigma is None or sums[1] == 0 or sums[3] == 0:  # no noise level, nothing masked
        return out, {"sigma": sigma, "L_in": None, "inv": None, "mse_bound": None, "gain_db": None}, gain
    l_in, inv = sums[0] / sums[1], sums[2] / sums[3]
    bound = error_bound(l_in, inv, sigma)
    return (
        out,
        {
            "sigma": float(sigma),
            "L_in": float(l_in),
            "inv": float(inv),
            "mse_bound": float(bound),
            "gain_db": round(expected_gain_db(bound, sigma), 2),
        },
        gain,
    )
