# Each target bootstraps .venv from a bare python3 (PyPI access needed on the first run).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO_DB ?= demo.db

.PHONY: all demo test system-deps soak lint typecheck bench bench-quick docs docs-outputs messages screenshots dist clean

all: test

# The editable install puts the checkout on sys.path with a .pth file, which type checkers
# follow (pyproject.toml, [tool.setuptools] package-dir): code outside the checkout that embeds
# shouhu is type-checked against it
$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	@touch $(STAMP)

## make demo: reports of all six types and a village's ledger in $(DEMO_DB), with timelines
demo: $(STAMP)
	$(BIN)/python -m shouhu.demo --db "sqlite:///$(DEMO_DB)"

## make test: lint, format check, types, import rules, the whole test suite (first installing
## chromium, curl and jq where the machine allows it: tools/system-deps.sh)
test: lint typecheck system-deps
	$(BIN)/python -m pytest

system-deps:
	@tools/system-deps.sh

## make soak: the long versions of the kill, race and fuzz tests (60 kills per store instead
## of 8; ten times the racing deadlines; twenty times the generated inputs); about an hour
soak: $(STAMP)
	SHOUHU_SOAK=1 $(BIN)/python -m pytest -q tests/reliability tests/fuzz \
		tests/contract/test_sqlite_sweeps.py tests/pg/test_workers.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

## make docs: regenerate the workflow pages from the definitions
docs: $(STAMP)
	$(BIN)/python -m shouhu.docgen docs/workflows

## make docs-outputs: rewrite the output blocks of the docs' walk-throughs from a real run
## (ids, times and keys are compared normalised; check the diff before committing)
docs-outputs: $(STAMP)
	$(BIN)/python -m tests.docs.pagekit --update

## make messages: extract the message ids, update the zh_CN and en catalogs, compile them
## (Babel); the suite fails while an id is untranslated or a compiled catalog is stale
messages: $(STAMP)
	$(BIN)/python tools/messages.py

## make screenshots: the web desk's pictures in docs/images/web-*.png (1366×768) from a fresh
## demo database served by `shouhu serve`, shown in Debian's chromium; it needs chromium and
## a Chinese font (apt-get install -y --no-install-recommends chromium fonts-noto-cjk) and
## stops saying so without them (docs/web.md)
screenshots: $(STAMP)
	$(BIN)/python tools/screenshots.py

## make bench: performance figures as ratios against raw baselines measured in the same run
## (about two hours: the scale run builds 1,000,000 cases on SQLite and on PostgreSQL);
## the last full run's figures are in docs/performance.md
bench: $(STAMP)
	$(BIN)/python -m benchmarks.bench

bench-quick: $(STAMP)
	$(BIN)/python -m benchmarks.bench --quick

## make dist: the sdist and the wheel in dist/ (the wheel holds the compiled catalogs, the
## templates, the policy packs, the migrations and py.typed); an operator installs the wheel
## with `pipx install dist/shouhu-0.1.0-py3-none-any.whl`
dist: $(STAMP)
	rm -rf dist
	$(BIN)/python -m build --outdir dist .

clean:
	rm -rf $(VENV) dist build .pytest_cache .mypy_cache .ruff_cache .hypothesis $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm $(basename $(DEMO_DB))-credentials
