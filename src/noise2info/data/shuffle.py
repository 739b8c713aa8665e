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
    """``(s * s, C, H // s, W // s)`` sub-images of a ``(C, H, W)`` image (sizes cropped to
    multiples of ``s``); sub-image ``i * s + j`` holds the pixels at rows i, i + s, ... and
    columns j, j + s, ...."""
    if s < 1:
        raise ValueError(f"PD stride must be >= 1, not {s}")
    c, h, w = image.shape
    x = np.asarray(image)[:, : h // s * s, : w // s * s]
    x = x.reshape(c, h // s, s, w // s, s)
    return np.ascontiguousarray(x.transpose(2, 4, 0, 1, 3).reshape(s * s, c, h // s, w // s))


def pd_up(subs: np.ndarray, s: int) -> np.ndarray:
    """The ``(C, H, W)`` image whose :func:`pd_down` is ``subs``."""
    n, c, hs, ws = subs.shape
    if n != s * s:
        raise ValueError(f"{n} sub-images do not make a PD of stride {s} (needs {s * s})")
    x = subs.reshape(s, s, c, hs, ws).transpose(2, 3, 0, 4, 1)
    return np.ascontiguousarray(x.reshape(c, hs * s, ws * s))
