"""Prediction with a trained network and its plan: per tile read, normalise, predict (with
test-time augmentation), take the posterior step, undo the normalisation and write
(:mod:`.tiles` plans and stitches the tiles; :mod:`noise2info.rating` rates them). Kept apart
from the model: any ``(B, C, *spatial) -> same`` network works.

The plan (:class:`~noise2info.plan.Plan`) is applied in the pipeline's order and undone in
reverse: pixel shuffle, VST, normalisation, network, posterior step, inverse VST, shuffle
back, line offsets removed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from ..data import channel_stats, denormalise, normalise
from ..data.patches import dihedral_mean
from ..data.shuffle import pd_down, pd_up
from ..data.variance import Stabilised, inverse_generalized_anscombe
from ..errors import ConfigError, ImageError
from ..io import cast_to, check_samples
from ..models import inference_model, receptive_radius
from ..models.pretrained import mixed_start
from ..noise_level import direct_noise_std, plan_image_noise_std
from ..pipeline import finishing
from ..plan import Plan, Trained, network_and_plan
from ..posterior import posterior_mean, posterior_radius
from ..rating import TileRating, gain_report, pooled_bound
from ..runtime import flush_denormals
from .tiles import choose_tile, read_padded, round_up, stitch, symmetric_pads, tiles


@torch.inference_mode()
def predict(model: nn.Module, x: np.ndarray, tta: bool = False) -> np.ndarray:
    """The network on one normalised ``(C, *spatial)`` tile; with ``tta`` the mean of the
    8 rotations / flips of the last two axes."""
    device = next(model.parameters()).device

    def run(a: np.ndarray) -> np.ndarray:
        return model(torch.from_numpy(np.ascontiguousarray(a))[None].to(device))[0].float().cpu().numpy()

    return dihedral_mean(run, x) if tta else run(x)


def image_sigmas(image, std, plan: Plan) -> list[float] | None:
    """One image's noise std per channel in normalised units, as the posterior step and the
    check read it: measured on the image (:func:`noise2info.noise_level.direct_noise_std`) and
    read with the run's plan (:func:`noise2info.noise_level.image_noise_std`).

    Parameters
    ----------
    image : array-like
        ``(C, *spatial)``, in the units the network sees (stabilised under a VST).
    std : array-like
        The image's per-channel std (normalised units are intensity over it).
    plan : Plan
        The run's plan: its ``noise_prior``, ``noise_lags`` and ``noise_scale``.

    Returns
    -------
    list of float or None
        None where neither the image nor the plan gives a noise level.
    """
    entry = direct_noise_std([image], stds=[std])["per_image"][0]
    return plan_image_noise_std(entry, std, plan)


def given_sigmas(sigma, channels: int) -> list[float]:
    """``denoise``'s ``sigma``, one for all channels or one per channel, as a list per channel."""
    values = [float(v) for v in np.ravel(sigma)]
    if len(values) == 1:
        return values * channels
    if len(values) != channels:
        raise ConfigError(f"sigma: one noise std or one per channel ({channels}), not {len(values)}")
    return values


def _start_network(net: nn.Module, plan: Plan) -> nn.Module | None:
    """The shipped start a mixing plan (``plan.start_share``) predicts with beside the run's
    network (:func:`noise2info.models.pretrained.mixed_start`), ready for prediction on the
    network's device; None where the plan mixes nothing in."""
    start = mixed_start(net.config, plan)
    if start is None:
        return None
    return inference_model(start).to(next(net.parameters()).device)


@flush_denormals()
def denoise(
    model: nn.Module | Trained,
    image,
    *,
    plan: Plan | None = None,
    tile: int | None = None,
    overlap: int | None = None,
    tta: bool = False,
    out=None,
    name: str = "image",
    return_bound: bool = False,
    return_gain: bool = False,
    sigma: float | Sequence[float] | None = None,
    seed: int = 0,
    posterior: bool | None = None,
    lines: bool | None = None,
    mix_start: bool = True,
):
    """Denoise one ``(C, *spatial)`` image with a trained network and its plan, tile by tile.

    Each tile is read, normalised with the whole image's statistics, padded at the image
    edges to a multiple of 2**depth, predicted, de-normalised and written, so the memory used
    is one tile's (plus ``out``) and a lazy image (:class:`noise2info.io.SampleView`) is
    streamed from and to disk. A network trained on pixel-shuffled sub-images (``pd_stride``
    > 1, for spatially correlated noise) denoises the image's sub-images the same way, each
    as a whole image, and puts them back; that reads the whole image into memory.

    Parameters
    ----------
    model : Run, TrainResult or UNet
        A trained run (:func:`noise2info.train`, :func:`noise2info.load_run`), predicted with
        its plan; or a network alone (its config gives dims and depth), predicted with
        ``plan`` or, without one, as it is. Predicts through an eval-mode copy.
    image : array-like
        Shape ``(C, *spatial)``, in the image's own intensity units: a NumPy array or a lazy
        view sliced like one.
    plan : Plan, optional
        What the run decided (:class:`noise2info.plan.Plan`): the generalized Anscombe
        transform applied before the network and inverted after, the pixel shuffle, the
        posterior step and the noise it reads, the line offsets removed. Default: the run's.
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
        bound (:func:`noise2info.rating.error_bound`), with extra masked passes. It bounds the
        network itself, without TTA, the posterior step or the start's share.
    return_gain : bool
        Also return what the output is expected to gain on this image from Stein's unbiased
        risk estimate (:mod:`noise2info.safety`; one more pass with a probe), and the blend
        with the input that would minimise the estimated error. It rates the output as
        written, with the posterior step where it is used, but without TTA.
    sigma : float or sequence of float, optional
        The image's noise std in normalised units for the bound and the posterior step, one
        for all channels or one per channel; by default measured on the image, channel by
        channel, and read with the plan (:func:`image_sigmas`).
    seed : int
        Seed of the bound's masks and the gain's probes.
    posterior : bool, optional
        Weigh the network's prediction against each noisy pixel by their variances
        (:func:`noise2info.posterior.posterior_mean`). By default the plan's (the default
        Noise2Info pipeline, where ``refine`` chose it); an image without a noise level is
        predicted without it.
    lines : bool, optional
        Remove row / column offsets (line noise) from the result
        (:func:`noise2info.lines.remove_lines`), which the network keeps. By default those
        the plan removes; True removes both, False none. That (like any stage that acts on
        the whole result, :func:`noise2info.pipeline.finishing`) reads the whole result into
        memory; the gain rates the output before it.
    mix_start : bool
        Mix in the shipped start's own prediction where the plan says (``plan.start_share``:
        JPEG'd colour photos, whose noise the fine-tuned network alone keeps too much of);
        False: the run's network (and posterior step) alone. No expected gain is given for a
        mixed output.

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
    net, plan = network_and_plan(model, plan)
    cfg = net.config
    check_samples([image], cfg.dims, cfg.channels, names=[name])
    if posterior is not None:
        plan = plan.model_copy(update={"refine": "posterior" if posterior else "none"})
    if lines is not None:
        plan = plan.model_copy(update={"lines": "both" if lines else "none"})
    if not mix_start:
        plan = plan.model_copy(update={"start_share": 0.0})
    finishers = finishing(plan)  # the stages that act on the whole result (line offsets)
    start = _start_network(net, plan)
    options = dict(tile=tile, overlap=overlap, tta=tta, name=name, sigma=sigma, seed=seed, start=start)
    target = out
    if finishers:  # written once, after them: no second rounding
        out = None
    if plan.pd_stride > 1:
        out, bound, gain = _denoise_shuffled(net, plan, image, out, return_bound, return_gain, options)
    else:
        out, bound, gain = _denoise(
            net, plan, image, out=out, return_bound=return_bound, return_gain=return_gain, **options
        )
        gain = gain_report(*(gain or (None, None))) if return_gain else None
    if gain is not None and plan.noise_scale is not None:
        # JPEG'd noise (its std scaled to the bound): Stein's risk read it far off (+30 dB on
        # polyu-dev as white noise, 1-3 dB high given the noise's correlation), and a std 20 %
        # off moves the gain by 1.6-1.9 dB: no expected gain is better than a wrong one.
        gain = {**gain, "gain_db": None, "blend": None, "blend_gain_db": None}
    for finish in finishers:
        out = finish(out)
    if finishers and target is not None:
        target[...] = cast_to(out, target.dtype)
        out = target
    extra = ([bound] if return_bound else []) + ([gain] if return_gain else [])
    return (out, *extra) if extra else out


def _denoise_shuffled(net: nn.Module, plan: Plan, image, out, return_bound: bool, return_gain: bool, options):
    """:func:`denoise` under pixel-shuffle downsampling (data/shuffle.py): the network saw
    every ``pd_stride``-th pixel's sub-images in training, where correlated noise is nearly
    independent, so each sub-image is denoised as an image of its own and put back."""
    stride = plan.pd_stride
    x = np.asarray(image, dtype=np.float64)
    *_, h, w = x.shape
    grow = [(0, 0)] * (x.ndim - 2) + [(0, -h % stride), (0, -w % stride)]
    if h < stride or w < stride:
        raise ImageError(f"{options['name']}: {h} x {w} is smaller than the model's PD stride {stride}")
    x = np.pad(x, grow, mode="reflect") if any(hi for _, hi in grow) else x
    parts, bounds, sums, sigmas = [], [], np.zeros(3), []
    for sub in pd_down(x, stride):
        found, bound, gain = _denoise(
            net, plan, sub, out=None, return_bound=return_bound, return_gain=return_gain, **options
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
    bound = pooled_bound(bounds) if return_bound else None
    if not return_gain:
        return out, bound, None
    sigma = None if not sigmas or None in sigmas else math.sqrt(np.mean(np.square(sigmas)))
    return out, bound, gain_report(sigma, sums if sigma is not None else None)


def _denoise(
    net: nn.Module,
    plan: Plan,
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
    start: nn.Module | None,
):
    """:func:`denoise` of one image as the network saw its training images: ``(out, bound,
    gain)``, bound a dict or None, gain None or ``(sigma, risk sums)`` (:func:`_denoise_shuffled`
    pools sub-images' sums; :func:`denoise` makes the report). ``start``: the network whose
    prediction is mixed in after the posterior step (:func:`_start_network`), or None."""
    cfg = net.config
    inference = inference_model(net)  # benchmarks/prediction_speed.py
    source = Stabilised(image, *plan.vst) if plan.vst else image  # as the network saw its images
    mean, std = channel_stats(source)
    spatial = tuple(image.shape[1:])
    pads = symmetric_pads(spatial, cfg.multiple)

    sigmas = None  # per channel, normalised units: the posterior step's and the ratings'
    if plan.posterior or return_bound or return_gain:
        sigmas = given_sigmas(sigma, cfg.channels) if sigma is not None else image_sigmas(source, std, plan)
    use_posterior = plan.posterior and sigmas is not None

    margin = overlap if overlap is not None else receptive_radius(cfg)
    if use_posterior and overlap is None:  # the step reads a window around each prediction
        margin += posterior_radius()
    margin = round_up(margin, cfg.multiple)
    padded = [s + lo + hi for s, (lo, hi) in zip(spatial, pads, strict=True)]
    tile = choose_tile(padded, tile, margin, cfg.dims, cfg.multiple)
    if out is None:
        out = np.empty(image.shape, dtype=np.float64)

    rating = TileRating(
        lambda a: predict(inference, a),
        inference,
        sigmas,
        plan.noise_covariance or plan.noise_lags,
        np.ravel(std),  # normalised -> intensity units, per channel
        channels=None if cfg.channels_apart else plan.noise_channels,  # apart: J has no cross terms
        bound=return_bound,
        gain=return_gain,
        posterior=use_posterior,
        floor=plan.posterior_floor,
        start=None if start is None else (lambda a: predict(start, a)),
        share=plan.start_share,
        seed=seed,
    )
    for window, keep, dst in tiles(spatial, pads, tile, margin):
        x = normalise(read_padded(source, window, pads), mean, std)[0]
        raw = predict(inference, x, tta)
        pred = posterior_mean(x, raw, sigmas, floor=plan.posterior_floor) if use_posterior else raw
        if start is not None:  # after the step: the start is no blind-spot network
            pred = (1 - plan.start_share) * pred + plan.start_share * predict(start, x, tta)
        if rating.active:  # the ratings rate F less TTA
            plain = predict(inference, x) if tta else raw
            rating.add(x, plain, pred, keep, tta)
        values = denormalise(pred[(slice(None), *keep)], mean, std)
        if plan.vst:
            values = inverse_generalized_anscombe(values, *plan.vst)
        stitch(out, dst, values)
    return out, rating.bound() if return_bound else None, rating.gain()
