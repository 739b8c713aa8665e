"""The benchmarks' command-line settings: ``steps=400,init=pretrained`` -> a dict for
``make_config``."""

from __future__ import annotations


def _value(text: str):
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def parse_settings(spec: str) -> dict:
    """A comma-separated list of ``name=value`` flat settings; numbers become numbers."""
    return {k: _value(v) for k, v in (kv.split("=", 1) for kv in spec.split(",") if kv)}
