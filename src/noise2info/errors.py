"""What can go wrong on the user's side, as types.

Every problem with the user's input (files, settings, run folders) is a
:class:`Noise2InfoError`; the CLI reports it in one line with exit code 2. Anything else is
an internal error (exit code 1): a bug to report, not something the user can fix.
They subclass ``ValueError`` so code that catches ``ValueError`` keeps working.
"""

from __future__ import annotations


class Noise2InfoError(ValueError):
    """A problem with the user's input; the message says what and where."""


class ImageError(Noise2InfoError):
    """A problem with one input image; the message names the file."""


class ConfigError(Noise2InfoError):
    """A setting that is out of range, unknown, or not used by the chosen method."""


class ModelFileError(Noise2InfoError):
    """A run folder that cannot be loaded or resumed; the message says why."""


class Noise2InfoWarning(UserWarning):
    """Something the user should know that does not stop the run (e.g. a constant image)."""
