"""The U-Net of the paper's family (GVTNets): residual blocks with batch norm,
strided-convolution downsampling, concatenated skips, BN + ReLU + 1x1 conv output.

References
----------
Wang, Di, Chen, Ng, "Noise2Info", ICCV 2023 (reference set-up in method.md).
"""

from __future__ import annotations

import copy

import torch
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from ..config import ModelConfig


def _layers(dims: int):
    if dims == 2:
        return nn.Conv2d, nn.ConvTranspose2d, nn.BatchNorm2d
    return nn.Conv3d, nn.ConvTranspose3d, nn.BatchNorm3d


class ResBlock(nn.Module):
    """Pre-activation residual block: (BN, ReLU, 3x3 conv) x 2 plus identity."""

    def __init__(self, features: int, dims: int):
        super().__init__()
        conv, _, bn = _layers(dims)
        self.body = nn.Sequential(
            bn(features),
            nn.ReLU(inplace=True),
            conv(features, features, 3, padding=1),
            bn(features),
            nn.ReLU(inplace=True),
            conv(features, features, 3, padding=1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class UNet(nn.Module):
    """U-Net for ``(B, C, *spatial)`` inputs whose spatial sizes are multiples of 2**depth.

    Parameters
    ----------
    config : ModelConfig
        ``dims`` (2 or 3), ``channels`` (in = out), ``depth``, ``base_features`` (doubling
        per level) and ``res_blocks`` per level; ``channels_apart``: the convolutions see one
        channel and each channel of the input passes through them as an image of its own.
    """

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        conv, up, bn = _layers(config.dims)
        f, n = config.base_features, config.res_blocks
        widths = [f * 2**i for i in range(config.depth + 1)]

        self.stem = conv(config.network_channels, f, 3, padding=1)
        self.encoders = nn.ModuleList(
            nn.Sequential(*(ResBlock(w, config.dims) for _ in range(n))) for w in widths[:-1]
        )
        self.downs = nn.ModuleList(
            conv(w, w2, 2, stride=2) for w, w2 in zip(widths[:-1], widths[1:], strict=True)
        )
        self.bottom = nn.Sequential(*(ResBlock(widths[-1], config.dims) for _ in range(n)))
        self.ups = nn.ModuleList(
            up(w2, w, 2, stride=2) for w, w2 in zip(widths[:-1], widths[1:], strict=True)
        )
        # After concatenating the skip, a 1x1 conv brings 2w back to w before the res blocks.
        self.fuses = nn.ModuleList(conv(2 * w, w, 1) for w in widths[:-1])
        self.decoders = nn.ModuleList(
            nn.Sequential(*(ResBlock(w, config.dims) for _ in range(n))) for w in widths[:-1]
        )
        self.head = nn.Sequential(bn(f), nn.ReLU(inplace=True), conv(f, config.network_channels, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        m = self.config.multiple
        if any(s % m for s in x.shape[2:]):
            raise ValueError(f"spatial shape {tuple(x.shape[2:])} is not a multiple of {m}")
        if self.config.channels_apart:  # each channel an image of its own: (B, C) -> (B * C, 1)
            b, c = x.shape[:2]
            return self._forward(x.reshape(b * c, 1, *x.shape[2:])).reshape(x.shape)
        return self._forward(x)

    def _forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.stem(x)
        skips = []
        for enc, down in zip(self.encoders, self.downs, strict=True):
            h = enc(h)
            skips.append(h)
            h = down(h)
        h = self.bottom(h)
        for up, fuse, dec, skip in zip(
            reversed(self.ups),
            reversed(self.fuses),
            reversed(self.decoders),
            reversed(skips),
            strict=True,
        ):
            h = dec(fuse(torch.cat([up(h), skip], dim=1)))
        return self.head(h)


def build_model(config: ModelConfig) -> UNet:
    """Build the U-Net described by ``config`` (weights initialised from torch's RNG)."""
    return UNet(config)


def inference_model(model: UNet) -> UNet:
    """A copy of ``model`` for prediction: eval mode, each residual block's middle batch norm
    folded into the convolution before it, and 2-D models in channels_last (oneDNN's fast
    layout on CPUs, tensor cores' on GPUs).

    The output equals ``model.eval()(x)`` up to float rounding; ``model`` itself is untouched.
    The first batch norm of a block acts on the residual stream before a ReLU, so it stays.
    """
    net = copy.deepcopy(model).eval()
    for block in net.modules():
        if isinstance(block, ResBlock) and isinstance(block.body[3], nn.modules.batchnorm._BatchNorm):
            body = block.body  # not folded yet (a copy of a copy is folded once)
            body[2] = fuse_conv_bn_eval(body[2], body[3])
            body[3] = nn.Identity()
    if net.config.dims == 2:
        net = net.to(memory_format=torch.channels_last)
    return net


def receptive_radius(config: ModelConfig) -> int:
    """Radius in pixels of the U-Net's receptive field (from the layer geometry).

    An output pixel depends only on inputs within this distance, so tiles whose kept region
    lies this far from their cut edges give exactly the untiled result.
    """
    r = 1  # stem 3x3
    for level in range(config.depth):
        scale = 2**level
        r += 2 * config.res_blocks * scale  # encoder res blocks (two 3x3 convs each)
        r += scale  # 2x2 stride-2 down conv
        r += scale  # 2x2 stride-2 transposed conv on the way up
        r += 2 * config.res_blocks * scale  # decoder res blocks
    r += 2 * config.res_blocks * 2**config.depth  # bottom
    return r
