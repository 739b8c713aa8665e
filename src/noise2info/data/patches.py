"""Random patch crops with rot90 / flip augmentation, seeded."""

from __future__ import annotations

import numpy as np

from ..errors import ImageError
from .normalisation import channel_stats, normalise


def _pad_to(img, size: int):
    """Reflect-pad the spatial axes of ``(C, *spatial)`` up to at least ``size``.

    Only an image smaller than a patch is padded (and so read into memory); others are
    returned as they are, lazy or not.
    """
    pads = [(0, 0)] + [(0, max(0, size - s)) for s in img.shape[1:]]
    return np.pad(np.asarray(img), pads, mode="reflect") if any(p for _, p in pads) else img


def dihedral(x: np.ndarray, k: int, flip: bool) -> np.ndarray:
    """Rotate the last two axes by ``k`` quarter turns, then flip the last one: one of the 8
    symmetries of the square (training augmentation and test-time augmentation)."""
    x = np.rot90(x, k, axes=(-2, -1))
    return x[..., ::-1] if flip else x


def undo_dihedral(x: np.ndarray, k: int, flip: bool) -> np.ndarray:
    """The inverse of :func:`dihedral`."""
    x = x[..., ::-1] if flip else x
    return np.rot90(x, -k, axes=(-2, -1))


def dihedral_mean(predict, x: np.ndarray) -> np.ndarray:
    """Test-time augmentation: the mean of ``predict`` over the 8 symmetries of the last two
    axes of ``x``, each undone (float64)."""
    acc = np.zeros(x.shape, dtype=np.float64)
    for flip in (False, True):
        for k in range(4):
            acc += undo_dihedral(predict(dihedral(x, k, flip)), k, flip)
    return acc / 8


class PatchSampler:
    """Draw batches of random normalised patches from ``(C, *spatial)`` images.

    Parameters
    ----------
    images : list of array-like
        Images of equal channel count and dimensionality, in their own units: NumPy arrays
        or lazy views (:class:`noise2info.io.SampleView`); only the patches drawn are read.
        Images smaller than the patch are reflect-padded.
    patch_size : int
        Side of the (square / cubic) patches.
    seed : int
        Seed of the crops and augmentations.
    augment : bool
        Random rot90 and flip in the last two axes.
    targets : list of np.ndarray, optional
        Clean images aligned with ``images``, cropped identically (supervised training) and
        normalised with their input's statistics, so both are in the same units.
    stats : list of (mean, std), optional
        Each image's :func:`channel_stats`; computed here if not given.
    """

    def __init__(self, images, patch_size: int, seed=0, augment: bool = True, targets=None, stats=None):
        if not images:
            raise ImageError("no images to sample patches from")
        self.stats = list(stats) if stats is not None else [channel_stats(im) for im in images]
        self.images = [_pad_to(im, patch_size) for im in images]
        self.targets = None if targets is None else [_pad_to(t, patch_size) for t in targets]
        self.patch_size = patch_size
        self.augment = augment
        self.seed = int(seed)
        self.rng = np.random.default_rng(self.seed)
        # Images are drawn in proportion to their area so every pixel is equally likely.
        sizes = np.array([np.prod(im.shape[1:], dtype=np.float64) for im in self.images])
        self.weights = sizes / sizes.sum()

    def _one(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray | None, int]:
        i = rng.choice(len(self.images), p=self.weights)
        img, (mean, std) = self.images[i], self.stats[i]
        starts = [rng.integers(0, s - self.patch_size + 1) for s in img.shape[1:]]
        window = (slice(None),) + tuple(slice(s, s + self.patch_size) for s in starts)
        patch = normalise(img[window], mean, std)[0]
        target = None if self.targets is None else normalise(self.targets[i][window], mean, std)[0]
        if self.augment:
            k, flip = int(rng.integers(4)), bool(rng.integers(2))
            patch = dihedral(patch, k, flip)
            target = None if target is None else dihedral(target, k, flip)
        return patch, target, int(i)

    def sample(self, batch_size: int, step: int | None = None, index: bool = False) -> tuple:
        """Return ``(noisy, clean)`` arrays of shape ``(B, C, *patch)``; clean may be None.
        With ``index``, also each patch's image index (``(B,)`` integers).

        Without ``step`` batches follow one another from the sampler's own stream. With it,
        the batch depends on ``(seed, step)`` alone: any process can draw it (DataLoader
        workers) and a resumed run draws the same batches as an uninterrupted one.
        """
        rng = self.rng if step is None else np.random.default_rng([self.seed, step])
        drawn = [self._one(rng) for _ in range(batch_size)]
        noisy = np.stack([p for p, _, _ in drawn])
        clean = None if self.targets is None else np.stack([t for _, t, _ in drawn])
        return (noisy, clean, np.array([i for _, _, i in drawn])) if index else (noisy, clean)
