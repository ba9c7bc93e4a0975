"""A mixed workload for the kill test: run it, SIGKILL it at any moment, run it again.

    python tests/reliability/workload.py --db URL --ack ACKS --outbox NOTICES.jsonl \
        --imports DIR --seed N [--steps N]

It files reports (one at a time and in batches), moves cases along their workflows, sweeps due
deadlines, delivers the outbox to a JSON Lines file and imports CSV files from the hotline, in
a random order drawn from ``--seed``. After each call *returns*, it appends what the engine
acknowledged to ``ACKS`` and fsyncs it, one line per fact:

    case CASE_ID VERSION     the case exists at this version (or a later one)
    delivered KEY            the notice with this key was delivered (and is in NOTICES.jsonl)
    imported FILE            every row of this import file is in the store, once

A line is written only after the write it stands for was committed, so a kill between the two
loses an acknowledgement, never the other way round; a kill in the middle of a line leaves it
without its newline, and a torn line is no acknowledgement (the reader drops it, and the next
run cuts it off before appending). The parent (``test_kills.py``) reads ``ACKS`` after each
kill and checks the store holds all of it.

Reports are filed up to three hours in the past (and ``guardian_nonperformance`` ones with
refused duties since seven months ago), so their dispatch deadlines and six-month grounds are
already due and the sweeps here fire them. Nothing here reads the clock but the engine.

With ``--steps N`` it stops by itself after N operations (exit 0); without, it runs until
killed. It prints ``ready`` on stdout once the engine is open.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

# Run as a script from a checkout: the checkout's ``shouhu`` first.
_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

from shouhu import Engine, ReportRequest  # noqa: E402
from shouhu.adapters.channels import JsonlChannel  # noqa: E402
from shouhu.adapters.importer import ReportFile, import_reports  # noqa: E402
from shouhu.errors import Conflict, ShouhuError, TransitionRefused  # noqa: E402

ZONE = "Asia/Shanghai"
#: The import source of the CSV files (the 12345 hotline).
SOURCE = "12345"

#: Each type's way from ``reported`` to ``closed``: (trigger, role, data).
_ASSESS: tuple[tuple[str, str, dict[str, str]], ...] = (
    ("notify_township", "police", {}),
    ("start_assessment", "township", {}),
    (
        "complete_assessment",
        "township",
        {
            "safety": "medium",
            "guardianship": "high",
            "health": "low",
            "participants": "civil_affairs,police",
        },
    ),
    ("arrange_assistance", "township", {"services": "guardianship_guidance"}),
    ("close", "township", {"summary": "帮扶到位"}),
)
BRANCHES: dict[str, tuple[tuple[str, str, dict[str, str]], ...]] = {
    "solo_living": (
        ("dispatch", "police", {}),
        ("order_parents_return", "police", {}),
        ("designate_entrusted_guardian", "police", {"guardian_name": "王大爷"}),
        ("complete_emergency", "police", {}),
        *_ASSESS,
    ),
    "missing_child": (
        ("dispatch", "police", {}),
        ("start_search", "police", {}),
        ("child_located", "police", {}),
        ("complete_emergency", "police", {}),
        *_ASSESS,
    ),
    "suspected_harm": (
        ("dispatch", "police", {}),
        ("stop_harm", "police", {}),
        ("record_injury_assessment", "police", {"severity": "minor"}),
        ("complete_emergency", "police", {}),
        *_ASSESS,
    ),
    "guardian_nonperformance": (
        ("dispatch", "police", {}),
        ("order_parents_return", "police", {}),
        ("place_in_temporary_care", "police", {"placement": "close_relative"}),
        ("complete_emergency", "police", {}),
        *_ASSESS,
    ),
}
TYPES = tuple(BRANCHES)
#: Made-up children: the workload never needs a real person.
NAMES = ("王小明", "刘欣怡", "陈小雨", "周小军", "李小红", "张小华")


class Acks:
    """The acknowledgement file: one fsync'd line per acknowledged fact."""

    def __init__(self, path: Path) -> None:
        self.path = path
        _cut_torn_line(path)
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    def write(self, lines: list[str]) -> None:
        if not lines:
            return
        data = "".join(line + "\n" for line in lines).encode()
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view) :]
        os.fsync(self.fd)


def _cut_torn_line(path: Path) -> None:
    """Drop a last line a kill left without its newline (it acknowledged nothing)."""
    if not path.exists():
        return
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        with path.open("r+b") as f:
            f.truncate(data.rfind(b"\n") + 1)


def read_acks(path: Path) -> list[list[str]]:
    """The complete lines of an acknowledgement file, split into words (a torn line dropped)."""
    if not path.exists():
        return []
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")[:-1]  # the last piece has no newline: torn, or empty
    return [line.split(" ") for line in lines if line]


class Workload:
    def __init__(self, engine: Engine, args: argparse.Namespace) -> None:
        self.engine = engine
        self.rng = random.Random(args.seed)
        self.acks = Acks(Path(args.ack))
        self.channel = JsonlChannel(args.outbox)
        self.imports = Path(args.imports)
        self.imports.mkdir(parents=True, exist_ok=True)
        self.cases = [c.id for c in engine.cases()]
        done = {words[1] for words in read_acks(Path(args.ack)) if words[0] == "imported"}
        # An import a kill interrupted is run again first: it must add only what is missing.
        self.unfinished = [p for p in sorted(self.imports.glob("*.csv")) if p.name not in done]

    def run(self, steps: int | None) -> None:
        for path in self.unfinished:
            self.import_file(path)
        n = 0
        while steps is None or n < steps:
            n += 1
            op = self.rng.choices(
                (self.report, self.fire, self.sweep, self.deliver, self.import_new, self.batch),
                weights=(25, 40, 10, 10, 8, 7),
            )[0]
            op()

    # -- the operations ----------------------------------------------------------------------

    def request(self, **extra: Any) -> ReportRequest:
        type_ = self.rng.choice(TYPES)
        at = self.engine.clock.now() - timedelta(minutes=self.rng.randint(1, 180))
        data: dict[str, Any] = {}
        if type_ == "guardian_nonperformance" and self.rng.random() < 0.5:
            data["nonperformance_since"] = (at - timedelta(days=214)).date().isoformat()
        return ReportRequest(
            type_,
            child={"name": self.rng.choice(NAMES), "birthdate": "2016-02-01"},
            location="石桥村, 青山镇",
            reporter={"kind": "school", "name": "青山镇中心小学"},
            discovered_at=at,
            occurred_at=at,
            data=data,
            **extra,
        )

    def report(self) -> None:
        r = self.request()
        case = self.engine.report(
            r.type,
            child=r.child,
            location=r.location,
            reporter=r.reporter,
            discovered_at=r.discovered_at,
            occurred_at=r.occurred_at,
            data=r.data,
            new_case=True,  # a few names, reported again and again: each a case
        )
        self.cases.append(case.id)
        self.acks.write([f"case {case.id} {case.version}"])

    def batch(self) -> None:
        ids = self.engine.report_many(
            [self.request() for _ in range(self.rng.randint(2, 25))], new_case=True
        )
        self.cases.extend(ids)
        self.acks.write([f"case {i} 1" for i in ids])

    def fire(self) -> None:
        if not self.cases:
            return
        case_id = self.rng.choice(self.cases[-40:])  # the recent ones: cases move along
        case = self.engine.case(case_id)
        done = sum(1 for h in case.history if h.event.role not in ("system", "reporter"))
        steps = BRANCHES[case.type]
        if done >= len(steps):
            return
        trigger, role, data = steps[done]
        try:
            after = self.engine.fire(
                case_id,
                trigger,
                actor={"name": "经办人", "role": role},
                data=data,
                expected_version=case.version,
            )
        except (Conflict, TransitionRefused) as exc:  # never expected: one writer at a time
            raise SystemExit(f"workload: {case_id} {trigger}: {exc}") from None
        self.acks.write([f"case {after.id} {after.version}"])

    def sweep(self) -> None:
        fired = self.engine.run_due()
        self.acks.write([f"case {f.case_id} {f.seq}" for f in fired])

    def deliver(self) -> None:
        sent = self.engine.deliver([self.channel], limit=self.rng.randint(1, 50))
        self.acks.write([f"delivered {n.key}" for n in sent if n.status == "delivered"])

    def import_new(self) -> None:
        path = self.imports / f"{len(list(self.imports.glob('*.csv'))):05d}.csv"
        tmp = path.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8", newline="") as f:
            out = csv.writer(f)
            out.writerow(
                [
                    "external_id",
                    "type",
                    "child_name",
                    "child_birthdate",
                    "location",
                    "reporter_kind",
                    "reporter",
                    "discovered_at",
                    "reported_at",
                ]
            )
            for n in range(self.rng.randint(3, 40)):
                r = self.request()
                at = r.occurred_at.isoformat()  # type: ignore[union-attr]
                out.writerow(
                    [
                        f"{path.stem}-{n}",
                        r.type,
                        self.rng.choice(NAMES),
                        "2016-02-01",
                        "石桥村, 青山镇",
                        "village_committee",
                        "石桥村委会",
                        at,
                        at,
                    ]
                )
            f.flush()
            os.fsync(f.fileno())
        tmp.rename(path)  # a kill leaves a whole file or none
        self.import_file(path)

    def import_file(self, path: Path) -> None:
        result = import_reports(self.engine, ReportFile(path), source=SOURCE, batch_size=10)
        if result.refused:
            raise SystemExit(f"workload: {path.name}: {result.refused[0]}")
        ids = list((result.case_ids or {}).values())
        self.cases.extend(i for i in ids if i not in self.cases)
        self.acks.write([*(f"case {i} 1" for i in ids), f"imported {path.name}"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--ack", required=True)
    parser.add_argument("--outbox", required=True)
    parser.add_argument("--imports", required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--steps", type=int, default=None)
    args = parser.parse_args(argv)
    try:
        with Engine.open(args.db, zone=ZONE) as engine:
            work = Workload(engine, args)
            print("ready", flush=True)
            work.run(args.steps)
    except ShouhuError as exc:
        print(f"workload: {type(exc).__name__}: {exc}", file=sys.stderr)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
