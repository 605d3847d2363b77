# Two commands for a fresh clone with only Python 3.11+ and make:
#   make run    install, migrate, load the seed archive, serve on http://127.0.0.1:8000 (PORT=… to change)
#   make test   the whole suite on SQLite, and again on PostgreSQL when DATABASE_URL points at one
#               (browser tests included: they need /usr/bin/chromium and Java, and skip saying so without them)

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
# Local development only; production never runs with DEBUG (see README).
DEV_ENV := DEBUG=1

.PHONY: run test test-sqlite test-postgres test-tools lint format check messages superuser install install-dev clean

# Reinstall only when the pins change, so a second `make run` starts at once.
$(BIN)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(BIN)/.installed-dev: $(BIN)/.installed requirements-dev.txt
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(BIN)/.installed
install-dev: $(BIN)/.installed-dev

# The Nu HTML Checker for tests/browser/test_html_validity.py, pinned in
# tests/browser/package-lock.json. --ignore-scripts: vnu-jar's postinstall would
# download a JDK, and the check runs on the machine's Java. Without npm the check
# skips (CI, with REQUIRE_BROWSER=1, fails instead).
VNU_JAR := tests/browser/node_modules/vnu-jar/build/dist/vnu.jar
$(VNU_JAR): tests/browser/package.json tests/browser/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix tests/browser --ignore-scripts --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm is not installed: the HTML validity check will be skipped."; fi

test-tools: $(VNU_JAR)

run: install
	$(DEV_ENV) $(BIN)/python manage.py migrate --noinput
	$(DEV_ENV) $(BIN)/python manage.py load_seed_archive
	$(DEV_ENV) $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

superuser: install
	$(DEV_ENV) $(BIN)/python manage.py createsuperuser

# SQLite always; PostgreSQL too when DATABASE_URL is set (as .ci/run does).
test: test-sqlite
	@if [ -n "$$DATABASE_URL" ]; then $(MAKE) --no-print-directory test-postgres; \
	else echo "DATABASE_URL is not set: PostgreSQL run skipped."; fi

test-sqlite: install-dev test-tools
	DATABASE_URL= $(BIN)/python -m pytest $(PYTEST_ARGS)

test-postgres: install-dev test-tools
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Django's system checks and a missing-migration check, as CI runs them.
check: install-dev
	DJANGO_SETTINGS_MODULE=kyr_site.settings_test $(BIN)/python manage.py check --fail-level WARNING
	DJANGO_SETTINGS_MODULE=kyr_site.settings_test $(BIN)/python manage.py makemigrations --check --dry-run

# After changing any marked string: refresh the Spanish catalog (needs GNU gettext's xgettext),
# translate the new entries in locale/es/LC_MESSAGES/django.po, then run this again to compile
# the .mo that Django reads. Both files are committed; tests/test_i18n.py checks they agree.
messages: install-dev
	DJANGO_SETTINGS_MODULE=kyr_site.settings_test $(BIN)/python manage.py makemessages -l es \
		--ignore=.venv --ignore=bench --ignore=tests --ignore=staticfiles --no-obsolete --add-location=file
	$(BIN)/python -c "import polib; polib.pofile('locale/es/LC_MESSAGES/django.po').save_as_mofile('locale/es/LC_MESSAGES/django.mo')"

clean:
	rm -rf $(VENV) staticfiles .pytest_cache tests/browser/node_modules test-artifacts
