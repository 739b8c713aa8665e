"""J-invariant masking: stratified pixel selection and replacement (method.md).

The math lives in pure functions (``stratified_mask``, ``gaussian_replace``,
``donut_replace``) that tests call directly; :class:`Masker` only holds the seeded
generator and the configuration.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from .config import MaskingConfig


def box_side(percent: float, dims: int) -> int:
    """Side of the stratification box holding one masked pixel: round((100/p)^(1/dims))."""
    return max(1, round((100.0 / percent) ** (1.0 / dims)))


def stratified_mask(
    shape: tuple[int, ...],
    percent: float,
    generator: torch.Generator | None = None,
    device: torch.device | str = "cpu",
) -> torch.Tensor:
    """Boolean mask choosing one uniform pixel per box, independently per sample and channel.

    Parameters
    ----------
    shape : tuple of int
        ``(B, C, *spatial)`` with 2 or 3 spatial axes.
    percent : float
        Percentage of pixels to mask; boxes have side ``box_side(percent, dims)``.
    generator : torch.Generator, optional
        Source of randomness (seeded by the caller for reproducibility).

    Returns
    -------
    mask : torch.Tensor of bool, shape ``shape``
        Exactly ``prod(ceil(size / b))`` true values per sample and channel. Boxes at the far
        edge are clipped to the image, and their pixel is drawn from the clipped span.
    """
    batch, channels, *spatial = shape
    b = box_side(percent, len(spatial))
    grids = []
    for size in spatial:
        starts = torch.arange(0, size, b, device=device)
        spans = torch.clamp(size - starts, max=b)
        grids.append((starts, spans))
    boxes = [len(s) for s, _ in grids]
    coords = []
    for axis, (starts, spans) in enumerate(grids):
        view = [1] * len(spatial)
        view[axis] = boxes[axis]
        u = torch.rand((batch, channels, *boxes), generator=generator, device=device)
        # floor(u * span) indexes the (possibly clipped) span uniformly.
        offset = (u * spans.view(view)).long()
        coords.append(starts.view(view) + offset)
    mask = torch.zeros(shape, dtype=torch.bool, device=device)
    b_idx = torch.arange(batch, device=device).view(-1, 1, *[1] * len(spatial))
    c_idx = torch.arange(channels, device=device).view(1, -1, *[1] * len(spatial))
    mask[(b_idx, c_idx, *coords)] = True
    return mask


def gaussian_replace(
    x: torch.Tensor,
    mask: torch.Tensor,
    std: float = 0.2,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Replace masked pixels with samples of N(0, std^2) (the paper's "-R" variants)."""
    # Drawn on the generator's device (CPU) and moved, so masks do not depend on the device.
    noise = torch.randn(tuple(x.shape), generator=generator).to(x.device, x.dtype)
    return torch.where(mask, noise * std, x)


def donut_kernel(dims: int, dtype=torch.float32) -> torch.Tensor:
    """3x3 (or 3x3x3) neighbour weights without the centre, normalised to sum 1.

    2D: 1 on the 4 edge neighbours, 0.5 on the 4 corners (method.md). 3D: weight
    0.5 ** (distance_class - 1), i.e. 1 on faces, 0.5 on edges, 0.25 on corners.
    """
    axes = torch.meshgrid(*[torch.arange(-1, 2)] * dims, indexing="ij")
    order = sum(a.abs() for a in axes)  # 0 centre, 1 face/edge neighbour, 2 corner, 3 cube corner
    w = torch.where(order == 0, torch.zeros(()), 0.5 ** (order - 1).clamp(min=0).to(dtype))
    return (w / w.sum()).to(dtype)


def donut_replace(x: torch.Tensor, mask: torch.Tensor, block: int = 1) -> torch.Tensor:
    """Replace masked pixels with the weighted mean of their unmasked neighbours.

    The mean is normalised over the neighbours that are neither masked nor outside the image,
    so no masked value leaks into another masked pixel's replacement: the masked input stays
    exactly J-invariant. With ``block`` 1 the neighbours are the 3x3(x3) of
    :func:`donut_kernel` (the paper's "-D" variants); with masked blocks of side ``block``
    (:func:`block_mask`) a uniform window of side ``block + 2``, so every masked pixel of a
    block has unmasked neighbours to take.
    """
    dims = x.ndim - 2
    conv = F.conv2d if dims == 2 else F.conv3d
    channels = x.shape[1]
    side = block + 2
    k = donut_kernel(dims, x.dtype) if block == 1 else torch.ones((side,) * dims, dtype=x.dtype)
    k = k.to(x.device).expand(channels, 1, *k.shape).contiguous()
    keep = (~mask).to(x.dtype)
    num = conv(x * keep, k, padding=side // 2, groups=channels)
    den = conv(keep, k, padding=side // 2, groups=channels)
    return torch.where(mask, num / den.clamp(min=1e-12), x)


def block_mask(mask: torch.Tensor, block: int) -> torch.Tensor:
    """The pixels within a centred block of side ``block`` (odd) of a masked pixel.

    Noise that is correlated between neighbours (demosaicing, JPEG, in-camera filtering) lets
    the network read a masked pixel's noise from its neighbours; replacing the whole block
    hides the noise within ``block // 2`` pixels of each pixel of J, as structured masks do
    (Broaddus et al., "Removing structured noise with self-supervised blind-spot networks",
    ISBI 2020). The losses are still taken on J alone: only there is the masked pass blind.
    """
    if block == 1:
        return mask
    pool = F.max_pool2d if mask.ndim == 4 else F.max_pool3d
    return pool(mask.float(), block, stride=1, padding=block // 2) > 0


class Masker:
    """Seeded masking: ``masker(x) -> (masked_input, mask)``.

    Parameters
    ----------
    config : MaskingConfig
        Masked percentage, replacement (``'gaussian'`` or ``'donut'``) and the side of the
        block replaced around each masked pixel.
    generator : torch.Generator
        Holds the random state; pass a seeded one for reproducible masks.
    """

    def __init__(self, config: MaskingConfig, generator: torch.Generator | None = None):
        self.config = config
        self.generator = generator if generator is not None else torch.Generator()

    def __call__(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        # Drawn on the CPU generator and moved: masks do not depend on the training device.
        mask = stratified_mask(tuple(x.shape), self.config.percent, self.generator).to(x.device)
        block = self.config.block or 1  # unresolved (auto) outside a run: the single pixel
        hidden = block_mask(mask, block)  # J and, for correlated noise, around it
        if self.config.replacement == "gaussian":
            return gaussian_replace(x, hidden, self.config.gaussian_std, self.generator), mask
        return donut_replace(x, hidden, block), mask


def expected_count(spatial: tuple[int, ...], percent: float) -> int:
    """Masked pixels per sample and channel for a patch of shape ``spatial``."""
    b = box_side(percent, len(spatial))
    return math.prod(math.ceil(s / b) for s in spatial)
