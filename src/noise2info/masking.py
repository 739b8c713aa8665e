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


def donut_replace(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Replace masked pixels with the weighted mean of their unmasked 3x3(x3) neighbours.

    The mean is normalised over the neighbours that are neither masked nor outside the image,
    so no masked value leaks into another masked pixel's replacement: the masked input stays
    exactly J-invariant. Where no neighbour is masked this is the kernel of
    :func:`donut_kernel` (the paper's "-D" variants).
    """
    dims = x.ndim - 2
    conv = F.conv2d if dims == 2 else F.conv3d
    channels = x.shape[1]
    k = donut_kernel(dims, x.dtype).to(x.device)
    k = k.expand(channels, 1, *k.shape).contiguous()
    keep = (~mask).to(x.dtype)
    num = conv(x * keep, k, padding=1, groups=channels)
    den = conv(keep, k, padding=1, groups=channels)
    return torch.where(mask, num / den.clamp(min=1e-12), x)


class Masker:
    """Seeded masking: ``masker(x) -> (masked_input, mask)``.

    Parameters
    ----------
    config : MaskingConfig
        Masked percentage and replacement (``'gaussian'`` or ``'donut'``).
    generator : torch.Generator
        Holds the random state; pass a seeded one for reproducible masks.
    """

    def __init__(self, config: MaskingConfig, generator: torch.Generator | None = None):
        self.config = config
        self.generator = generator if generator is not None else torch.Generator()

    def __call__(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        # Drawn on the CPU generator and moved: masks do not depend on the training device.
        mask = stratified_mask(tuple(x.shape), self.config.percent, self.generator).to(x.device)
        if self.config.replacement == "gaussian":
            return gaussian_replace(x, mask, self.config.gaussian_std, self.generator), mask
        return donut_replace(x, mask), mask


def expected_count(spatial: tuple[int, ...], percent: float) -> int:
    """Masked pixels per sample and channel for a patch of shape ``spatial``."""
    b = box_side(percent, len(spatial))
    return math.prod(math.ceil(s / b) for s in spatial)
