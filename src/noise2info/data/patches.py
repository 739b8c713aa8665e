"""Random patch crops with rot90 / flip augmentation, seeded."""

from __future__ import annotations

import numpy as np


def _pad_to(img: np.ndarray, size: int) -> np.ndarray:
    """Reflect-pad the spatial axes of ``(C, *spatial)`` up to at least ``size``."""
    pads = [(0, 0)] + [(0, max(0, size - s)) for s in img.shape[1:]]
    return np.pad(img, pads, mode="reflect") if any(p for _, p in pads) else img


def augment(patch: np.ndarray, k: int, flip: bool) -> np.ndarray:
    """Rotate the last two axes of ``(C, *spatial)`` by ``k`` quarter turns, then flip."""
    patch = np.rot90(patch, k, axes=(-2, -1))
    return patch[..., ::-1] if flip else patch


class PatchSampler:
    """Draw batches of random patches from a list of ``(C, *spatial)`` images.

    Parameters
    ----------
    images : list of np.ndarray
        Normalised images of equal channel count and dimensionality. Images smaller than the
        patch are reflect-padded.
    patch_size : int
        Side of the (square / cubic) patches.
    seed : int or np.random.Generator
        Seed of the crops and augmentations.
    augment : bool
        Random rot90 and flip in the last two axes.
    targets : list of np.ndarray, optional
        Clean images aligned with ``images``, cropped identically (supervised training).
    """

    def __init__(self, images, patch_size: int, seed=0, augment: bool = True, targets=None):
        if not images:
            raise ValueError("no images to sample patches from")
        self.images = [_pad_to(np.asarray(im, np.float32), patch_size) for im in images]
        self.targets = (
            None if targets is None else [_pad_to(np.asarray(t, np.float32), patch_size) for t in targets]
        )
        self.patch_size = patch_size
        self.augment = augment
        self.rng = np.random.default_rng(seed)
        # Images are drawn in proportion to their area so every pixel is equally likely.
        sizes = np.array([im[0].size for im in self.images], dtype=np.float64)
        self.weights = sizes / sizes.sum()

    def _one(self) -> tuple[np.ndarray, np.ndarray | None]:
        i = self.rng.choice(len(self.images), p=self.weights)
        img = self.images[i]
        starts = [self.rng.integers(0, s - self.patch_size + 1) for s in img.shape[1:]]
        window = (slice(None),) + tuple(slice(s, s + self.patch_size) for s in starts)
        patch = img[window]
        target = None if self.targets is None else self.targets[i][window]
        if self.augment:
            k, flip = int(self.rng.integers(4)), bool(self.rng.integers(2))
            patch = augment(patch, k, flip)
            target = None if target is None else augment(target, k, flip)
        return patch, target

    def sample(self, batch_size: int) -> tuple[np.ndarray, np.ndarray | None]:
        """Return ``(noisy, clean)`` arrays of shape ``(B, C, *patch)``; clean may be None."""
        pairs = [self._one() for _ in range(batch_size)]
        noisy = np.stack([p for p, _ in pairs])
        clean = None if self.targets is None else np.stack([t for _, t in pairs])
        return noisy, clean
