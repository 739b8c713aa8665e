"""The denoisers compared, each run on one Case under one Budget.

Learned methods share one trainer (the variant is a parameter) and the same steps, network,
patches and seed; classical ones (NLM, BM3D) run per test image.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..config import make_config
from ..models.pretrained import find_pretrained
from ..pipeline import PD_STRIDE, channels_apart, notes, stage_settings
from ..prediction import denoise
from ..run import run_record
from ..training import train
from .budgets import Budget
from .suites import Case


@dataclass(frozen=True)
class Method:
    name: str
    kind: str  # 'learned' or 'classical'
    # A learned method's settings for make_config; sigma 'oracle' stands for the true sigma_n.
    settings: dict = field(default_factory=dict)
    sigma: str | None = None  # a classical method's noise level: 'oracle' or 'estimated'
    # Suite families the row is for (None: all); elsewhere it is reported as not run.
    families: tuple[str, ...] | None = None


# The pipeline's stages that decide from the data (noise2info.pipeline): the default rows
# switch them on as the CLI does; every other row trains on the images as they are, from
# random weights (the stages' off settings); a row's own settings win.
_DATA_STAGES = ("lines", "vst", "correlation")
_DEFAULT = stage_settings("on", _DATA_STAGES)
_BASELINE = stage_settings("off", ("start", *_DATA_STAGES))
METHODS = [
    # The default pipeline: donut masking, early first round, Algorithm 2 and then the
    # posterior step at prediction or the SURE stage, whichever the run estimates better
    # (refine "auto"), variance stabilisation where the noise grows with intensity; from
    # random weights like every other row, and fine-tuned from the shipped starting point
    # (where the budget's network has one), reported apart; line offsets removed after the
    # network where the images carry them. The other rows train on the images as they are.
    Method("noise2info (default)", "learned", {"method": "noise2info", **_DEFAULT}),
    # Fine-tuned as the CLI does: colour images channel by channel from the shipped starts
    # (the camera start where the noise reads correlated). The fine-tuned peers below keep
    # their channels together, so on colour kinds they find no shipped weights.
    Method(
        "noise2info (default, fine-tuned)",
        "learned",
        {"method": "noise2info", **stage_settings("on", ("start",)), "init": "pretrained", **_DEFAULT},
    ),
    # The default with the pixel shuffle for correlated noise (off by default: pipeline.PD_STRIDE).
    Method(
        "noise2info (default, pixel shuffle)",
        "learned",
        {"method": "noise2info", **_DEFAULT, "pd_stride": PD_STRIDE},
    ),
    # The default as if the noise were independent: no line removal, single masked pixels and
    # no correction of the noise std for its correlation (the pixel shuffle is off in both).
    Method(
        "noise2info (default, as if independent)",
        "learned",
        {"method": "noise2info", **_DEFAULT, **stage_settings("off", ("lines", "correlation"))},
        families=("real",),  # on independent noise it is the default itself
    ),
    # As in the paper: Algorithm 2 alone.
    Method("noise2info-R", "learned", {"method": "noise2info", "masking": "gaussian", "refine": "none"}),
    Method("noise2info-D", "learned", {"method": "noise2info", "masking": "donut", "refine": "none"}),
    Method(
        "noise2same-R (sigma_loss=1)",
        "learned",
        {"method": "noise2same", "masking": "gaussian", "sigma": 1.0},
    ),
    Method(
        "noise2same-D (sigma_loss=1)", "learned", {"method": "noise2same", "masking": "donut", "sigma": 1.0}
    ),
    Method(
        "noise2same-D (oracle sigma_n)",
        "learned",
        {"method": "noise2same", "masking": "donut", "sigma": "oracle"},
    ),
    Method("noise2self-D", "learned", {"method": "noise2self", "masking": "donut"}),
    Method("supervised", "learned", {"method": "supervised"}),
    # The same start for the peers the default is judged against: the starting point helps
    # every method, so the fine-tuned default is compared with fine-tuned peers too.
    Method(
        "noise2self-D (fine-tuned)",
        "learned",
        {"method": "noise2self", "masking": "donut", "init": "pretrained"},
    ),
    Method("supervised (fine-tuned)", "learned", {"method": "supervised", "init": "pretrained"}),
    Method("NLM", "classical"),
    Method("BM3D (oracle sigma)", "classical", sigma="oracle"),
    Method("BM3D (estimated sigma)", "classical", sigma="estimated"),
]


@dataclass
class Outcome:
    predictions: list[np.ndarray]
    train_seconds: float
    predict_seconds: float  # per image
    sigma_loss: float | None = None
    history: dict | None = None
    note: str = ""
    sigma: float | None = None  # the noise readout of the trained network (sigma_readout)
    # Each test image's expected gain from the noisy image alone (noise2info.safety).
    gains: list[float | None] | None = None


def as_chw(x: np.ndarray) -> np.ndarray:
    """A suite's image as the trainer takes it: ``(C, H, W)``; grey ``(H, W)`` gains C = 1."""
    return x[None] if x.ndim == 2 else x


def run_learned(m: Method, case: Case, budget: Budget, seed: int) -> Outcome:
    if m.settings.get("method") == "supervised" and case.trained_on_test:
        return Outcome([], 0.0, 0.0, note="not run: this suite trains on its test images")
    if m.families is not None and case.family not in m.families:
        return Outcome([], 0.0, 0.0, note=f"not run: for {', '.join(m.families)} suites")
    settings = {**_BASELINE, **m.settings}
    if settings.get("sigma") == "oracle":
        settings["sigma"] = case.sigma_n_train
    cfg = make_config(
        preset=budget.preset,
        **settings,
        steps=budget.steps[case.family],
        batch_size=budget.batch_size,
        patch_size=min(budget.patch_size, _largest_patch(case)),
        lr_decay_every=budget.lr_decay_every,
        lr=budget.lr,
        seed=seed,
        log_every=max(1, budget.steps[case.family] // 200),
    )
    images = [as_chw(x).astype(np.float32) for x in case.train_noisy]
    network = cfg.model.model_copy(update={"channels": images[0].shape[0]})
    cfg = cfg.model_copy(update={"model": network})
    # The weights the start stage would look for (a grey network on each channel, if apart).
    supervised = cfg.method.build_objective().needs_clean
    apart = channels_apart(network, cfg.training.colour, supervised)
    network = network.model_copy(update={"channels_apart": apart})
    if cfg.training.init == "pretrained" and find_pretrained(network) is None:
        return Outcome(
            [],
            0.0,
            0.0,
            note=f"no shipped weights for the {budget.preset} preset, {network.channels} channel(s)",
        )
    clean = [as_chw(y).astype(np.float32) for y in case.train_signal]
    result = train(images, cfg, clean=clean, progress=False)  # used only by methods that need it
    t0 = time.perf_counter()
    preds = [denoise(result, as_chw(x)).reshape(x.shape) for x in case.test_noisy]
    per_image = (time.perf_counter() - t0) / len(preds)
    # Apart from the timing: the check's extra pass is not part of a plain prediction.
    gains = [denoise(result, as_chw(x), return_gain=True)[1]["gain_db"] for x in case.test_noisy]
    note = notes(result.plan, run_record(result))  # what the pipeline's stages decided
    return Outcome(
        preds,
        result.seconds,
        per_image,
        result.sigma_loss,
        result.history.to_dict(),
        note,
        result.sigma_readout,
        gains,
    )


def _largest_patch(case: Case) -> int:
    """Patches no larger than the smallest training image, in multiples of the U-Net's."""
    smallest = min(min(x.shape[-2:]) for x in case.train_noisy)
    return max(16, smallest // 16 * 16)


def run_classical(m: Method, case: Case) -> Outcome:
    from skimage.restoration import denoise_nl_means

    preds = []
    t0 = time.perf_counter()
    note = ""
    if m.name == "NLM":
        for x in case.test_noisy:
            s = _blind_sigma(x)
            colour = x.ndim == 3 and x.shape[0] > 1
            plane = x if colour else x.reshape(x.shape[-2:])
            out = denoise_nl_means(
                plane, h=0.8 * s, sigma=s, patch_size=5, patch_distance=6, fast_mode=True,
                channel_axis=0 if colour else None,
            )  # fmt: skip
            preds.append(out.reshape(x.shape))
    else:
        try:
            import bm3d
        except ImportError:
            return Outcome([], 0.0, 0.0, note="bm3d not installed: pip install 'noise2info[bench]'")
        for x in case.test_noisy:
            s = max(case.noise_std if m.sigma == "oracle" else _blind_sigma(x), 1e-6)
            if x.ndim == 3 and x.shape[0] == 3:  # colour: BM3D's own colour version (CBM3D)
                preds.append(np.moveaxis(bm3d.bm3d_rgb(np.moveaxis(x, 0, -1), sigma_psd=s), -1, 0))
            else:
                preds.append(bm3d.bm3d(x.reshape(x.shape[-2:]), sigma_psd=s).reshape(x.shape))
        note = "oracle sigma = std of X - Y" if m.sigma == "oracle" else "sigma from skimage estimate_sigma"
    return Outcome(preds, 0.0, (time.perf_counter() - t0) / len(case.test_noisy), note=note)


def _blind_sigma(x: np.ndarray) -> float:
    """scikit-image's noise std of a grey ``(H, W)`` or ``(C, H, W)`` image (channels averaged)."""
    from skimage.restoration import estimate_sigma

    if x.ndim == 3 and x.shape[0] > 1:
        return float(estimate_sigma(x, channel_axis=0, average_sigmas=True))
    return float(estimate_sigma(x.reshape(x.shape[-2:])))


def run_method(m: Method, case: Case, budget: Budget, seed: int) -> Outcome:
    return run_learned(m, case, budget, seed) if m.kind == "learned" else run_classical(m, case)
