"""The command line: a thin layer that parses, builds the one Config and calls the API.

One module per group of commands: :mod:`.app` (the group, errors, options), :mod:`.training`
(train), :mod:`.prediction` (denoise, export, estimate-sigma), :mod:`.datasets` (demo, data,
bench). Exit codes: 0 ok, 2 usage or input error (one line naming the file and problem), 1
internal.
"""

from . import datasets, prediction, training  # noqa: F401  (each registers its commands)
from .app import Duration, friendly_errors, main

__all__ = ["Duration", "friendly_errors", "main"]
