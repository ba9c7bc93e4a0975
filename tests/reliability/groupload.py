"""The group-commit workload of ``test_group_commit_kills.py``: 16 threads sharing one engine
opened with ``group_commit=True``, each dispatching its share of the file's reported cases.

    python tests/reliability/groupload.py --db URL --ack ACKS

It files 2,000 reports the first time (acknowledged ``case ID 1``), prints ``ready``, then each
thread fires ``dispatch`` on its cases still reported and acknowledges ``case ID VERSION``
(fsync'd, ``workload.Acks``) only after ``fire`` returned — so a kill can lose an
acknowledgement, never a write that was acknowledged.
"""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path

from workload import Acks

from shouhu import Engine, ReportRequest

CASES = 2_000
THREADS = 16
POLICE = {"name": "李警官", "role": "police"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--ack", required=True)
    args = parser.parse_args(argv)
    acks = Acks(Path(args.ack))
    lock = threading.Lock()
    engine = Engine.open(args.db, group_commit=True)
    ids = [c.id for c in engine.cases(type="solo_living", limit=CASES)]
    if not ids:
        ids = engine.report_many(
            [
                ReportRequest(
                    "solo_living",
                    {"name": f"王小{i}", "birthdate": "2016-02-01"},
                    "石桥村, 青山镇",
                    {"kind": "school", "name": "青山镇中心小学"},
                    occurred_at="2026-03-02T08:30",
                )
                for i in range(CASES)
            ],
            new_case=True,
        )
        acks.write([f"case {i} 1" for i in ids])
    print("ready", flush=True)

    def work(mine: list[str]) -> None:
        for case_id in mine:
            if engine.case(case_id).state != "reported":
                continue
            after = engine.fire(case_id, "dispatch", actor=POLICE)
            with lock:
                acks.write([f"case {after.id} {after.version}"])

    threads = [threading.Thread(target=work, args=(ids[n::THREADS],)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    engine.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
