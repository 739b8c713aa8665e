"""The flat settings layer: one name per setting, for users who do not want the nested tree.

:func:`make_config` builds a config from flat names (``steps=...``, ``masking='donut'``);
:func:`updated` applies flat overrides to a saved one (``train --resume``); the CLI's options
are generated from the same fields (:func:`settings`), so a default or a help text changed in
the schema reaches the command line by itself; :func:`explain` says a validation error in
those names.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from typing import Literal, Union

from pydantic import ValidationError

from ..errors import ConfigError
from .schema import (
    DEFAULT_PRESET,
    METHODS,
    PRESETS,
    Config,
    MaskingConfig,
    ModelConfig,
    TrainingConfig,
)

# Settings measured on the data are the plan's, not options (noise2info.plan).
_NOT_OPTIONS = ("channels", "channels_apart")


def explain(err: ValidationError) -> str:
    """The first problem of a validation error in the user's words."""
    first = err.errors()[0]
    loc = [str(part) for part in first["loc"]]
    if first["type"] == "extra_forbidden" and len(loc) >= 3 and loc[0] == "method":
        method, field = loc[1], loc[-1]
        own = [f for f in METHODS[method].model_fields if f != "name"] if method in METHODS else []
        return f"{field} is not a setting of method {method} (its settings: {', '.join(own) or 'none'})"
    if first["type"] == "value_error":  # our own checks: the message says it all
        return first["msg"].removeprefix("Value error, ")
    if loc[:1] == ["method"] and len(loc) > 1 and loc[1] in METHODS:
        loc = [loc[0], *loc[2:]]  # 'method.noise2same.sigma' reads as 'method.sigma'
    flat = {where: alias for alias, where in _ALIASES.items()}
    name = flat.get(tuple(loc[-2:]), loc[-1] if len(loc) > 1 else ".".join(loc))
    return f"invalid setting {name} ({'.'.join(loc)}): {first['msg']}"


# Flat name -> (section, field). Model, masking and training fields keep their names except
# where a shorter one reads better on a command line; any other name is a method's field.
_ALIASES = {
    "features": ("model", "base_features"),
    "masking": ("masking", "replacement"),
    "mask_percent": ("masking", "percent"),
    "mask_std": ("masking", "gaussian_std"),
    "mask_block": ("masking", "block"),
}
_SECTIONS = {"model": ModelConfig, "masking": MaskingConfig, "training": TrainingConfig}


def _where(name: str) -> tuple[str, str]:
    if name in _ALIASES:
        return _ALIASES[name]
    for section, cls in _SECTIONS.items():
        if name in cls.model_fields and section != "masking":
            return section, name
    if any(name in cls.model_fields for cls in METHODS.values()):
        return "method", name  # the chosen method's class says whether it takes it
    known = ", ".join(s.name for s in settings())
    raise ConfigError(f"unknown setting {name!r}; the settings are: {known}")


def _apply(tree: dict, overrides: dict) -> dict:
    """``tree`` (a config as a dict) with flat ``overrides`` written into it."""
    preset = overrides.pop("preset", None)
    if preset is not None:
        if preset not in PRESETS:
            raise ConfigError(f"unknown preset {preset!r}; choose one of {', '.join(sorted(PRESETS))}")
        # Explicit depth / features win over the preset's.
        overrides = {
            **{k if k != "base_features" else "features": v for k, v in PRESETS[preset].items()},
            **overrides,
        }
    name = overrides.pop("method", None)
    if name is not None and name != tree.get("method", {}).get("name"):
        tree["method"] = {"name": name}  # another method starts from its own defaults
    for key, value in overrides.items():
        section, field = _where(key)
        if section == "masking":
            method = tree.setdefault("method", {})
            if "masking" not in method:  # one masking field changed: the method's others kept
                field_info = METHODS[method.get("name", _default_method())].model_fields.get("masking")
                method["masking"] = field_info.default.model_dump() if field_info else {}
            method["masking"][field] = value
        else:
            tree.setdefault(section, {})[field] = value
    return tree


def _validated(tree: dict) -> Config:
    try:
        return Config.model_validate(tree)
    except ValidationError as err:
        raise ConfigError(explain(err)) from None


def _default_method() -> str:
    return Config.model_fields["method"].default_factory().name


def make_config(**settings) -> Config:
    """A config from flat names, for users who do not want the nested tree.

    Parameters
    ----------
    preset : {'cpu', 'paper', 'tiny'}, default 'cpu'
        Network size (see ``PRESETS``); ``depth`` / ``features`` override it.
    method : {'noise2info', 'noise2same', 'noise2self', 'supervised'}, default 'noise2info'
        The training method; its own settings (``sigma``, ``k_t``, ``k_u``, ``k_mc``,
        ``masking``, ``mask_percent``) are refused for a method that does not use them.
    **settings
        Any field of :class:`ModelConfig` or :class:`TrainingConfig` by name, ``features``
        for ``base_features``, and the method's fields.

    Raises
    ------
    ConfigError
        An unknown or out-of-range setting, or one the method does not use.

    Examples
    --------
    >>> make_config(preset="tiny", steps=300, batch_size=4).method.k_t
    100
    """
    settings = {"preset": DEFAULT_PRESET, "method": _default_method(), **settings}
    return _validated(_apply({}, settings))


def updated(config: Config, **overrides) -> Config:
    """``config`` with flat ``overrides`` applied: a resumed run's saved config updated with
    the options given again. Numbers already resolved (k_t, k_u, lr_decay_every) are kept,
    also when ``steps`` changes; build a new run's config with :func:`make_config`."""
    return _validated(_apply(config.model_dump(mode="json"), dict(overrides)))


SCHEDULE_SETTINGS = ("k_t", "k_u", "first_round", "refine_after", "lr_decay_every")


def rescheduled(config: Config, steps: int, keep=()) -> Config:
    """``config`` for ``steps`` steps, its schedule (``SCHEDULE_SETTINGS``) derived again for
    them except the settings named in ``keep`` (those a user gave): ``train --time``."""
    tree = config.model_dump(mode="json")
    tree["training"].update(steps=steps)
    for name in SCHEDULE_SETTINGS:
        section = tree["training"] if name in tree["training"] else tree["method"]
        if name in section and name not in keep:
            section[name] = None
    return _validated(tree)


def config_diff(saved: Config, wanted: Config) -> list[str]:
    """``'section.field: saved -> wanted'`` for every field that differs."""

    def flat(d: dict, prefix: str = "") -> dict:
        out = {}
        for k, v in d.items():
            out.update(flat(v, f"{prefix}{k}.") if isinstance(v, dict) else {f"{prefix}{k}": v})
        return out

    a, b = flat(saved.model_dump(mode="json")), flat(wanted.model_dump(mode="json"))
    return [f"{k}: {a.get(k)!r} -> {b.get(k)!r}" for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]


@dataclass(frozen=True)
class Setting:
    """One flat setting as the CLI shows it: type, choices, default and help from the field."""

    name: str
    type: type
    choices: tuple | None
    default: str
    help: str


def _plain_type(annotation) -> tuple[type, tuple | None]:
    if typing.get_origin(annotation) is Literal:
        choices = typing.get_args(annotation)
        return type(choices[0]), choices
    if typing.get_origin(annotation) in (Union, types.UnionType):
        return next(a for a in typing.get_args(annotation) if a is not type(None)), None
    return annotation, None


def settings() -> list[Setting]:
    """Every flat setting a user may give (the CLI's training options), in a stable order."""
    out = [
        Setting("preset", str, tuple(sorted(PRESETS)), DEFAULT_PRESET, "network size (depth, features)"),
        Setting("method", str, tuple(METHODS), _default_method(), "training method"),
    ]

    def add(name: str, info, defaults: dict[str, object], owners: str = "") -> None:
        kind, choices = _plain_type(info.annotation)
        if len({repr(d) for d in defaults.values()}) == 1:
            d = next(iter(defaults.values()))
            default = "auto" if d is None else str(d)
        else:  # a method's own default
            default = ", ".join(f"{m}: {d}" for m, d in defaults.items())
        help_ = (info.description or "") + (f" ({owners})" if owners else "")
        out.append(Setting(name, kind, choices, default, help_))

    for section, cls in (("model", ModelConfig), ("training", TrainingConfig)):
        for field, info in cls.model_fields.items():
            if field not in _NOT_OPTIONS:  # taken from the data
                name = next((a for a, w in _ALIASES.items() if w == (section, field)), field)
                preset = section == "model" and field in PRESETS[DEFAULT_PRESET]
                add(name, info, {section: "the preset's" if preset else info.default})
    masked = {
        m: cls.model_fields["masking"].default for m, cls in METHODS.items() if "masking" in cls.model_fields
    }
    for alias, (section, field) in _ALIASES.items():
        if section == "masking":
            info = MaskingConfig.model_fields[field]
            add(alias, info, {m: getattr(d, field) for m, d in masked.items()}, ", ".join(masked))
    seen = {"name", "masking"}
    for cls in METHODS.values():
        for field, info in cls.model_fields.items():
            if field not in seen:
                seen.add(field)
                owners = [m for m, c in METHODS.items() if field in c.model_fields]
                add(
                    field,
                    info,
                    {m: METHODS[m].model_fields[field].default for m in owners},
                    ", ".join(owners),
                )
    return out
