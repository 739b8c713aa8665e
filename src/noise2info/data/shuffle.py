"""Pixel-shuffle downsampling (PD): one image into s x s sub-images of every s-th pixel.

Noise that is correlated over neighbours (demosaicing, JPEG) is nearly independent between
pixels s apart, so a blind-spot or Noise2Same network trained on the sub-images cannot copy
it; the sub-images' noise keeps the image's marginal std, so the sigma estimate means the
same. Undone exactly by :func:`pd_up`.

References
----------
Zhou et al., "When AWGN-based denoiser meets real noises", AAAI 2020 (PD).
Lee, Son, Lee, "AP-BSN: Self-supervised denoising for real-world images via asymmetric PD
and blind-spot network", CVPR 2022.
"""

from __future__ import annotations

import numpy as np


def pd_down(image: np.ndarray, s: int) -> np.ndarray:
    """``(s * s, C, *lead, H // s, W // s)`` sub-images of a ``(C, *lead, H, W)`` image (the
    last two axes cropped to multiples of ``s``; a volume's planes are each shuffled alike);
    sub-image ``i * s + j`` holds the pixels at rows i, i + s, ... and columns j, j + s, ...."""
    if s < 1:
        raise ValueError(f"PD stride must be >= 1, not {s}")
    *head, h, w = image.shape
    x = np.asarray(image)[..., : h // s * s, : w // s * s]
    x = x.reshape(*head, h // s, s, w // s, s)
    n = len(head)
    order = (n + 1, n + 3, *range(n), n, n + 2)
    return np.ascontiguousarray(x.transpose(order).reshape(s * s, *head, h // s, w // s))


def pd_up(subs: np.ndarray, s: int) -> np.ndarray:
    """The ``(C, *lead, H, W)`` image whose :func:`pd_down` is ``subs``."""
    n, *head, hs, ws = subs.shape
    if n != s * s:
        raise ValueError(f"{n} sub-images do not make a PD of stride {s} (needs {s * s})")
    k = len(head)
    x = subs.reshape(s, s, *head, hs, ws)
    order = (*range(2, k + 2), k + 2, 0, k + 3, 1)
    return np.ascontiguousarray(x.transpose(order).reshape(*head, hs * s, ws * s))


def pd_split(images: list, s: int) -> list[np.ndarray]:
    """Every image's :func:`pd_down` sub-images, one list (the training set under PD)."""
    return [sub for image in images for sub in pd_down(np.asarray(image), s)]
