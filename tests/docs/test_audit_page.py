"""``docs/audit.md`` runs as written, and says what the code does.

Its ``bash`` blocks run as one script under ``bash -euo pipefail`` in an empty directory, with
the virtualenv's ``shouhu`` first on ``PATH``; then its ``python`` blocks run in order in that
directory. Key lines of output shown on the page must be printed by a real run; the table of
verification failures lists exactly the reasons the verifier gives; the picture is there.
"""

from __future__ import annotations

import ast
import json
import os
import re
import struct
from dataclasses import dataclass
from pathlib import Path

import pytest
from pagekit import Step, run_page, step_mismatches

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PAGE = DOCS / "audit.md"
FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
CASE_ID = re.compile(r"(?<![0-9A-Z])[0-9A-HJKMNP-TV-Z]{16}(?![0-9A-Z])")
INSTANT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(?:Z|\+00:00)")
SHA256 = re.compile(r"(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])")
LINK = re.compile(r"\]\(([^)\s]+)\)")


def text() -> str:
    return PAGE.read_text(encoding="utf-8")


def fences(lang: str | None = None) -> list[str]:
    found = [(m.group(1), m.group(2)) for m in FENCE.finditer(text())]
    return [body for kind, body in found if lang is None or kind == lang]


def normalised(block: str) -> list[str]:
    """Lines without trailing blanks; case ids, recording instants and digests replaced."""
    out = []
    for line in block.splitlines():
        line = CASE_ID.sub("<CASE>", line.rstrip())
        line = INSTANT.sub("<TIME>", line)
        out.append(SHA256.sub("<SHA256>", line))
    return out


@dataclass(frozen=True)
class PageRun:
    returncode: int
    output: str
    cwd: Path
    steps: list[Step]
    outputs: list[str]


@pytest.fixture(scope="module")
def page_run(tmp_path_factory: pytest.TempPathFactory) -> PageRun:
    """The page's bash blocks, run once as one script in an empty directory, with what each
    block printed."""
    cwd = tmp_path_factory.mktemp("audit-page")
    run, steps, outputs = run_page("audit.md", cwd)
    return PageRun(run.returncode, run.output, run.cwd, steps, outputs)


@pytest.fixture
def in_page_dir(page_run: PageRun, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The directory the page's script ran in, as the working directory."""
    for key in list(os.environ):
        if key.startswith("SHOUHU_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(page_run.cwd)
    return page_run.cwd


def run_python(n: int, namespace: dict[str, object] | None = None) -> dict[str, object]:
    """Run the page's ``n``-th python block (from 1)."""
    body = fences("python")[n - 1]
    ns: dict[str, object] = namespace if namespace is not None else {"__name__": "docs_audit"}
    exec(compile(body, f"docs/audit.md, python block {n}", "exec"), ns)
    return ns


def test_the_page_holds_only_blocks_that_run_or_are_checked() -> None:
    """bash, python and text blocks only; each has a language."""
    kinds = {m.group(1) for m in FENCE.finditer(text())}
    assert kinds == {"bash", "python", "text"}


def test_links_lead_to_files_that_exist() -> None:
    """Every relative link and the picture name files that exist."""
    for target in LINK.findall(text()):
        if "://" in target:
            continue
        path = target.partition("#")[0]
        assert (DOCS / path).is_file(), f"audit.md links to missing {target}"


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_the_index_and_the_operator_guide_link_the_page_and_its_headings() -> None:
    """docs/index.md and the operator guide point auditors here, to headings that exist."""
    headings = {slug(h) for h in re.findall(r"^#+ (.+)$", text(), re.MULTILINE)}
    assert "audit.md" in LINK.findall((DOCS / "index.md").read_text(encoding="utf-8"))
    links = [
        t
        for page in DOCS.glob("*.md")
        for t in LINK.findall(page.read_text(encoding="utf-8"))
        if t.startswith("audit.md")
    ]
    guide = (DOCS / "operator-guide.md").read_text(encoding="utf-8")
    assert any(t.startswith("audit.md#") for t in LINK.findall(guide))
    for target in links:
        anchor = target.partition("#")[2]
        assert not anchor or anchor in headings, f"no heading #{anchor} in audit.md"


def test_the_export_picture_is_a_small_png_of_a_real_page() -> None:
    """docs/images/export.png is a PNG under 400 KB, wide enough to read."""
    picture = DOCS / "images" / "export.png"
    raw = picture.read_bytes()
    assert raw[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", raw[16:24])
    assert width >= 700
    assert height >= 700
    assert 20_000 < len(raw) < 400_000


@pytest.mark.slow
def test_the_page_script_runs_to_the_end(page_run: PageRun) -> None:
    """All bash blocks run as one script under ``bash -euo pipefail``."""
    assert page_run.returncode == 0, page_run.output[-3000:]


#: Output lines the page shows that a real run must print (case ids, instants, digests aside).
KEY_LINES = {
    "replay-head": "Replay of <CASE> — state petitioned (version 12)",
    "replay-six-months": (
        "│  3 │ 2026-03-02 09:50 │ nonperformance_six_months │ dispatched        │ ok      │"
    ),
    "replay-late-dispatch": (
        "│ dispatch                  │ 2026-03-02 09:30 │ met        │ 2026-03-02 09:50 │"
        " late 0h20m │"
    ),
    "replay-verdict": "replay matches the record",
    "at-before": "Replay of <CASE> as of 2026-03-02 09:49 — state reported (version 1)",
    "at-on": "Replay of <CASE> as of 2026-03-02 09:50 — state dispatched (version 3)",
    "verify-ok": "verified 2 cases, 15 events: ok",
    "tampered": "BROKEN <CASE> at seq 2: event 2's content does not match its hash",
    "tampered-verdict": "verified 2 cases, 15 events: FAILED",
    "tampered-stderr": "shouhu: broken: <CASE> seq 2: event 2's content does not match its hash",
    "exit-1": "exit code 1",
    "anchor": "shouhu-anchor-v1:<TIME>:2:<SHA256>",
    "anchor-holds": "anchor of <TIME> (2 cases): holds",
    "anchor-later": "verified 2 cases, 16 events: ok",
    "erased-plain": "verified 1 cases, 13 events: ok",
    "erased-anchor": "anchor of <TIME> (2 cases): DOES NOT HOLD",
    "erased-stderr": "shouhu: broken: the anchor does not hold",
    "report-head": "Compliance report — cases reported 2026-03-01 … 2026-03-31: 2",
    "report-dispatch": (
        "│ dispatch                  │       0 │    1 │           1 │           0 │    0 │     0 │"
        "         0 │ late 1h10m / late 2h00m │"
    ),
    "report-state": "│   state assisting       │     1 │",
    "report-late-school": "│ school            │ yes       │ 1       │ 1    │",
    "csv-median": "deadline,dispatch,median_lateness_seconds,4200",
    "csv-worst": "deadline,dispatch,worst_lateness_seconds,7200",
    "identity-refused": (
        "shouhu: error: --include-identity needs --reason: reading a child's identity is "
        "recorded (who, role, when, why)"
    ),
    "exit-2": "exit code 2",
    "export-exists": (
        "shouhu: error: --output case.html already exists; give a new name, or --force to "
        "replace it"
    ),
}


@pytest.mark.slow
def test_each_output_block_is_what_the_block_before_it_prints(page_run: PageRun) -> None:
    """A ``text`` block right after a ``bash`` block is, whole and line for line, what that
    block prints (ids, digests and instants normalised; ``…`` lines stand for lines left out).
    To rewrite them: ``python -m tests.docs.pagekit --update docs/audit.md``."""
    assert sum(step.shown is not None for step in page_run.steps) >= 10
    problems = step_mismatches(page_run.steps, page_run.outputs)
    assert not problems, "\n\n".join(problems)


@pytest.mark.parametrize("line", list(KEY_LINES.values()), ids=list(KEY_LINES))
def test_the_page_shows_output_that_a_real_run_prints(page_run: PageRun, line: str) -> None:
    """Each key line shown on the page is printed by the commands it follows."""
    shown = [x for block in fences("text") for x in normalised(block)]
    assert line in shown, f"the page does not show {line!r}"
    assert line in normalised(page_run.output), f"a real run does not print {line!r}"


@pytest.mark.slow
def test_the_python_examples_run_after_the_script(
    page_run: PageRun, in_page_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The anchor recomputation, the export re-verification and the access-log reading run
    in the directory the script left, and say what the page says."""
    assert page_run.returncode == 0
    ns: dict[str, object] = {"__name__": "docs_audit"}
    for n in range(1, len(fences("python")) + 1):
        run_python(n, ns)
    out = capsys.readouterr().out.splitlines()
    assert re.fullmatch(r"anchor of \S+: 2 cases, holds", out[0]), out
    assert re.fullmatch(r"[0-9A-Z]{16}: 13 events, chain intact, head [0-9a-f]{12}…", out[1]), out
    reads = out[2:]
    assert len(reads) == 3, reads
    assert reads[0].endswith("| audit prove | 交检察院核查")  # the proof file: an identity read
    assert reads[1].endswith("| audit export json | 未成年人保护专项监督 2026-03")
    assert reads[2].endswith("| case show | 核实儿童身份")
    assert all("| auditor | 咸安区人民检察院 刘检察官 |" in r for r in reads)


@pytest.mark.slow
def test_the_export_check_fails_on_a_changed_export(page_run: PageRun, in_page_dir: Path) -> None:
    """The page's re-verification is a real check: one edited character fails it."""
    export_block = next(n for n, b in enumerate(fences("python"), 1) if "case.json" in b)
    original = (in_page_dir / "case.json").read_text(encoding="utf-8")
    doc = json.loads(original)
    doc["events"][1]["occurred_at"] = doc["events"][1]["occurred_at"].replace(":50:", ":29:")
    (in_page_dir / "case.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    try:
        with pytest.raises(AssertionError, match="event 2: its content does not match"):
            run_python(export_block)
    finally:
        (in_page_dir / "case.json").write_text(original, encoding="utf-8")


@pytest.mark.slow
def test_the_anchor_check_fails_on_an_erased_case(page_run: PageRun, in_page_dir: Path) -> None:
    """The page's anchor recomputation fails on the erased copy the page made."""
    anchor_block = next(n for n, b in enumerate(fences("python"), 1) if "anchor.txt" in b)
    body = fences("python")[anchor_block - 1].replace('"audit.db"', '"erased.db"')
    with pytest.raises(AssertionError, match="the anchor does not hold"):
        exec(compile(body, "docs/audit.md (on erased.db)", "exec"), {"__name__": "docs_audit"})


def _verifier_reasons() -> set[str]:
    """The reasons ``verify_chain`` gives, with each interpolated value as ``#``."""
    source = (ROOT / "shouhu" / "engine" / "verification.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    (fn,) = [
        n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "verify_chain"
    ]
    reasons = set()
    for node in ast.walk(fn):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Broken":
            message = node.args[2]
            if isinstance(message, ast.Constant):
                reasons.add(str(message.value))
            elif (  # _("… {name} …").format(…): each placeholder is an interpolated value
                isinstance(message, ast.Call)
                and isinstance(message.func, ast.Attribute)
                and message.func.attr == "format"
                and isinstance(message.func.value, ast.Call)
                and getattr(message.func.value.func, "id", None) == "_"
            ):
                template = message.func.value.args[0]
                assert isinstance(template, ast.Constant)
                reasons.add(re.sub(r"\{[^{}]*\}", "#", str(template.value)))
            elif isinstance(message, ast.Call) and getattr(message.func, "id", None) == "_":
                template = message.args[0]
                assert isinstance(template, ast.Constant)
                reasons.add(str(template.value))
            elif isinstance(message, ast.JoinedStr):
                reasons.add(
                    "".join(
                        str(part.value) if isinstance(part, ast.Constant) else "#"
                        for part in message.values
                    )
                )
    return reasons


def test_the_failure_table_lists_exactly_the_verifiers_reasons() -> None:
    """Every reason ``audit verify`` can give for a broken chain is explained, and no other."""
    section = text().split("### What each failure means", 1)[1].split("\n\n", 2)[1]
    documented = set()
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or set(cells[0]) <= set("-: "):
            continue
        quoted = re.findall(r"`([^`]+)`", cells[0])
        if not quoted or cells[0].startswith("reason after"):
            continue
        documented.add(
            re.sub(r"[0-9A-HJKMNP-TV-Z]{16}|(?<![A-Za-z])\d+(?![A-Za-z])", "#", quoted[0])
        )
    assert documented == _verifier_reasons()


def test_the_anchor_format_on_the_page_is_the_engines() -> None:
    """The page's anchor line parses with the engine's parser."""
    from shouhu.engine.audit import parse_anchor

    (line,) = [x for b in fences("text") for x in b.splitlines() if x.startswith("shouhu-anchor")]
    parsed = parse_anchor(line)
    assert parsed.count == 2
    assert len(parsed.digest) == 64
