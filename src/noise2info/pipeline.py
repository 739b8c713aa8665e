"""The default pipeline, written down once: its stages in the order they run.

When training starts, :func:`make_plan` runs each stage's ``decide``: it reads the training
images and the user's settings and fills its part of the run's :class:`~noise2info.plan.Plan`;
a stage that changes how the network sees the images (``to_network``: the variance
stabilisation, the pixel shuffle) hands the next stage the images as changed. The ``refine``
stage's ``auto`` is chosen later, during training (:mod:`noise2info.training.refine`).
Prediction (:func:`noise2info.prediction.denoise`) applies the plan in the same order and
undoes it in reverse: pixel shuffle, VST, normalisation, the network, the posterior step at
the noise stage's std, inverse VST, shuffle back, line offsets removed.

Every stage says what it decided (``explain``: the lines of the ``train`` summary and the run
report; ``note``: a few words for the benchmark tables) and has the flat settings that let it
decide from the data (``on``, the defaults) and that switch it off (``off``: a user's switch,
and the benchmark's ablation rows). A stage that acts on the denoised image as a whole gives
``after``: prediction applies it last, in stage order (:func:`finishing`). :func:`describe`
lists the stages. docs/adding-a-stage.md adds one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .config import Config, ModelConfig
from .correlation import channel_correlation, channel_correlations, haar_share, noise_correlation
from .data import channel_stats
from .data.shuffle import pd_split
from .data.variance import SIGNAL_DEPENDENT_SHARE, Stabilised, fit_stabiliser
from .errors import ConfigError
from .lines import line_noise, remove_lines
from .models.pretrained import find_pretrained, start_digest
from .noise_level import BOUND_SHARE, direct_noise_std, noise_priors
from .plan import Plan
from .posterior import LEAK_FLOOR

# The masked block where the noise reads correlated: demosaiced and JPEG noise is correlated
# over 1-2 pixels; blocks of 3 keep the masked pass blind to its nearest neighbours
# (docs/notes/benchmarks.md, "The real-sim suite").
MASK_BLOCK = 3
# The pixel-shuffle stride the summary advises where the noise reads correlated: bilinear
# demosaicing correlates pixels 1 and 2 apart (0.60 and 0.15 on the real-sim camera), but the
# sub-images of every third pixel lose more detail than the leftover correlation at 2 costs
# (docs/notes/benchmarks.md, "The real-sim suite": stride 2 +1.9 dB, stride 3 +1.4 dB on strong
# demosaiced noise). Not switched on by auto: on a phone's mild JPEG noise stride 2 cost
# 0.17 dB and stride 3 1.1 dB, and the correlation readout does not tell the two apart.
PD_STRIDE = 2
# The share of the camera start's own, zero-shot prediction in the output where the noise of
# colour channels (or of a grey photo) reads correlated and JPEG'd: there the self-supervised
# fine-tuning loses part of what the start brings (the masked objective makes the network
# blind where such noise needs it to see), and the equal mean of the two gained 0.24 dB on
# polyu-dev's 56 photos and 0.30 dB on the phone-jpeg kind over the run alone
# (docs/notes/benchmarks.md, "Mixing in the camera start on JPEG'd photos"). Not where the
# noise is neither JPEG'd nor noise-reduced (SHARED_NOISE): on the demosaiced camera kind the
# mean lost 0.23 dB.
START_SHARE = 0.5
# The mean correlation of the noise between colour channels (``reading["channels"]``) from which
# noise not JPEG'd is mixed with the start too: in-camera noise reduction takes out the noise's
# colour (what is left is shared by the channels) and smooths it past the masks' blocks, which
# the fine-tuned network then copies. The test bed's noise-reduced kinds read 0.74 to 0.93 and the
# mix gained 0.24 to 0.48 dB there; demosaiced noise, with or without a colour matrix or luma
# smoothing, reads -0.21 to 0.12, where the mix lost 0.24 to 0.77 dB (docs/notes/benchmarks.md,
# "Noise reduction without JPEG").
SHARED_NOISE = 0.5
PD_MAX_VALUES = 2**30  # 4 GB of float32 sub-images at most


@dataclass
class Planning:
    """What the stages read and write while a run is planned.

    ``images`` are the training images as the network will see them (a stage's
    ``to_network`` may change them); ``supervised``: a method with clean targets, which learns
    the noise as it is, so the stages decide nothing from the data; ``readings``: what each
    stage measured, by stage name (history.json; the summary says why from them); ``noise``:
    the noise stage's reading of every image (the trainer's run sigma reuses it); ``given``:
    the images as the user gave them (colour channels together, whatever the stages hand on).
    """

    config: Config
    images: list
    supervised: bool = False
    stats: list | None = None
    plan: Plan = field(default_factory=Plan)
    readings: dict = field(default_factory=dict)
    noise: dict | None = None
    given: list | None = None

    def __post_init__(self):
        if self.given is None:
            self.given = self.images

    def image_stats(self) -> list:
        """Each image's per-channel (mean, std) as the network sees it."""
        if self.stats is None:
            self.stats = [channel_stats(im) for im in self.images]
        return self.stats

    def decided(self, **values) -> None:
        self.plan = self.plan.model_copy(update=values)


@dataclass(frozen=True)
class Stage:
    """One stage of the pipeline (see the module)."""

    name: str
    doc: str
    decide: Callable[[Planning], None]
    explain: Callable[[Plan, dict], list[str]]
    note: Callable[[Plan, dict], str | None]
    on: dict
    off: dict | None  # None: always on
    to_network: Callable[[list, Plan], list] | None = None  # the training images as the network sees them
    after: Callable[[Plan], Callable[[np.ndarray], np.ndarray] | None] | None = None  # on the result


# -- start: the shipped starting point or random weights ---------------------------------------


def channels_apart(model: ModelConfig, colour: str, supervised: bool) -> bool:
    """Whether the start stage runs one grey network on each channel of ``model``'s images:
    several channels, a self-supervised method, and ``colour`` "apart", or "auto" where a grey
    start ships. On colour photos the grey start, channel by channel, beat a colour network
    trained from random weights by 1.9 dB alone (docs/notes/benchmarks.md, "Real camera
    photos")."""
    return (
        model.channels > 1
        and not supervised  # clean targets would need splitting alike; they train together
        and (colour == "apart" or (colour == "auto" and find_pretrained(model.grey) is not None))
    )


def _decide_start(p: Planning) -> None:
    model = p.config.model
    apart = channels_apart(model, p.config.training.colour, p.supervised)
    network = model.model_copy(update={"channels_apart": apart})
    init = p.config.training.init
    if init == "auto":  # where the package ships weights for this network (models/pretrained.py)
        init = "pretrained" if find_pretrained(network) is not None else "random"
    p.decided(init=init, channels_apart=apart)


def _channel_planes(images: list, plan: Plan) -> list:
    """Each channel of each image as a grey image of its own (``(1, *spatial)`` views): what
    a network that denoises channels apart trains on, at a grey network's cost per step."""
    if not plan.channels_apart:
        return images
    return [image[c : c + 1] for image in images for c in range(image.shape[0])]


START = Stage(
    "start",
    "fine-tune the shipped starting point (synthetic dead leaves) where the package has one for "
    "the network, else start from random weights",
    _decide_start,
    lambda plan, record: (
        (
            ["started from the shipped starting point (--init random for random weights)"]
            if plan.init == "pretrained"
            else []
        )
        + (
            [
                "one grey network denoises each channel as an image of its own (--colour together for one "
                "network over all channels)"
            ]
            if plan.channels_apart
            else []
        )
    ),
    lambda plan, record: (
        "; ".join(
            ["fine-tuned from the shipped start"] * (plan.init == "pretrained")
            + ["channels apart"] * plan.channels_apart
        )
        or None
    ),
    on={"init": "auto", "colour": "auto"},
    off={"init": "random", "colour": "together"},
    to_network=_channel_planes,
)


# -- lines: row / column offsets, which a blind-spot network keeps -----------------------------


def _decide_lines(p: Planning) -> None:
    setting = p.config.training.line_noise
    if setting != "auto":
        p.decided(lines=setting)
        return
    reading = None if p.supervised else line_noise(p.images)  # clean targets learn them away
    found = [] if reading is None else reading["found"]
    p.decided(lines={0: "none", 2: "both"}.get(len(found)) or found[0])
    if reading is not None:
        p.readings["lines"] = reading


def _explain_lines(plan: Plan, record: dict) -> list[str]:
    if plan.lines == "none":
        return []
    read = record.get("lines")
    why = (
        f"the noisy images carry line noise (agreement rows {read['rows']}, columns {read['columns']})"
        if read
        else "line_noise given"
    )
    offsets = {"both": "row and column", "rows": "row", "columns": "column"}[plan.lines]
    return [f"{why}: denoise removes the {offsets} offsets after the network (--no-lines to keep them)"]


def _lines_after(plan: Plan):
    rows, columns = plan.line_directions
    if not (rows or columns):
        return None
    return lambda out: remove_lines(out, rows=rows, columns=columns)


LINES = Stage(
    "lines",
    "read row / column offsets (sCMOS patterns, scan stripes) on the noisy images; denoise "
    "removes them after the network",
    _decide_lines,
    _explain_lines,
    lambda plan, record: f"line noise: {plan.lines} offsets removed" if plan.lines != "none" else None,
    on={"line_noise": "auto"},
    off={"line_noise": "none"},
    after=_lines_after,
)


# -- vst: variance stabilisation of noise that grows with intensity ----------------------------


def _decide_vst(p: Planning) -> None:
    tc = p.config.training
    if tc.vst == "gat" and p.supervised:
        raise ConfigError(f"vst gat is for self-supervised training, not method {p.config.method.name}")
    if tc.vst == "none" or p.supervised:
        return
    a, b = tc.vst_a, tc.vst_b
    if a is None or b is None:
        fit = fit_stabiliser(p.images) if p.config.model.channels == 1 else None
        dependent = fit is not None and fit[2] >= SIGNAL_DEPENDENT_SHARE
        if tc.vst == "auto" and not dependent:
            return
        if fit is None:
            why = (
                f"the images have {p.config.model.channels} channels"
                if p.config.model.channels != 1
                else "the noise level of these images does not grow with intensity"
            )
            raise ConfigError(f"vst gat: no gain and offset could be fitted ({why}); give vst_a and vst_b")
        a = a if a is not None else fit[0]
        b = b if b is not None else fit[1]
    p.decided(vst=(float(a), float(b)))


def _stabilised(images: list, plan: Plan) -> list:
    return [Stabilised(im, *plan.vst) for im in images] if plan.vst else images


VST = Stage(
    "vst",
    "fit variance = a * intensity + b^2 to the noisy images; where the noise grows with "
    "intensity, train on generalized-Anscombe-stabilised images and map back after",
    _decide_vst,
    lambda plan, record: (
        [
            f"signal-dependent noise (variance = {plan.vst[0]:.4g} * intensity + {plan.vst[1]:.4g}^2): "
            "trained on generalized-Anscombe-stabilised images; denoise maps back (--vst none to "
            "switch off)"
        ]
        if plan.vst
        else []
    ),
    lambda plan, record: (
        f"stabilised: vst gat, a={plan.vst[0]:.4g}, b={plan.vst[1]:.4g}" if plan.vst else None
    ),
    on={"vst": "auto"},
    off={"vst": "none"},
    to_network=_stabilised,
)


# -- correlation: noise correlated between neighbours (demosaicing, JPEG) ----------------------


def _decide_correlation(p: Planning) -> None:
    tc, masking = p.config.training, p.config.masking
    stride, block, reading = tc.pd_stride, None if masking is None else masking.block, None
    measure = tc.correlation == "auto" and not p.supervised  # clean targets learn the noise as it is
    if p.supervised:
        if stride not in (None, 1):
            raise ConfigError(f"pd_stride is for self-supervised training, not method {p.config.method.name}")
        stride = 1
    elif stride is None:  # auto: measured, and advised in the summary (PD_STRIDE), never switched on
        reading = noise_correlation(p.images) if measure else None
        stride = 1
    if masking is not None and block is None:  # auto: blocks where the noise is correlated
        if reading is None and stride == 1 and measure:
            reading = noise_correlation(p.images)
        block = MASK_BLOCK if stride == 1 and reading is not None and reading["correlated"] else 1
    # The std denoise reads is corrected for the correlation, but not for JPEG's: its noise is
    # gone where the image is smooth, which is where the std is read, and the posterior step
    # measured worse with the correction there (docs/notes/benchmarks.md, "The real-sim suite").
    correlated = reading is not None and reading["correlated"] and not reading["jpeg"]
    # Correlated noise on full-resolution images: the network's prediction carries part of each
    # pixel's noise, so the posterior step keeps a share of the residual however sure it looks.
    leak = stride == 1 and reading is not None and reading["correlated"]
    camera = _camera_start(p, reading)
    mix = camera and (reading["jpeg"] or _noise_reduced(p, reading))  # only at pd_stride 1
    own = channel_correlations(p.given) if correlated else None
    p.decided(
        pd_stride=stride,
        mask_block=block,
        noise_lags=reading["lags"] if correlated else None,
        noise_lags_by_channel=[c["lags"] for c in own] if own else None,
        noise_covariance_by_channel=[c["covariance"] for c in own] if own else None,
        noise_covariance=reading["covariance"] if correlated else None,
        noise_channels=reading["channels"] if correlated else None,
        posterior_floor=LEAK_FLOOR if leak else 0.0,
        start="camera" if camera else "gaussian",
        start_share=START_SHARE if mix else 0.0,
        start_digest=start_digest(p.config.model.grey, "camera") if mix else None,
    )
    if reading is not None:
        p.readings["correlation"] = reading


def _noise_reduced(p: Planning, reading: dict) -> bool:
    """Whether colour noise reads shared between the channels (:data:`SHARED_NOISE`): the mark
    of in-camera noise reduction. Channels apart, the reading was of grey planes: the channels'
    correlation is read from the images as given."""
    channels = reading["channels"]
    if channels is None and p.given[0].shape[0] > 1:
        channels = channel_correlation(p.given)
    if channels is None:
        return False
    between = np.asarray(channels, np.float64)
    return float(between[~np.eye(len(between), dtype=bool)].mean()) >= SHARED_NOISE


def _camera_start(p: Planning, reading: dict | None) -> bool:
    """Whether the run starts from the shipped start trained on camera-pipeline noise: colour
    images denoised channel by channel from a shipped start, whose noise reads correlated,
    and grey images from a shipped start whose noise reads correlated and JPEG'd (photos in
    grey). On polyu-dev's photos its fine-tuned network alone gained +0.20 dB where the
    Gaussian start's lost 0.05, the default +1.04 against +1.03, and on the test bed's camera
    kinds the default's worst image is better on each (docs/notes/benchmarks.md, "A start
    trained on camera noise"); on the luminance of JPEG'd photos the default gains more from
    it, mixed in, than from the Gaussian start ("Grey JPEG'd photos"). Other grey images with
    correlated noise (resampled microscopy) are not camera channels: not measured, they keep
    the Gaussian start."""
    if p.plan.init != "pretrained" or reading is None or not reading["correlated"]:
        return False
    grey_photo = p.config.model.channels == 1 and reading["jpeg"]
    if not (p.plan.channels_apart or grey_photo):
        return False
    return find_pretrained(p.config.model.grey, "camera") is not None


def _pixel_shuffled(images: list, plan: Plan) -> list:
    stride = plan.pd_stride
    if stride == 1:
        return images
    smallest = min(min(im.shape[-2:]) for im in images)
    if stride > smallest:
        raise ConfigError(f"pd_stride {stride} is larger than the smallest image ({smallest} pixels a side)")
    values = sum(int(np.prod(im.shape)) for im in images)
    if values > PD_MAX_VALUES:  # the sub-images are copies held in memory
        raise ConfigError(
            f"pixel shuffle (pd_stride {stride}) holds the images in memory: {values / 1e9:.1f} G values "
            f"is more than {PD_MAX_VALUES / 1e9:.1f} G; train on fewer images or with pd_stride 1"
        )
    return pd_split(images, stride)


def _explain_correlation(plan: Plan, record: dict) -> list[str]:
    c = record.get("correlation")
    if plan.pd_stride > 1:
        why = f"the noise reads correlated between neighbours ({c['max']:+.2f})" if c else "pd_stride given"
        return [
            f"{why}: trained on pixel-shuffled sub-images of every {plan.pd_stride}th pixel, where it is "
            "nearly independent; denoise does the same (--pd-stride 1 to switch off)"
        ]
    if c and c["correlated"]:
        block = plan.mask_block or 1
        masked = (
            f"masked {block} x {block} blocks, so the network cannot read a pixel's noise from its "
            "neighbours (--mask-block 1 to switch off); "
            if block > 1
            else ""
        )
        read = (
            "denoise reads each image's noise std corrected for the correlation"
            + (", at two scales (the finest keeps little of such noise)" if plan.noise_covariance else "")
            if plan.noise_lags
            else "JPEG: each image's noise reading is scaled as the noise stage says"
        )
        if plan.posterior_floor:
            read += (
                f"; the posterior step keeps at least {plan.posterior_floor:.0%} of each pixel's difference "
                "from the network, whose prediction carries part of such noise"
            )
        lines = [
            f"the noise reads correlated between neighbours ({c['max']:+.2f}): {masked}{read}; "
            f"--pd-stride {PD_STRIDE} (pixel-shuffled sub-images) is the alternative where the noise "
            "is strong and detail matters less (--correlation none to treat it as independent)"
        ]
        if plan.start == "camera":
            lines.append(
                f"{'colour channels' if plan.channels_apart else 'a grey photo'} with correlated noise: "
                "started from the shipped start trained on camera-pipeline noise, not Gaussian noise "
                "(--correlation none for the Gaussian start)"
            )
        if plan.start_share:
            lines.append(
                f"JPEG'd or noise-reduced: the output is {1 - plan.start_share:.0%} the run's and "
                f"{plan.start_share:.0%} the camera start's own prediction, which the fine-tuning does "
                "not keep on such noise "
                "(denoise --no-mix-start for the run's alone)"
            )
        return lines
    if c and c["max"] is not None:
        return [f"noise correlation between neighbours {c['max']:+.2f}: independent enough"]
    return []


def _note_correlation(plan: Plan, record: dict) -> str | None:
    notes = []
    if plan.mask_block and plan.mask_block > 1:
        notes.append(f"masked {plan.mask_block} x {plan.mask_block} blocks")
    if plan.start == "camera":
        notes.append("camera start")
    if plan.start_share:
        notes.append(f"blended with the camera start ({plan.start_share:.0%})")
    if plan.noise_lags:
        shares = [haar_share(lags) for lags in plan.noise_lags_by_channel or [plan.noise_lags]]
        shares = " / ".join(f"{share:.2f}" for share in shares)
        scales = ", two scales" if plan.noise_covariance else ""
        notes.append(f"noise std read for correlated noise (share {shares}{scales})")
    c = record.get("correlation")
    if c is not None and c["max"] is not None:
        notes.append(f"noise correlation {c['max']:+.2f}: pixel shuffle stride {plan.pd_stride}")
    elif plan.pd_stride > 1:
        notes.append(f"pixel shuffle stride {plan.pd_stride}")
    return "; ".join(notes) or None


CORRELATION = Stage(
    "correlation",
    "measure the noise's correlation between neighbours where it reads flattest; where it reads "
    "correlated, mask blocks, start from the camera-noise start (and, JPEG'd or noise-reduced, mix its own "
    "prediction into the output), read each image's noise std corrected for it and let the "
    "posterior step keep a share of each pixel's residual (pixel shuffle advised, not switched on)",
    _decide_correlation,
    _explain_correlation,
    _note_correlation,
    on={"correlation": "auto"},  # with pd_stride and mask_block auto, the defaults
    off={"correlation": "none"},
    to_network=_pixel_shuffled,
)


# -- noise: the training images' noise level, which every image is read against ---------------


def _decide_noise(p: Planning) -> None:
    p.noise = direct_noise_std(p.images, [std for _, std in p.image_stats()])
    p.decided(noise_prior=noise_priors(p.noise))


def _explain_noise(plan: Plan, record: dict) -> list[str]:
    sigma = record.get("sigma")
    if sigma is None:
        return []
    bound = "" if record.get("sigma_loss") is None else f" (the bound sigma_loss: {record['sigma_loss']:.4f})"
    readout = record.get("sigma_readout")
    readout = "" if readout is None else f"; the network's readout {readout:.4f}"
    domain = " of the stabilised images" if plan.vst else ""
    lines = [f"noise std{domain} (normalised units): sigma {sigma:.4f}{readout}{bound}"]
    if plan.noise_scale:
        lines.append(
            f"the noise reads correlated and JPEG'd, which pixel differences read low: each image's "
            f"reading is scaled by {plan.noise_scale:.2f}, to Noise2Info's estimate sigma_loss over the "
            "training images"
        )
    rule = (record.get("noise") or {}).get("sigma_rule")
    if rule == "bound":
        lines.append(f"the run's sigma is {BOUND_SHARE} of sigma_loss, which reads such noise closer")
    elif rule == "mean":
        lines.append(
            f"the noise reads correlated: the run's sigma is the geometric mean of the images' corrected "
            f"reading (low where in-camera noise reduction left the noise weakest) and {BOUND_SHARE} of "
            "sigma_loss (high by the network's own error)"
        )
    return lines


NOISE = Stage(
    "noise",
    "read the noise std of every training image from the images alone: the run's sigma, and "
    "the prior each image's reading is shrunk toward at prediction",
    _decide_noise,
    _explain_noise,
    lambda plan, record: f"noise readings scaled by {plan.noise_scale:.2f}" if plan.noise_scale else None,
    on={},
    off=None,  # always on: the run's sigma, the posterior step and the check read it
)


# -- refine: what follows Algorithm 2 ----------------------------------------------------------


def _decide_refine(p: Planning) -> None:
    refine = getattr(p.config.method, "refine", "none")  # only Noise2Info has a second stage
    p.decided(refine=None if refine == "auto" else refine)  # auto: chosen during training


def _explain_refine(plan: Plan, record: dict) -> list[str]:
    lines = []
    r = record.get("refine")
    if r:
        gain = "unknown" if r["gain_db"] is None else f"{r['gain_db']:+.2f} dB"
        then = {"sure": "trained the SURE stage after it", "posterior": "kept Algorithm 2"}.get(
            r["choice"], ""
        )
        estimate = r.get("why") or f"the posterior step was estimated to gain {gain}"
        lines.append(
            f"refine auto: at step {r['step']} {estimate}; chose {r['choice']}"
            + (f" ({then})" if then else "")
        )
    if plan.posterior:
        lines.append(
            "denoise weighs the network against each noisy pixel with the noise std it measures "
            "on the image (the posterior step; --no-posterior to switch off)"
        )
    return lines


def _note_refine(plan: Plan, record: dict) -> str | None:
    r = record.get("refine")
    if r is None:
        return None
    gain = "unknown" if r["gain_db"] is None else f"{r['gain_db']:+.2f} dB"
    why = r.get("why") or f"the posterior step: {gain} at step {r['step']}"
    return f"refine auto: {r['choice']} ({why})"


REFINE = Stage(
    "refine",
    "at refine_after, estimate the posterior step's gain on the half-trained network (SURE): "
    "the posterior step at prediction where it gains enough, else a SURE training stage",
    _decide_refine,
    _explain_refine,
    _note_refine,
    on={"refine": "auto"},
    off={"refine": "none"},
)


STAGES: tuple[Stage, ...] = (START, LINES, VST, CORRELATION, NOISE, REFINE)
STAGE_NAMES = tuple(s.name for s in STAGES)


def stage(name: str) -> Stage:
    """The stage called ``name``."""
    for s in STAGES:
        if s.name == name:
            return s
    raise KeyError(f"no stage {name!r}; the stages: {', '.join(STAGE_NAMES)}")


def make_plan(images: list, config: Config, *, stats: list | None = None) -> Planning:
    """Run every stage's ``decide`` on the training images, in order.

    Parameters
    ----------
    images : list of array-like
        The noisy training images, ``(C, *spatial)``, in their own units.
    config : Config
        The user's settings (``model.channels`` set from the data). A method with clean
        targets learns the noise as it is: the stages measure nothing for it.
    stats : list, optional
        Each image's :func:`noise2info.data.channel_stats`, if already computed.

    Returns
    -------
    Planning
        ``plan`` (the refinement still None under ``refine auto``), the images and their
        statistics as the network sees them, and what each stage read.
    """
    supervised = config.method.build_objective().needs_clean
    p = Planning(config, list(images), supervised, stats)
    for s in STAGES:
        s.decide(p)
        if s.to_network is not None:
            seen = s.to_network(p.images, p.plan)
            if seen is not p.images:
                p.images, p.stats = seen, None
    p.plan = Plan.model_validate(p.plan.model_dump())  # plain JSON types, as plan.json reads back
    return p


def run_stage(name: str, images: list, config: Config) -> Planning:
    """The stage ``name`` alone on ``images`` (its test): what it decides from them, and the
    images as it hands them on."""
    p = Planning(config, list(images), config.method.build_objective().needs_clean)
    s = stage(name)
    s.decide(p)
    if s.to_network is not None:
        p.images = s.to_network(p.images, p.plan)
    return p


def apply_plan(images: list, plan: Plan, stats: list | None = None) -> tuple[list, list | None]:
    """The images as a network trained under ``plan`` sees them, and their statistics
    (``stats`` kept where no stage changed the images, else None)."""
    for s in STAGES:
        if s.to_network is not None:
            seen = s.to_network(images, plan)
            if seen is not images:
                images, stats = seen, None
    return images, stats


def finishing(plan: Plan) -> list[Callable[[np.ndarray], np.ndarray]]:
    """What prediction does to the whole denoised image under ``plan`` after the network, in
    stage order (e.g. the line offsets removed); empty when nothing."""
    return [f for s in STAGES if s.after is not None and (f := s.after(plan)) is not None]


def explain(plan: Plan, record: dict) -> list[str]:
    """What each stage decided and why, a line or two each, in order (the ``train`` summary,
    the run report). ``record`` is the run's history as history.json holds it (the stages'
    readings, ``sigma``, ``sigma_loss``, ``sigma_readout``)."""
    return [line for s in STAGES for line in s.explain(plan, record)]


def notes(plan: Plan, record: dict) -> str:
    """The decisions in a few words each, joined by semicolons (the benchmark tables)."""
    return "; ".join(n for s in STAGES if (n := s.note(plan, record)) is not None)


def stage_settings(which: str, names: tuple[str, ...]) -> dict:
    """The flat settings (for :func:`noise2info.make_config`) that switch the named stages
    ``'on'`` (deciding from the data, the defaults) or ``'off'``."""
    out: dict = {}
    for name in names:
        chosen = getattr(stage(name), which)
        if chosen is None:
            raise ValueError(f"stage {name} has no off setting: it is always on")
        out.update(chosen)
    return out


def describe() -> list[dict]:
    """Every stage as a row: ``name``, what it decides (``doc``), and its ``on`` and ``off``
    settings (None: always on); the docs and the run report list them."""
    return [{"stage": s.name, "doc": s.doc, "on": s.on, "off": s.off} for s in STAGES]
