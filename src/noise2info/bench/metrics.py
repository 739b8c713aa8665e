"""PSNR and SSIM as the paper computes them (method.md): for BSD68 / Set12 with peak 255 on the
0..255 scale (a fixed ``peak``), elsewhere against each clean image's maximum."""

from __future__ import annotations

import numpy as np
from skimage.metrics import peak_signal_noise_ratio, structural_similarity


def psnr_ssim(
    clean: np.ndarray, pred: np.ndarray, clip: bool = True, peak: float | None = None
) -> tuple[float, float]:
    """PSNR = 10 log10(peak^2 / mse) and SSIM, with the prediction clipped to [0, peak] as an
    output of that range would be (not clipped for the noisy input itself, ``clip=False``).

    ``peak`` None takes the clean image's own maximum, max(Y); BSD68 / Set12 use 1 on [0, 1]
    images, the paper's 255 on the 0..255 scale.
    """
    if clean.ndim == 3 and clean.shape[0] == 1:  # one channel: as a grey image
        clean, pred = clean[0], pred[0]
    peak = peak or float(clean.max()) or 1.0
    p = np.clip(pred, 0.0, peak) if clip else pred
    psnr = peak_signal_noise_ratio(clean, p, data_range=peak)
    # (C, H, W): SSIM per channel, averaged (scikit-image's convention for colour).
    ssim = structural_similarity(clean, p, data_range=peak, channel_axis=0 if clean.ndim == 3 else None)
    return float(psnr), float(ssim)


def mean_scores(
    clean: list[np.ndarray], preds: list[np.ndarray], clip: bool = True, peak: float | None = None
) -> tuple[float, float]:
    scores = [psnr_ssim(y, p, clip, peak) for y, p in zip(clean, preds, strict=True)]
    return float(np.mean([s[0] for s in scores])), float(np.mean([s[1] for s in scores]))
