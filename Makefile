# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

# `make run` serves on embedded defaults: SQLite, local-memory cache, the CXone simulator.
RUN_ENV = DEBUG=$${DEBUG:-1} CXONE_SIMULATOR=$${CXONE_SIMULATOR:-1} CXONE_ALLOW_HTTP_ISSUERS=$${CXONE_ALLOW_HTTP_ISSUERS:-1} \
	CXONE_SIMULATOR_ISSUER=$${CXONE_SIMULATOR_ISSUER:-http://$(HOST):$(PORT)/cxone-sim}

.PHONY: install messages makemessages run test screenshots bench build lock clean

# requirements.txt is what production runs (the image installs it alone); requirements-dev.txt
# adds the tests' and tools' packages. Both pinned with hashes: `make lock` recompiles them from
# requirements.in and requirements-dev.in (pip-tools, pinned in the dev file).
$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.txt -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

lock: install
	$(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras -o requirements.txt requirements.in
	$(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras -o requirements-dev.txt requirements-dev.in

# The image's build steps, outside a container (deploy/build.sh; the Dockerfile calls the same).
BUILD_DIR ?= var/build
build:
	rm -rf $(BUILD_DIR)
	STATIC_ROOT=$(BUILD_DIR)/static deploy/build.sh all $(BUILD_DIR)/venv

# Compiled catalogues (locale/**/*.mo) are built, never committed: msgfmt when gettext is
# installed, else polib (core/i18n.py). `make makemessages` refreshes the .po files from the
# code (needs gettext's xgettext); translate the new entries, then `make test` checks them.
LOCALES = es fr de pt_BR he
MAKEMESSAGES = DEBUG=1 $(PY) manage.py makemessages --no-obsolete --add-location=file --ignore=var --ignore=staticfiles \
	--ignore=tests --ignore=bench --ignore=docs --ignore=node_modules $(addprefix --locale=,$(LOCALES))
messages: install
	$(PY) -m core.i18n compile

makemessages: install
	$(MAKEMESSAGES) --domain=django
	$(MAKEMESSAGES) --domain=djangojs

run: install messages
	$(RUN_ENV) $(PY) manage.py migrate --noinput
	$(RUN_ENV) $(PY) manage.py setup_demo
	@echo "Open http://$(HOST):$(PORT)/ and sign in to a demo tenant."
	$(RUN_ENV) $(PY) manage.py runserver $(HOST):$(PORT)

# pytest exits 5 when it collects no test; make fails on any non-zero exit. Three processes
# (pytest-xdist; the browser and gunicorn tests wait on other processes, so three keep two cores
# busy) on the embedded defaults; one on shared Redis, which the tests clear (tests/settings.py
# refuses more there).
TEST_WORKERS ?= $(if $(findstring redis,$(CACHE_URL)),0,3)
PYTEST_PARALLEL = $(if $(filter-out 0,$(TEST_WORKERS)),-n $(TEST_WORKERS) --dist worksteal)
test: install messages
	$(PY) -m pytest $(PYTEST_PARALLEL) $(PYTEST_ARGS)

# The only target that rewrites the committed screenshots (make test leaves them alone).
screenshots: install messages
	$(PY) -m pytest -q tests/test_browser.py tests/test_board_browser.py tests/test_agent_browser.py
	cp var/screenshots/*.png docs/screenshots/

bench: install
	$(PY) bench/signin_latency.py
	$(PY) bench/dashboard_rps.py
	$(PY) bench/board.py
	$(PY) bench/board_scale.py

clean:
	rm -rf $(VENV) var staticfiles
