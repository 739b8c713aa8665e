"""The optional extras: a feature whose libraries are not installed says which extra brings
them, in one line, instead of failing deep inside an import."""

from __future__ import annotations

import importlib.util
import sys

from .errors import ConfigError

EXTRAS = {
    "export": ("onnx", "onnxscript", "onnxruntime", "bioimageio.spec", "bioimageio.core"),
    "napari": ("napari", "qtpy"),
    "zarr": ("zarr",),
    "bench": ("bm3d",),
}


def missing(*modules: str) -> list[str]:
    """Those of ``modules`` that cannot be imported here."""
    out = []
    for name in modules:
        if name in sys.modules and sys.modules[name] is None:  # blocked (as a test blocks it)
            out.append(name)
            continue
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):  # a parent package missing
            found = False
        if not found:
            out.append(name)
    return out


def require(feature: str, extra: str, *modules: str) -> None:
    """Raise :class:`ConfigError` naming ``extra`` where one of ``modules`` (default: all of
    the extra's) is not installed.

    >>> require("the demo", "export", "json")
    """
    absent = missing(*(modules or EXTRAS[extra]))
    if absent:
        raise ConfigError(f"{feature} needs {', '.join(absent)}: pip install 'noise2info[{extra}]'")
