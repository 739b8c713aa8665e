"""``python -m noise2info.cli``: the same as the ``noise2info`` command."""

from . import main

main()
