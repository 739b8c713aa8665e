"""Old ``config.json`` files upgraded on load, one step per version, so every run folder
written by an earlier noise2info still loads and resumes as it ran.

Up to version 10 the config also held what the run measured on its data (the noise prior,
the correlation, the resolved VST, lines, blocks and refinement); version 11 keeps only the
user's settings and the measured values move to the run's :class:`~noise2info.plan.Plan`
(:func:`legacy_plan` reads them out of an old file).
"""

from __future__ import annotations

import json

from ..plan import Plan


def upgrade(data: dict, to: int | None = None) -> dict:
    """``data`` (a config as read from JSON) upgraded step by step to version ``to``
    (default: the current one); a newer or current version is returned as it is."""
    from .schema import CONFIG_VERSION

    to = CONFIG_VERSION if to is None else to
    while isinstance(data.get("version"), int) and data["version"] < to and data["version"] in _STEPS:
        data = _STEPS[data["version"]](data)
    return data


def _copy(data: dict) -> dict:
    return json.loads(json.dumps(data))


def _method_fields(name: str) -> dict:
    from .schema import METHODS

    return METHODS[name].model_fields


def _upgrade_v1(data: dict) -> dict:
    """Version 1 (noise2info 0.1) kept the method and its settings in ``training`` and the
    masking at the top; move them into ``method`` so old run folders still load."""
    data = _copy(data)
    training = data.setdefault("training", {})
    method = {"name": training.pop("method", "noise2info")}
    for key in ("sigma", "k_t", "k_u", "k_mc"):
        value = training.pop(key, None)
        if value is not None and key in _method_fields(method["name"]):
            method[key] = value
    masking = data.pop("masking", None)
    if masking is not None and "masking" in _method_fields(method["name"]):
        method["masking"] = masking
    data.update(version=2, method=method)
    return data


def _upgrade_v2(data: dict) -> dict:
    """Version 2 ran Noise2Info's first sigma round after k_t steps, like the others, and had
    no second stage; keep that, so a version-2 run resumes exactly."""
    data = _copy(data)
    method = data.get("method", {})
    if method.get("name", "noise2info") == "noise2info":
        method.setdefault("refine", "none")  # version 2 had no second stage
        if method.get("k_t") is not None:
            method.setdefault("first_round", method["k_t"])
    data["version"] = 3
    return data


def _upgrade_v3(data: dict) -> dict:
    """Version 3 always started from random weights."""
    data = _copy(data)
    data.setdefault("training", {}).setdefault("init", "random")
    data["version"] = 4
    return data


def _upgrade_v4(data: dict) -> dict:
    """Version 4 trained on the images as they are (no variance stabilisation)."""
    data = _copy(data)
    data.setdefault("training", {}).setdefault("vst", "none")
    data["version"] = 5
    return data


def _refine_default(data: dict, default: str) -> dict:
    """A Noise2Info config of a version whose ``refine`` default was ``default``, one version on."""
    data = _copy(data)
    method = data.get("method", {})
    if method.get("name", "noise2info") == "noise2info":
        method.setdefault("refine", default)
    data["version"] += 1
    return data


def _upgrade_v5(data: dict) -> dict:
    """Version 5's Noise2Info default was the SURE second stage, with no posterior step."""
    return _refine_default(data, "sure")


def _upgrade_v6(data: dict) -> dict:
    """Version 6's Noise2Info default was the posterior step, chosen without measuring."""
    return _refine_default(data, "posterior")


def _upgrade_v8(data: dict) -> dict:
    """Version 8 trained on the images as they are, whatever their noise's correlation."""
    data = _copy(data)
    data.setdefault("training", {}).setdefault("pd_stride", 1)
    data["version"] = 9
    return data


def _upgrade_v9(data: dict) -> dict:
    """Version 9 left row and column offsets in the output and masked single pixels."""
    data = _copy(data)
    data.setdefault("training", {}).setdefault("line_noise", "none")
    method = data.setdefault("method", {})
    field = _method_fields(method.get("name", "noise2info")).get("masking")
    if field is not None:
        masking = method.setdefault("masking", field.default.model_dump())
        if masking.get("block") is None:
            masking["block"] = 1
    data["version"] = 10
    return data


def _upgrade_v7(data: dict) -> dict:
    """Version 8 added training.noise_prior (None: as before)."""
    return {**data, "version": 8}


def _upgrade_v10(data: dict) -> dict:
    """Version 10 kept the measured noise prior and correlation in ``training``; they are the
    plan's now (:func:`legacy_plan`). An empty correlation was the "as if independent" switch:
    ``correlation none``."""
    data = _copy(data)
    training = data.setdefault("training", {})
    training.pop("noise_prior", None)
    lags = training.pop("noise_lags", None)
    if lags == {}:
        training["correlation"] = "none"
    data["version"] = 11
    return data


_STEPS = {
    1: _upgrade_v1,
    2: _upgrade_v2,
    3: _upgrade_v3,
    4: _upgrade_v4,
    5: _upgrade_v5,
    6: _upgrade_v6,
    7: _upgrade_v7,
    8: _upgrade_v8,
    9: _upgrade_v9,
    10: _upgrade_v10,
}


def legacy_plan(data: dict) -> Plan | None:
    """The plan of a run folder written before plan.json existed (config version 10 or
    older), from the resolved values its config held; None for a newer config."""
    if not isinstance(data.get("version"), int) or data["version"] > 10:
        return None
    data = upgrade(_copy(data), to=10)
    training, method = data.get("training", {}), data.get("method", {})
    name = method.get("name", "noise2info")
    masking = method.get("masking", {}) if "masking" in _method_fields(name) else None
    refine = method.get("refine", "none") if name == "noise2info" else "none"
    vst = training.get("vst") == "gat"
    init = training.get("init", "random")
    return Plan(
        init=init if init in ("pretrained", "random") else "random",
        lines=training.get("line_noise") if training.get("line_noise") != "auto" else "none",
        vst=(training["vst_a"], training["vst_b"]) if vst else None,
        pd_stride=training.get("pd_stride") or 1,
        mask_block=None if masking is None else masking.get("block") or 1,
        noise_lags=training.get("noise_lags") or None,
        noise_prior=training.get("noise_prior"),
        refine=None if refine == "auto" else refine,
    )
