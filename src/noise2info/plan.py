"""What a run decided from its training images: the :class:`Plan`.

The user's settings live in :class:`~noise2info.config.Config` (``config.json``); what the
pipeline's stages measured and chose from the data lives here (``plan.json``), apart, as
scikit-learn keeps constructor parameters apart from what ``fit`` learns. A plan is made by
:func:`noise2info.pipeline.make_plan` when training starts (the refinement is chosen later,
at ``refine_after``), carried by what :func:`~noise2info.train` and
:func:`~noise2info.load_run` return, and passed explicitly to prediction and export: a
network alone predicts with ``Plan()``, the network and nothing else.
"""

from __future__ import annotations

from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field
from torch import nn

PLAN_VERSION = 1


class Plan(BaseModel):
    """The decisions of one run, in the order its stages make them
    (:data:`noise2info.pipeline.STAGES`).

    Attributes
    ----------
    init : {'pretrained', 'random'}
        How the network started (stage ``start``).
    start : {'gaussian', 'camera'}
        With ``init`` pretrained, which shipped start (:mod:`noise2info.models.pretrained`):
        the one trained on independent Gaussian noise, or, where colour channels' noise reads
        correlated or a grey image's reads correlated and JPEG'd, the one trained on
        camera-pipeline noise (stage ``correlation``).
    start_share : float
        The share of the shipped start's own prediction (``start``, zero-shot) in the output,
        the rest the run's (after the posterior step): :data:`noise2info.pipeline.START_SHARE`
        for JPEG'd correlated noise from the camera start, colour or grey, and for colour noise
        read shared between the channels (in-camera noise reduction; stage ``correlation``), 0
        otherwise.
    start_digest : str or None
        With ``start_share``, the shipped start's file digest
        (:func:`noise2info.models.pretrained.start_digest`): prediction refuses another one.
    channels_apart : bool
        One grey network denoised each channel as an image of its own (stage ``start``; the
        network's ``model.channels_apart``).
    lines : {'none', 'rows', 'columns', 'both'}
        The row / column offsets removed after the network (stage ``lines``).
    vst : (a, b) or None
        Gain and offset of the generalized Anscombe transform the network was trained under
        (stage ``vst``); None: the images as they are.
    pd_stride : int
        Pixel-shuffle stride: the network saw every ``pd_stride``-th pixel's sub-images
        (stage ``correlation``).
    mask_block : int or None
        Side of the block masked around each masked pixel (stage ``correlation``); None for
        a method that masks nothing.
    noise_lags : dict or None
        The noise's correlation between neighbours (lags ``'dy,dx'``) that each image's
        noise std is corrected for (stage ``correlation``); None: independent noise.
    noise_lags_by_channel : list of dict or None
        Beside ``noise_lags``, each colour channel's own correlation between neighbours
        (:func:`noise2info.correlation.channel_correlations`): each channel's noise std is corrected
        for its own (demosaicing leaves green's noise finer than red's and blue's; stage
        ``correlation``). None: one channel, independent noise, or a run from before it (every
        channel is then corrected for ``noise_lags``).
    noise_covariance : dict or None
        Beside ``noise_lags``, the noise's correlation at every lag out to
        :data:`noise2info.correlation.REACH` pixels, unbent by the reading's block fit
        (:func:`noise2info.correlation.unbent_correlation`): the check's probe carries it, and
        each image's noise std read at the second scale is corrected for it
        (:func:`noise2info.correlation.coarse_share`; stage ``correlation``). None: independent
        noise, or a run from before it (the probe then carries ``noise_lags``, and the std is
        read at the finest scale alone).
    noise_covariance_by_channel : list of dict or None
        Beside ``noise_covariance``, each colour channel's own, for its second-scale reading;
        None as ``noise_lags_by_channel``.
    noise_channels : list or None
        The noise's C x C correlation between channels (stage ``correlation``): the check's
        probe carries it where one network sees all the channels. None: independent noise,
        one channel, or a run from before it.
    noise_prior : list or None
        Each channel's log noise variance pooled over the training images and its spread, in
        intensity units as the network sees them (stage ``noise``); each image's reading is
        shrunk toward it. None: each image's own reading alone.
    noise_scale : float or None
        Where the noise reads correlated and JPEG'd (its fine-scale differences read low), each
        image's noise reading is multiplied by this: the training images' readings scaled to
        Noise2Info's estimate ``sigma_loss`` (set by the trainer at refine_after and at the end;
        stage ``noise``). None: the readings as they are.
    posterior_floor : float
        The least share of X - mu the posterior step keeps (:func:`noise2info.posterior.posterior_mean`):
        :data:`noise2info.posterior.LEAK_FLOOR` where the noise reads correlated and the images
        are not pixel-shuffled (stage ``correlation``), 0 otherwise.
    refine : {'posterior', 'sure', 'none'} or None
        What follows Algorithm 2 (stage ``refine``); None while ``refine auto`` has not chosen.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = PLAN_VERSION
    init: Literal["pretrained", "random"] = "random"
    start: Literal["gaussian", "camera"] = "gaussian"
    start_share: float = Field(0.0, ge=0, le=1)
    start_digest: str | None = None
    channels_apart: bool = False
    lines: Literal["none", "rows", "columns", "both"] = "none"
    vst: tuple[float, float] | None = None
    pd_stride: int = Field(1, ge=1)
    mask_block: int | None = Field(None, ge=1)
    noise_lags: dict[str, float] | None = None
    noise_lags_by_channel: list[dict[str, float | None]] | None = None
    noise_covariance: dict[str, float] | None = None
    noise_covariance_by_channel: list[dict[str, float] | None] | None = None
    noise_channels: list[list[float]] | None = None
    noise_prior: list[tuple[float, float] | None] | None = None
    noise_scale: float | None = Field(None, gt=0)
    posterior_floor: float = Field(0.0, ge=0, lt=1)
    refine: Literal["posterior", "sure", "none"] | None = "none"

    @property
    def posterior(self) -> bool:
        """Whether prediction weighs the network against each noisy pixel
        (:mod:`noise2info.posterior`)."""
        return self.refine == "posterior"

    @property
    def line_directions(self) -> tuple[bool, bool]:
        """``(rows, columns)``: which offsets prediction removes."""
        return self.lines in ("rows", "both"), self.lines in ("columns", "both")


class Trained(Protocol):
    """Anything that holds a network and its plan: a :class:`~noise2info.Run`, a
    :class:`~noise2info.TrainResult`, or a :class:`~noise2info.training.Trainer` mid-run."""

    model: nn.Module
    plan: Plan


def network_and_plan(model: nn.Module | Trained, plan: Plan | None = None) -> tuple[nn.Module, Plan]:
    """The network and the plan to predict with: a run's own plan unless ``plan`` is given;
    a bare network predicts with ``plan`` or, without one, alone."""
    if isinstance(model, nn.Module):
        return model, plan if plan is not None else Plan()
    return model.model, plan if plan is not None else model.plan
