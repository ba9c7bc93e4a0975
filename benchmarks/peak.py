"""Run one ``shouhu`` command in this process and write its peak memory to a file.

``python -m benchmarks.peak OUT -- ARGS…`` runs ``shouhu ARGS…`` exactly as the console script
would (``shouhu.cli.main``), then writes ``{"exit": code, "peak_kb": …}`` to ``OUT``. The peak
is ``VmHWM``, this process's own high-water mark since its ``exec``; ``ru_maxrss`` of a child
would also count the memory of the process that forked it. Nothing else is imported first, so
the figure is the command's own.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def vm_hwm_kb() -> int:
    """The peak resident set size of this process, in KiB (Linux ``/proc/self/status``)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status: peak memory needs Linux")


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[1] != "--":
        print("usage: python -m benchmarks.peak OUT -- ARGS…", file=sys.stderr)
        return 2
    out, args = Path(argv[0]), argv[2:]
    from shouhu.cli import main as shouhu

    code: int | str | None = 0
    try:
        shouhu(args)
    except SystemExit as exc:
        code = exc.code
    sys.stdout.flush()
    out.write_text(json.dumps({"exit": code, "peak_kb": vm_hwm_kb()}))
    return code if isinstance(code, int) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
