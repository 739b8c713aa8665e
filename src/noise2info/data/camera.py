"""A camera-like noise pipeline: the real-sim test bed (issue 11).

Real camera noise is not independent from pixel to pixel: it is drawn on a Bayer mosaic, then
demosaicing interpolates it over neighbours, the tone curve bends it and JPEG smears it over
8 x 8 blocks; scientific cameras add row and column patterns. :class:`CameraPipeline` makes
such noise from clean images, seeded, and keeps the clean reference that the same pipeline
gives without noise, so PSNR can be computed. (The mean of many noisy frames is not quite
that reference: the noise is clipped at 0 and 1 and bent by the tone curve, which lifts the
darkest and lowers the brightest values.)

Images are ``(C, H, W)`` floats in [0, 1]: sRGB colour (C = 3) through a mosaic, or grey
(C = 1) on a monochrome sensor.

References
----------
Brooks et al., "Unprocessing images for learned raw denoising", CVPR 2019 (the pipeline's
steps). Malvar, He, Cutler, "High-quality linear interpolation for demosaicing of
Bayer-patterned color images", ICASSP 2004 (bilinear as their baseline).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, replace

import numpy as np
from PIL import Image
from scipy.ndimage import convolve

from ..errors import ConfigError


def srgb_to_linear(x: np.ndarray) -> np.ndarray:
    """The sRGB tone curve undone (IEC 61966-2-1), values in [0, 1]."""
    x = np.clip(x, 0.0, 1.0)
    return np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(x: np.ndarray) -> np.ndarray:
    """The sRGB tone curve, values in [0, 1]."""
    x = np.clip(x, 0.0, 1.0)
    return np.where(x <= 0.0031308, 12.92 * x, 1.055 * x ** (1 / 2.4) - 0.055)


def bayer_masks(shape: tuple[int, int]) -> np.ndarray:
    """``(3, H, W)`` booleans: where an RGGB mosaic samples red, green and blue."""
    rows, cols = np.indices(shape)
    r = (rows % 2 == 0) & (cols % 2 == 0)
    b = (rows % 2 == 1) & (cols % 2 == 1)
    return np.stack([r, ~(r | b), b])


def mosaic(rgb: np.ndarray) -> np.ndarray:
    """The ``(H, W)`` RGGB mosaic of a ``(3, H, W)`` image: one colour per pixel."""
    return np.sum(rgb * bayer_masks(rgb.shape[1:]), axis=0)


def demosaic_bilinear(raw: np.ndarray) -> np.ndarray:
    """``(3, H, W)`` from an ``(H, W)`` RGGB mosaic by bilinear interpolation of each colour
    (normalised convolution, so image edges are handled too); sampled values are kept."""
    box = np.array([[0.25, 0.5, 0.25], [0.5, 1.0, 0.5], [0.25, 0.5, 0.25]])
    cross = np.array([[0.0, 0.25, 0.0], [0.25, 1.0, 0.25], [0.0, 0.25, 0.0]])  # green's neighbours
    out = []
    for m, kernel in zip(bayer_masks(raw.shape), (box, cross, box), strict=True):
        weight = convolve(m.astype(np.float64), kernel, mode="mirror")
        out.append(convolve(raw * m, kernel, mode="mirror") / weight)
    return np.stack(out)


def jpeg_roundtrip(image: np.ndarray, quality: int) -> np.ndarray:
    """``image`` (``(C, H, W)`` in [0, 1]) saved as an 8-bit JPEG of ``quality`` and read back."""
    u8 = np.round(np.clip(image, 0, 1) * 255).astype(np.uint8)
    pil = Image.fromarray(u8[0] if u8.shape[0] == 1 else np.moveaxis(u8, 0, -1))
    buffer = io.BytesIO()
    pil.save(buffer, format="JPEG", quality=quality)  # colour: Pillow's 4:2:0 chroma, as cameras
    back = np.asarray(Image.open(buffer), dtype=np.float64) / 255
    return back[None] if back.ndim == 2 else np.moveaxis(back, -1, 0)


@dataclass(frozen=True)
class CameraPipeline:
    """Clean image -> raw -> noise -> demosaic -> colour and tone -> (JPEG).

    Parameters
    ----------
    a : float
        Gain of the shot noise in raw units: raw counts are Poisson(raw / a) * a.
    b : float
        Std of the read noise, raw units.
    row_std, col_std : float
        Std of a per-row / per-column offset (line noise, scan stripes, sCMOS column pattern),
        raw units.
    jpeg : int or None
        JPEG quality the output is saved with (None: lossless, 8-bit rounding only when
        ``quantise``).
    white_balance : tuple of 3 floats
        Gains applied to red, green, blue after demosaicing; the raw image is the clean one
        divided by them (a sensor sees less red and blue than a display shows).
    colour_matrix : 9 floats or None
        The camera-RGB to sRGB matrix (row-major, rows summing to 1) applied after white
        balance, as cameras do: it mixes the channels' noise and amplifies it (None: identity).
    luma_nr, chroma_nr : float
        In-camera noise reduction: the Gaussian width (pixels) by which the noise of the
        luminance and of the two colour-difference channels is smoothed after the tone curve
        (cameras smooth chroma hard and luma a little; it correlates the noise between
        neighbours and, chroma smoothed, between channels). Applied to the noise alone, so
        the reference stays sharp. 0: none.
    tone : bool
        Apply the sRGB tone curve (the clean image is taken as sRGB and linearised first);
        False for a linear scientific camera.
    quantise : bool
        Round the output to 8 bits (as a saved PNG would be).
    reference_jpeg : bool
        The reference goes through the same JPEG as the noisy image: what a mean of many
        frames of a JPEG camera holds (its colour subsampling and blocks are not noise). False:
        the pipeline without noise, rounding or JPEG.
    """

    a: float = 0.01
    b: float = 0.005
    row_std: float = 0.0
    col_std: float = 0.0
    jpeg: int | None = None
    white_balance: tuple[float, float, float] = (2.0, 1.0, 1.6)
    colour_matrix: tuple[float, ...] | None = None
    luma_nr: float = 0.0
    chroma_nr: float = 0.0
    tone: bool = True
    quantise: bool = True
    reference_jpeg: bool = False

    def __post_init__(self):
        for name in ("a", "b", "row_std", "col_std"):
            if getattr(self, name) < 0:
                raise ConfigError(f"camera {name} must be >= 0, not {getattr(self, name)}")
        if self.jpeg is not None and not (
            isinstance(self.jpeg, int) and not isinstance(self.jpeg, bool) and 1 <= self.jpeg <= 100
        ):
            raise ConfigError(f"camera jpeg quality must be an integer in 1..100, not {self.jpeg!r}")
        if len(self.white_balance) != 3 or not all(g > 0 for g in self.white_balance):
            raise ConfigError(f"camera white_balance must be 3 gains > 0, not {self.white_balance}")
        if self.colour_matrix is not None and (
            len(self.colour_matrix) != 9 or abs(np.linalg.det(self._matrix())) < 1e-6
        ):
            raise ConfigError(
                f"camera colour_matrix must be 9 numbers of an invertible 3 x 3, not {self.colour_matrix}"
            )

    def _matrix(self) -> np.ndarray:
        return (
            np.eye(3)
            if self.colour_matrix is None
            else np.asarray(self.colour_matrix, np.float64).reshape(3, 3)
        )

    def _raw(self, clean: np.ndarray) -> np.ndarray:
        linear = srgb_to_linear(clean) if self.tone else np.clip(clean, 0, 1)
        if clean.shape[0] == 3:
            camera = np.einsum("ij,jhw->ihw", np.linalg.inv(self._matrix()), linear)  # what the sensor saw
            return mosaic(np.clip(camera, 0, None) / np.asarray(self.white_balance)[:, None, None])
        return linear[0]

    def _develop(self, raw: np.ndarray, colour: bool) -> np.ndarray:
        if colour:
            image = demosaic_bilinear(raw) * np.asarray(self.white_balance)[:, None, None]
            if self.colour_matrix is not None:
                image = np.einsum("ij,jhw->ihw", self._matrix(), image)
        else:
            image = raw[None]
        image = np.clip(image, 0.0, 1.0)
        return linear_to_srgb(image) if self.tone else image

    def _noise(self, raw: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        noisy = self.a * rng.poisson(np.clip(raw, 0, None) / self.a) if self.a > 0 else raw.copy()
        noisy = noisy + rng.normal(0.0, self.b, raw.shape)
        noisy += rng.normal(0.0, self.row_std, (raw.shape[0], 1)) if self.row_std else 0.0
        noisy += rng.normal(0.0, self.col_std, (1, raw.shape[1])) if self.col_std else 0.0
        return noisy

    def apply(self, clean: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """``(reference, noisy)`` for one clean ``(C, H, W)`` image (C = 1 or 3) in [0, 1].

        The reference is the pipeline without noise, rounding or JPEG; the noisy image went
        through all of it, so its noise is spatially correlated wherever the pipeline says.
        """
        clean = np.asarray(clean, dtype=np.float64)
        if clean.ndim != 3 or clean.shape[0] not in (1, 3):
            raise ConfigError(f"camera pipeline needs a (C, H, W) image with C = 1 or 3, got {clean.shape}")
        colour = clean.shape[0] == 3
        if colour and min(clean.shape[1:]) < 2:
            raise ConfigError(f"a Bayer mosaic needs at least 2 x 2 pixels, got {clean.shape[1:]}")
        if not np.isfinite(clean).all():
            raise ConfigError("camera pipeline: the clean image holds NaN or Inf")
        raw = self._raw(clean)
        reference = self._develop(raw, colour)
        noisy = self._develop(self._noise(raw, rng), colour)
        if colour and (self.luma_nr or self.chroma_nr):
            noisy = np.clip(reference + _smooth_noise(noisy - reference, self.luma_nr, self.chroma_nr), 0, 1)
        if self.jpeg is not None:
            noisy = jpeg_roundtrip(noisy, self.jpeg)
            if self.reference_jpeg:
                reference = jpeg_roundtrip(reference, self.jpeg)
        elif self.quantise:
            noisy = np.round(noisy * 255) / 255
        return reference, noisy

    def describe(self) -> str:
        parts = [f"camera a = {self.a:g}, b = {self.b:g}"]
        parts += [f"row std {self.row_std:g}"] if self.row_std else []
        parts += [f"column std {self.col_std:g}"] if self.col_std else []
        parts += [f"JPEG q{self.jpeg}"] if self.jpeg is not None else []
        parts += [] if self.tone else ["linear"]
        parts += [] if self.quantise or self.jpeg is not None else ["float output"]
        parts += [f"white balance {self.white_balance}"] if self.white_balance != (2.0, 1.0, 1.6) else []
        parts += ["colour matrix"] if self.colour_matrix is not None else []
        parts += (
            [f"noise reduction luma {self.luma_nr:g}, chroma {self.chroma_nr:g}"]
            if self.luma_nr or self.chroma_nr
            else []
        )
        return ", ".join(parts)


_YCC = np.array([[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5], [0.5, -0.418688, -0.081312]])


def _smooth_noise(noise: np.ndarray, luma: float, chroma: float) -> np.ndarray:
    """``(3, H, W)`` sRGB noise smoothed in YCbCr: luminance by ``luma``, the colour
    differences by ``chroma`` (Gaussian widths in pixels)."""
    from scipy.ndimage import gaussian_filter

    ycc = np.einsum("ij,jhw->ihw", _YCC, noise)
    for k, width in ((0, luma), (1, chroma), (2, chroma)):
        if width > 0:
            ycc[k] = gaussian_filter(ycc[k], width, mode="mirror")
    return np.einsum("ij,jhw->ihw", np.linalg.inv(_YCC), ycc)


# A typical camera-RGB to sRGB matrix (rows sum to 1): the diagonal amplifies, the rest mixes.
CAMERA_MATRIX = (1.70, -0.60, -0.10, -0.20, 1.60, -0.40, 0.05, -0.55, 1.50)


# The JPEG qualities random cameras save at unless told: those the shipped camera start saw.
JPEG_QUALITIES = (85, 98)


def random_camera(rng: np.random.Generator, quality: tuple[int, int] = JPEG_QUALITIES) -> CameraPipeline:
    """A consumer colour camera drawn at random: shot and read noise from a low ISO to a high
    one, white balance, a colour matrix of random strength, the sRGB tone curve, in-camera
    noise reduction (chroma hard, luma a little), and JPEG at a quality drawn from ``quality``
    (low, high; 85 to 98 by default; one time in ten saved losslessly), the reference through
    the same JPEG. Its noise is about 1 to 8 grey levels of 255, correlated between neighbours
    (about 0.6-0.7), between channels (0.6-0.8) and over blotches a few pixels wide, as real
    high-ISO photos' is (measured on polyu-dev: docs/notes/benchmarks.md, "Real camera
    photos"). The shipped camera start is trained on these (tools/pretrain.py)."""
    low, high = quality
    if not 1 <= low <= high <= 100:
        raise ConfigError(f"camera jpeg qualities must satisfy 1 <= low <= high <= 100, not {quality!r}")
    strength = rng.uniform(0.0, 1.0)
    matrix = np.eye(3) + strength * (np.asarray(CAMERA_MATRIX).reshape(3, 3) - np.eye(3))
    return CameraPipeline(
        a=float(np.exp(rng.uniform(np.log(3e-4), np.log(5e-3)))),
        b=float(np.exp(rng.uniform(np.log(2e-4), np.log(2e-3)))),
        jpeg=None if rng.random() < 0.1 else int(rng.integers(low, high + 1)),
        white_balance=(float(rng.uniform(1.4, 2.6)), 1.0, float(rng.uniform(1.2, 2.2))),
        colour_matrix=tuple(float(v) for v in matrix.ravel()),
        luma_nr=float(rng.uniform(0.6, 1.2)),
        chroma_nr=float(rng.uniform(3.0, 8.0)),
        reference_jpeg=True,
    )


# The real-sim test bed (`noise2info bench real-sim`): kinds of camera, each a pipeline and
# the images it is applied to. The images ship with scikit-image, so the bed is offline.
COLOUR_IMAGES = ("astronaut", "chelsea", "coffee", "rocket", "immunohistochemistry")
GREY_IMAGES = ("cell", "coins", "moon", "camera", "gravel")
# A consumer camera's JPEG at high ISO (the consumer-jpeg kind below).
_CONSUMER = CameraPipeline(
    a=0.002, b=0.001, jpeg=98, colour_matrix=CAMERA_MATRIX, luma_nr=0.8, chroma_nr=6.0, reference_jpeg=True
)
TEST_BED: dict[str, tuple[CameraPipeline, tuple[str, ...]]] = {
    # A colour camera at high ISO saved losslessly (noisy PSNR about 30 dB).
    "camera": (CameraPipeline(a=0.004, b=0.002), COLOUR_IMAGES),
    # A phone: milder noise, JPEG quality 90 (about 32 dB; the noise is smeared over blocks).
    "phone-jpeg": (CameraPipeline(a=0.001, b=0.001, jpeg=90), COLOUR_IMAGES),
    # A scientific camera: linear, float, shot and read noise plus row and column patterns.
    "microscope": (
        CameraPipeline(a=0.005, b=0.01, row_std=0.02, col_std=0.02, tone=False, quantise=False),
        GREY_IMAGES,
    ),
    # The same sensor without patterns: independent noise, the control (nothing to correct).
    "sensor": (CameraPipeline(a=0.005, b=0.01, tone=False, quantise=False), GREY_IMAGES),
    # A consumer camera's JPEG at high ISO, as real photos are (polyu-dev: noise 2-7 grey
    # levels, correlated between neighbours 0.5-0.8 and between channels 0.5-0.9, in blotches
    # a few pixels wide; docs/notes/benchmarks.md, "Real camera photos"): colour matrix,
    # in-camera noise reduction, JPEG q98, the reference through the same JPEG.
    "consumer-jpeg": (_CONSUMER, COLOUR_IMAGES),
    # The same consumer camera with its photos re-saved at JPEG q75, as polyu-dev's crops are
    # (every file carries libjpeg's quality-75 tables), its noise 1.2x to keep the photos' level
    # after the JPEG: unlike q98 it reads as JPEG, so the default takes the photos' path (the
    # camera start mixed in) and orders start ~ default > run as on the photos
    # (benchmarks/test_bed_jpeg_quality.py; docs/notes/benchmarks.md).
    "photo-jpeg": (replace(_CONSUMER, a=_CONSUMER.a * 1.2**2, b=_CONSUMER.b * 1.2, jpeg=75), COLOUR_IMAGES),
}


# Photos from sensors of many megapixels are smooth at the scale of a pixel (the lens blurs
# below a pixel or two): polyu-dev's references hold a third of the finest-scale detail,
# against their std, of scikit-image's images, and about as much as their noise. The kinds
# named here enlarge their images (cubic) before the crop, so that their detail against the
# noise falls in the photos' range (docs/notes/benchmarks.md, "A test bed with the detail of
# real photos").
PHOTO_ZOOM = 3
ZOOM = {"consumer-jpeg": PHOTO_ZOOM, "photo-jpeg": PHOTO_ZOOM}


def enlarge(image: np.ndarray, zoom: int = PHOTO_ZOOM) -> np.ndarray:
    """``image`` (``(C, H, W)`` in [0, 1]) enlarged ``zoom`` times by cubic interpolation and
    clipped to [0, 1]: as smooth at the scale of a pixel as a photo from a many-megapixel
    sensor (the kinds in :data:`ZOOM`, the camera start of tools/pretrain.py)."""
    from skimage.transform import rescale

    if zoom == 1:
        return np.asarray(image, np.float64)
    return np.clip(
        rescale(np.asarray(image, np.float64), zoom, order=3, channel_axis=0, anti_aliasing=False), 0, 1
    )


def _clean_image(name: str, zoom: int = 1) -> np.ndarray:
    from skimage import data

    image = np.asarray(getattr(data, name)(), dtype=np.float64) / 255
    image = image[None] if image.ndim == 2 else np.moveaxis(image, -1, 0)
    return enlarge(image, zoom)


def real_sim_images(kind: str, side: int | None = 256, seed: int = 0) -> tuple[list[str], list, list]:
    """One kind of the real-sim test bed: ``(names, references, noisy)``.

    Parameters
    ----------
    kind : str
        A key of :data:`TEST_BED`.
    side : int or None
        Centre crop of each clean image (enlarged first for the kinds in :data:`ZOOM`) to at
        most ``side`` pixels a side before the pipeline (even, so the Bayer pattern is whole);
        None keeps the whole image.
    seed : int
        Seed of the noise; each kind draws from its own stream.

    Returns
    -------
    names : list of str
    references, noisy : lists of ``(C, H, W)`` float arrays in [0, 1]
        The pipeline without noise and with it (:meth:`CameraPipeline.apply`).
    """
    if kind not in TEST_BED:
        raise ConfigError(f"unknown test-bed kind {kind!r}; choose one of {', '.join(TEST_BED)}")
    if side is not None and (side < 2 or side % 2):
        raise ConfigError(f"test-bed crop side must be an even number >= 2, not {side}")
    pipeline, names = TEST_BED[kind]
    rng = np.random.default_rng([seed, list(TEST_BED).index(kind)])
    references, noisy = [], []
    for name in names:
        clean = _clean_image(name, ZOOM.get(kind, 1))
        if side is not None:
            h, w = clean.shape[1:]
            top, left = max(0, (h - side) // 2), max(0, (w - side) // 2)
            clean = clean[:, top : top + side, left : left + side]
        ref, x = pipeline.apply(clean, rng)
        references.append(ref)
        noisy.append(x)
    return list(names), references, noisy
