"""``shouhu info``: where the data is and what this installation is."""

# No ``from __future__ import annotations``: typer reads every command's annotations on each
# start (even for ``--help``), and objects cost it less than strings to compile and eval.

import sys

from shouhu.cli.common import JsonOpt, _zone
from shouhu.cli.output import _print_json
from shouhu.cli.settings import SETTINGS


def info(as_json: JsonOpt = False) -> None:
    """Where the data is and what this installation is."""
    import platform

    from shouhu import __version__
    from shouhu.adapters import dburl
    from shouhu.adapters.config import data_dir, default_db_url

    facts = {
        "version": __version__,
        "database": dburl.shown(SETTINGS.db or default_db_url()),
        "data_dir": str(data_dir()),
        "zone": _zone(),
        "python": platform.python_version(),
    }
    if as_json:
        _print_json(facts)
        return
    for key, value in facts.items():
        sys.stdout.write(f"{key:9} {value}\n")
