"""The command line's frame: the ``noise2info`` group, one-line errors and exit codes, the
JSON / text summary, and the training options generated from the settings.

Exit codes: 0 ok, 2 usage or input error (one line naming the file and problem), 1 internal.
"""

from __future__ import annotations

import functools
import json
import os
import sys
import warnings

import click
from pydantic import ValidationError

from ..config import explain, settings
from ..errors import Noise2InfoError, Noise2InfoWarning
from ..runtime import keep_freed_memory, rank_and_world
from ..training import TrainingError


def _fail(message: str, code: int = 2):
    if rank_and_world()[0] == 0:  # one message, not one per process
        click.echo(f"noise2info: error: {message}", err=True)
    sys.exit(code)


def friendly_errors(fn):
    """One line instead of a traceback: exit 2 for input errors, 1 for anything internal."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            with warnings.catch_warnings():
                warnings.showwarning = _show_warning
                # every command says its own warnings, also the second in one process
                warnings.simplefilter("always", Noise2InfoWarning)
                return fn(*args, **kwargs)
        except ValidationError as err:  # a Config built directly from bad values
            _fail(explain(err))
        except TrainingError as err:
            _fail(str(err), 1)
        except Noise2InfoError as err:  # the user's input: files, settings, run folders
            _fail(str(err).splitlines()[0] if str(err) else type(err).__name__)
        except KeyboardInterrupt:
            _fail("interrupted", 130)
        except Exception as err:
            if os.environ.get("NOISE2INFO_DEBUG"):
                raise
            _fail(
                f"internal error ({type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}); "
                "rerun with NOISE2INFO_DEBUG=1 for the traceback and please report it",
                1,
            )

    return wrapper


def _guarded(fn, *args):
    """``fn(*args)`` with the CLI's error lines: what a spawned rank runs (picklable)."""
    return friendly_errors(fn)(*args)


def _show_warning(message, category, *_args, **_kwargs) -> None:
    if rank_and_world()[0] == 0:
        click.echo(f"noise2info: warning: {message}", err=True)


def _emit(summary: dict, as_json: bool, lines: list[str]) -> None:
    if as_json:
        click.echo(json.dumps(summary))
    else:
        for line in lines:
            click.echo(line)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="noise2info")
def main():
    """Self-supervised blind denoising that estimates the noise level as it trains."""
    keep_freed_memory()  # tiled prediction reuses its buffers (2x faster on glibc CPUs)


def setting_options(fn):
    """One option per flat setting of :func:`noise2info.config.settings`, defaulting to
    'not given' (None): given ones override the defaults (or, with --resume, are checked
    against the saved config). Types, choices, defaults and help come from config.py."""
    for s in reversed(settings()):
        flag = "--" + s.name.replace("_", "-")
        text = f"{s.help} [default: {s.default}]"
        if s.type is bool:
            option = click.option(f"{flag}/--no-{flag[2:]}", s.name, default=None, help=text)
        elif s.choices is not None:
            choice = click.Choice([str(c) for c in s.choices])
            convert = s.type

            def cast(_ctx, _param, value, convert=convert):
                return None if value is None else convert(value)

            option = click.option(flag, s.name, type=choice, default=None, callback=cast, help=text)
        else:
            option = click.option(flag, s.name, type=s.type, default=None, help=text)
        fn = option(fn)
    return fn


SETTING_NAMES = frozenset(s.name for s in settings())


class Duration(click.ParamType):
    """A wall-clock time: ``90s``, ``10m``, ``1.5h``, ``1h30m`` or plain seconds."""

    name = "duration"
    _UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0}

    def convert(self, value, param, ctx):
        if isinstance(value, (int, float)):
            return float(value)
        text, total, number = str(value).strip().lower(), 0.0, ""
        try:
            for char in text:
                if char in self._UNITS:
                    total, number = total + float(number) * self._UNITS[char], ""
                else:
                    number += char
            total += float(number) if number else 0.0
        except ValueError:
            self.fail(f"{value!r} is not a duration (examples: 90s, 10m, 1h30m)", param, ctx)
        if not total > 0:
            self.fail(f"{value!r}: a duration must be positive", param, ctx)
        return total


DATA_ROOT_OPTION = click.option(
    "--data",
    "data_root",
    default="../shared/data",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Folder holding bsd400/, bsd68/, set12/.",
)
