"""The network as it is shipped: per-image normalisation, padding and the variance
stabilisation carried inside, so a consumer that knows nothing of noise2info (ONNX Runtime,
bioimage.io's tools, deepImageJ) feeds raw intensities and gets denoised intensities back.

Per-image normalisation is part of the method (method.md, 'Setting') and no standard
postprocessing step can undo it with the image's own statistics, hence inside the graph.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import torch
from torch import nn

from ..errors import ConfigError
from ..models import UNet
from ..models.pretrained import mixed_start
from ..noise_level import plan_image_noise_std
from ..plan import Plan, Trained, network_and_plan
from ..posterior import _TRUNCATE, POSTERIOR_WIDTH


class ExportedDenoiser(nn.Module):
    """``(B, C, *spatial)`` raw intensities in, denoised intensities out, any spatial size of at
    least ``min_size``.

    Each sample and channel is normalised to zero mean and unit std with its own statistics,
    padded symmetrically to a multiple of 2**depth (as :func:`noise2info.prediction.denoise`
    pads), passed through the U-Net, cropped and mapped back. A network trained on
    generalized-Anscombe-transformed images (``vst``) transforms before and inverts after.
    With ``noise_std`` the graph ends with the posterior step (:mod:`noise2info.posterior`)
    at that noise std. This is :func:`noise2info.prediction.denoise` without tiling,
    test-time augmentation and line removal, and with the posterior step's noise std fixed
    rather than read on each image. With ``start`` that network's own prediction is then
    mixed into the output (a run's ``plan.start_share``: the shipped start, JPEG'd or noise-reduced photos).

    Parameters
    ----------
    net : UNet
        The trained network (copied; the copy is put in eval mode).
    vst : (a, b), optional
        Gain and offset of the generalized Anscombe transform the network was trained under.
    noise_std : list of float, optional
        The noise std per channel in intensity units for the posterior step (none without).
    floor : float
        The posterior step's least gain (``plan.posterior_floor``).
    start : UNet, optional
        A second network of the same shape whose prediction is mixed into the output
        (copied; eval mode).
    start_share : float
        Its share of the output (``plan.start_share``; used only with ``start``).
    """

    def __init__(
        self,
        net: UNet,
        vst: tuple[float, float] | None = None,
        noise_std=None,
        floor: float = 0.0,
        start: UNet | None = None,
        start_share: float = 0.0,
    ):
        super().__init__()
        self.floor = float(floor)
        self.net = copy.deepcopy(net).eval()
        self.start = copy.deepcopy(start).eval() if start is not None else None
        self.start_share = float(start_share) if start is not None else 0.0
        self.multiple = net.config.multiple
        self.vst = tuple(float(v) for v in vst) if vst else None
        self.noise_std = [float(v) for v in noise_std] if noise_std is not None else None
        if self.noise_std is not None:
            if len(self.noise_std) != net.config.channels:
                raise ValueError(f"noise_std needs one value per channel ({net.config.channels})")
            spatial = [1] * net.config.dims
            variance = torch.tensor(self.noise_std, dtype=torch.float32).reshape(1, -1, *spatial) ** 2
            self.register_buffer("noise_variance", variance)
            # scipy.ndimage.gaussian_filter's kernel, as noise2info.posterior reads the window.
            self.radius = int(_TRUNCATE * POSTERIOR_WIDTH + 0.5)
            offsets = torch.arange(-self.radius, self.radius + 1, dtype=torch.float64)
            kernel = torch.exp(-0.5 * (offsets / POSTERIOR_WIDTH) ** 2)
            self.register_buffer("window", (kernel / kernel.sum()).float().reshape(1, 1, -1))

    @property
    def min_size(self) -> int:
        """The smallest spatial size the symmetric padding can reflect."""
        return self.multiple

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.float()
        if self.vst:
            a, b = self.vst
            x = (2.0 / a) * torch.sqrt(torch.clamp(a * x + 0.375 * a * a + b * b, min=0.0))
        axes = tuple(range(2, x.ndim))
        mean = x.mean(dim=axes, keepdim=True)
        std = ((x - mean) ** 2).mean(dim=axes, keepdim=True).sqrt()  # population std, as channel_stats
        std = torch.where(std > 0, std, torch.ones_like(std))  # a constant channel maps to zeros
        h = (x - mean) / std
        sizes = []
        for axis in axes:
            n = h.shape[axis]
            total = (self.multiple - n % self.multiple) % self.multiple
            lo = total // 2
            # numpy's 'symmetric' padding (edge pixel repeated), as prediction pads.
            h = torch.cat(
                [
                    h.narrow(axis, 0, lo).flip(axis),
                    h,
                    h.narrow(axis, n - (total - lo), total - lo).flip(axis),
                ],
                dim=axis,
            )
            sizes.append((lo, n))
        y = self.net(h)
        if self.noise_std is not None:
            y = self._posterior(h, y, std)
        if self.start is not None:  # after the step, as prediction mixes
            y = (1 - self.start_share) * y + self.start_share * self.start(h)
        for axis, (lo, n) in zip(axes, sizes, strict=True):
            y = y.narrow(axis, lo, n)
        y = y * std + mean
        if self.vst:
            y = _inverse_anscombe(y, *self.vst)
        return y

    def _posterior(self, x: torch.Tensor, mu: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
        """:func:`noise2info.posterior.posterior_mean` on the padded, normalised image, with
        the noise std fixed in intensity units (``noise_std``) read in each image's units."""
        residual = x - mu
        total = residual * residual
        for axis in range(2, x.ndim):
            total = _mirror_filter(total, axis, self.window, self.radius)
        raw = 1.0 - self.noise_variance / (std * std) / torch.clamp(total, min=1e-12)
        gain = torch.clamp(raw, self.floor, 1.0)
        return mu + gain * residual


def _mirror_filter(t: torch.Tensor, axis: int, window: torch.Tensor, radius: int) -> torch.Tensor:
    """``t`` filtered along ``axis`` by ``window`` (odd length ``2 radius + 1``), mirrored at
    the edges as scipy's mode 'mirror' (d c b | a b c d | c b a) for any length >= 2: the
    index reflected as often as the window needs, so small images work too."""
    n = t.shape[axis]
    index = torch.arange(-radius, n + radius, device=t.device)
    # The period as a tensor: ONNX export takes no symbolic scalar as remainder's divisor.
    period = torch.full_like(index, 2 * (n - 1))
    index = torch.remainder(index, period)
    index = torch.where(index >= n, period - index, index)
    moved = t.index_select(axis, index).movedim(axis, -1)
    head = moved.shape[:-1]
    out = torch.nn.functional.conv1d(moved.reshape(-1, 1, moved.shape[-1]), window)
    return out.reshape(*head, n).movedim(-1, axis)


def _inverse_anscombe(d: torch.Tensor, a: float, b: float) -> torch.Tensor:
    """:func:`noise2info.data.variance.inverse_generalized_anscombe` in torch."""
    d = torch.clamp(d, min=0.8)
    s = math.sqrt(1.5)
    counts = 0.25 * d**2 + 0.25 * s / d - 1.375 / d**2 + 0.625 * s / d**3 - 0.125 - (b / a) ** 2
    return a * torch.clamp(counts, min=0.0)


def exported_network(
    model: nn.Module | Trained, plan: Plan | None = None, posterior: bool = True
) -> ExportedDenoiser:
    """The shippable network of a trained run (:func:`noise2info.load_run`; or a network and
    its ``plan``).

    With ``posterior`` (and a run whose plan takes the posterior step, with the training
    images' noise level on record and no variance stabilisation) the graph ends with the
    posterior step, the noise std fixed at the training images' pooled reading
    (:func:`training_noise_std`): :func:`noise2info.prediction.denoise` reads each image's
    own, pulled toward that. A plan that mixes in the shipped start (``start_share``) ends the
    graph with the mix, after the step where there is one; exported without the step
    (``posterior`` False) where the plan takes it, the graph is the network alone.

    Raises
    ------
    ConfigError
        For a run trained on pixel-shuffled sub-images (``pd_stride`` > 1), whose prediction
        puts sub-images back together outside the network; for a run that mixes in the start
        after a step the graph cannot hold; or where the installed start is not the run's
        (:func:`noise2info.models.pretrained.mixed_start`).
    """
    net, plan = network_and_plan(model, plan)
    if plan.pd_stride > 1:
        raise ConfigError(
            f"this run was trained on pixel-shuffled sub-images (pd_stride {plan.pd_stride}); export "
            "supports runs with pd_stride 1 (train with --pd-stride 1)"
        )
    noise_std = training_noise_std(plan, net.config.channels) if posterior and not plan.vst else None
    start = None
    if plan.start_share and (noise_std is not None or not plan.posterior):
        start = mixed_start(net.config, plan)
    elif plan.start_share and posterior:  # the mix follows the step, which this graph cannot hold
        raise ConfigError(
            "this run mixes the shipped start into its output after the posterior step, which the "
            "graph can hold only with the training images' noise level on record and no variance "
            "stabilisation; export the network alone (posterior=False) or denoise with the torch engine"
        )
    return ExportedDenoiser(net.cpu(), plan.vst, noise_std, plan.posterior_floor, start, plan.start_share)


def training_noise_std(plan: Plan, channels: int) -> list[float] | None:
    """The training images' noise std per channel in intensity units, as the posterior step
    reads an image not read (:func:`noise2info.noise_level.image_noise_std`), for a run whose
    plan takes that step; None otherwise."""
    priors = plan.noise_prior
    if not plan.posterior or not priors or any(p is None for p in priors):
        return None
    return plan_image_noise_std(None, np.ones(channels), plan)


def exported_denoiser(
    dims: int,
    channels: int,
    depth: int,
    base_features: int,
    res_blocks: int,
    vst=None,
    noise_std=None,
    channels_apart: bool = False,
    floor: float = 0.0,
    start_share: float = 0.0,
) -> ExportedDenoiser:
    """An untrained :class:`ExportedDenoiser` from the model config's fields: the
    architecture a bioimage.io package names (its weights, the start's too where
    ``start_share``, are then loaded into it)."""
    from ..config import ModelConfig
    from ..models import build_model

    config = ModelConfig(
        dims=dims,
        channels=channels,
        depth=depth,
        base_features=base_features,
        res_blocks=res_blocks,
        channels_apart=channels_apart,
    )
    start = build_model(config) if start_share else None
    return ExportedDenoiser(build_model(config), vst, noise_std, floor, start, start_share)
