# Two commands do all set-up on a fresh machine:
#   make serve   create .venv, install, run `satchel serve` on ./pb_data
#   make test    install everything the tests need, then run all of them
# The interpreter for .venv: Debian's python3.11 when it is there (built with profile-guided and
# link-time optimisation, libpython linked in: 17 % fewer instructions to start `satchel serve`
# than pyenv's default shared build, docs/performance.md), else python3 on the PATH.
PYTHON ?= $(shell /usr/bin/python3.11 -c 'import ensurepip' 2>/dev/null && echo /usr/bin/python3.11 || echo python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
JS     := tests/e2e/js
JS_STAMP := $(JS)/node_modules/.installed
# the dashboard tests drive Debian's Chromium (Playwright never downloads a browser here)
CHROMIUM := /usr/bin/chromium

.PHONY: serve test lint unit bench soak clean vendor-ui

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

$(JS_STAMP): $(JS)/package.json $(JS)/package-lock.json
	cd $(JS) && npm ci --no-audit --no-fund --loglevel=error
	touch $(JS_STAMP)

$(CHROMIUM):
	command -v chromium >/dev/null || (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium)
	test -x $(CHROMIUM) || { echo "chromium is not at $(CHROMIUM)"; exit 1; }

# bytecode and the dataclass cache on disk, as a pip install leaves them: an editable install under
# PYTHONDONTWRITEBYTECODE would compile all of Satchel at every start (docs/performance.md, start-up)
serve: $(STAMP)
	$(PY) -m satchel.precompile
	$(VENV)/bin/satchel serve --http=127.0.0.1:8090 --dir=pb_data

lint: $(STAMP)
	$(VENV)/bin/ruff check satchel tests examples
	$(VENV)/bin/mypy satchel
	$(VENV)/bin/lint-imports

unit: $(STAMP)
	bash tests/run_pytest.sh $(PY) -m pytest

test: $(STAMP) $(JS_STAMP) $(CHROMIUM) lint
	bash tests/start_postgres.sh
	bash tests/install_buses.sh
	bash tests/run_pytest.sh $(PY) -m pytest

bench: $(STAMP)
	$(PY) -m satchel.precompile  # start-up measured as `make serve` and a pip install leave it
	$(PY) -m bench $(BENCH_ARGS)

# an hour of mixed load with restarts (SIGTERM and kill -9), RSS and open files sampled; not in CI
soak: $(STAMP)
	$(PY) -m bench.soak $(SOAK_ARGS)

# re-fetch the dashboard's vendored libraries (TinyMCE, Leaflet) from the npm registry, checked against
# satchel/ui/vendor.lock.json; RELOCK=1 after bumping a version rewrites the files' hashes. Needs no node.
vendor-ui: $(STAMP)
	$(PY) -m tests.dashboard.vendor_ui $(if $(RELOCK),--relock)

clean:
	rm -rf $(VENV) $(JS)/node_modules .pytest_cache .mypy_cache .ruff_cache
