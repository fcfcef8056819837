# Two commands: `make run` serves the demo, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
APP_STAMP := $(VENV)/.installed-app
STAMP := $(VENV)/.installed
HTMX_VERSION := 2.0.11
HTMX := storefront/static/vendor/htmx.min.js
# Lighthouse and axe-core for the accessibility tests, pinned by tools/a11y/package-lock.json.
A11Y := tools/a11y/node_modules/.package-lock.json
HOST ?= 127.0.0.1
PORT ?= 5000
MAIL_CATCHER_PORT ?= 1025
# Development: MODE=development (production's refusals become warnings); one process serves the
# demo, so rate limits in memory:// hold (SINGLE_PROCESS); neutral mail host names; the pinned htmx
# copy, demo .test addresses, email links that open locally, and mail delivered to the local mail
# catcher (`storefront mail caught` reads it).
DEV_ENV := STOREFRONT_MODE=development STOREFRONT_SINGLE_PROCESS=true \
	STOREFRONT_MAIL_SMTP_HELO_NAME=localhost STOREFRONT_INBOUND_SMTP_HOSTNAME=localhost \
	STOREFRONT_HTMX_USE_LOCAL=true STOREFRONT_EMAIL_ALLOW_TEST_DOMAINS=true \
	STOREFRONT_SHOP_URL_SCHEME=http STOREFRONT_SHOP_URL_PORT=$(PORT) STOREFRONT_SHOP_URLS_ON_SLUG_HOST=true \
	STOREFRONT_SESSION_COOKIE_SECURE=false STOREFRONT_SANDBOX_GATEWAY_ENABLED=true \
	STOREFRONT_MAIL_TRUSTED_AUTHSERV_ID=mx.inbound.test \
	STOREFRONT_MAIL_SMTP_HOST=127.0.0.1 STOREFRONT_MAIL_SMTP_PORT=$(MAIL_CATCHER_PORT)

.PHONY: run test install install-app lint bench clean

# The web server, the job worker and the mail catcher together (Procfile, run by honcho).
run: install-app
	$(DEV_ENV) $(BIN)/storefront init-db
	$(DEV_ENV) $(BIN)/storefront seed-demo --port $(PORT)
	$(DEV_ENV) BIN=$(BIN) HOST=$(HOST) PORT=$(PORT) MAIL_CATCHER_PORT=$(MAIL_CATCHER_PORT) \
		$(BIN)/honcho start -f Procfile

# One test process per core (pytest-xdist), each on a database of its own (tests/conftest.py).
test: install
	$(BIN)/pytest -n auto

# `make run` needs the app alone; tests, lint and benches also need the test extras.
install-app: $(APP_STAMP) $(HTMX)
install: $(STAMP) $(HTMX) $(A11Y)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(APP_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(STAMP): $(APP_STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

# The pinned htmx from its npm package, checked against the SRI hash the pages carry.
$(HTMX): storefront/config.py
	@command -v npm >/dev/null || { echo "npm is needed once to fetch htmx.org@$(HTMX_VERSION)"; exit 1; }
	@mkdir -p $(@D)
	@tmp=$$(mktemp -d) && (cd $$tmp && npm pack --silent htmx.org@$(HTMX_VERSION) >/dev/null 2>&1 \
		&& tar xzf htmx.org-$(HTMX_VERSION).tgz package/dist/htmx.min.js) \
		&& cp $$tmp/package/dist/htmx.min.js $@.download && rm -rf $$tmp
	@$(PYTHON) scripts/check_sri.py $@.download storefront/config.py && mv $@.download $@

$(A11Y): tools/a11y/package-lock.json
	@command -v npm >/dev/null || { echo "npm is needed to install the accessibility tools in tools/a11y"; exit 1; }
	cd tools/a11y && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

# Style, then the layers: import-linter checks the contracts in pyproject.toml ([tool.importlinter]).
lint: install
	$(BIN)/ruff check storefront tests bench scripts
	$(BIN)/ruff format --check storefront tests bench scripts
	$(BIN)/lint-imports

bench: install
	$(BIN)/python bench/plans_throughput.py
	$(BIN)/python bench/signed_in_pages.py
	$(BIN)/python bench/console_dashboard.py
	$(BIN)/python bench/privacy_pages.py
	$(BIN)/python bench/reset_timing.py
	$(BIN)/python bench/inbound_prescan.py

clean:
	rm -rf $(VENV) $(HTMX) .pytest_cache tools/a11y/node_modules
