"""The network as it is shipped: per-image normalisation, padding and the variance
stabilisation carried inside, so a consumer that knows nothing of noise2info (ONNX Runtime,
bioimage.io's tools, deepImageJ) feeds raw intensities and gets denoised intensities back.

Per-image normalisation is part of the method (method.md, 'Setting') and no standard
postprocessing step can undo it with the image's own statistics, hence inside the graph.
"""

from __future__ import annotations

import copy
import math

import torch
from torch import nn

from ..errors import ConfigError
from ..models import UNet


class ExportedDenoiser(nn.Module):
    """``(B, C, *spatial)`` raw intensities in, denoised intensities out, any spatial size of at
    least ``min_size``.

    Each sample and channel is normalised to zero mean and unit std with its own statistics,
    padded symmetrically to a multiple of 2**depth (as :func:`noise2info.prediction.denoise`
    pads), passed through the U-Net, cropped and mapped back. A network trained on
    generalized-Anscombe-transformed images (``vst``) transforms before and inverts after.
    This is :func:`noise2info.prediction.denoise` without tiling, test-time augmentation,
    the posterior step and line removal: those read each image's noise level, which stays
    with ``noise2info denoise``.

    Parameters
    ----------
    net : UNet
        The trained network (copied; the copy is put in eval mode).
    vst : (a, b), optional
        Gain and offset of the generalized Anscombe transform the network was trained under.
    """

    def __init__(self, net: UNet, vst: tuple[float, float] | None = None):
        super().__init__()
        self.net = copy.deepcopy(net).eval()
        self.multiple = net.config.multiple
        self.vst = tuple(float(v) for v in vst) if vst else None

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
        for axis, (lo, n) in zip(axes, sizes, strict=True):
            y = y.narrow(axis, lo, n)
        y = y * std + mean
        if self.vst:
            y = _inverse_anscombe(y, *self.vst)
        return y


def _inverse_anscombe(d: torch.Tensor, a: float, b: float) -> torch.Tensor:
    """:func:`noise2info.data.variance.inverse_generalized_anscombe` in torch."""
    d = torch.clamp(d, min=0.8)
    s = math.sqrt(1.5)
    counts = 0.25 * d**2 + 0.25 * s / d - 1.375 / d**2 + 0.625 * s / d**3 - 0.125 - (b / a) ** 2
    return a * torch.clamp(counts, min=0.0)


def exported_network(model: UNet) -> ExportedDenoiser:
    """The shippable network of a loaded run's model (:func:`noise2info.run.load_run`).

    Raises
    ------
    ConfigError
        For a model trained on pixel-shuffled sub-images (``pd_stride`` > 1), whose
        prediction puts sub-images back together outside the network.
    """
    stride = getattr(model, "pd_stride", None) or 1
    if stride > 1:
        raise ConfigError(
            f"this run was trained on pixel-shuffled sub-images (pd_stride {stride}); export "
            "supports runs with pd_stride 1 (train with --pd-stride 1)"
        )
    return ExportedDenoiser(model.cpu(), getattr(model, "vst", None))


def exported_denoiser(
    dims: int, channels: int, depth: int, base_features: int, res_blocks: int, vst=None
) -> ExportedDenoiser:
    """An untrained :class:`ExportedDenoiser` from the model config's fields: the
    architecture a bioimage.io package names (its weights are then loaded into it)."""
    from ..config import ModelConfig
    from ..models import build_model

    config = ModelConfig(
        dims=dims, channels=channels, depth=depth, base_features=base_features, res_blocks=res_blocks
    )
    return ExportedDenoiser(build_model(config), vst)
