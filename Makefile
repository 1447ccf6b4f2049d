# The two commands: `make run` (install, prepare the demo database, serve) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# The suite runs with production settings (DEBUG off), so it needs a key of its own. It
# keeps byte-code, and pytest's rewritten test modules, in __pycache__ (git-ignored) even
# where the environment turns that off (PYTHONDONTWRITEBYTECODE): each worker would
# otherwise compile and rewrite every module again, 12 s of every run on 2 cores.
TEST_ENV := SECRET_KEY=test-only-secret-key-not-for-production DEBUG=off HTTPS=off \
  PYTHONDONTWRITEBYTECODE=

.PHONY: run serve test quality install migrate demo clean bench bench-demo bench-reports bench-import bench-admin bench-login backup restore loadtest

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

install: $(VENV)/.installed

migrate: install
	DEBUG=$${DEBUG:-on} $(BIN)/python manage.py migrate --no-input
	DEBUG=$${DEBUG:-on} $(BIN)/python manage.py setup_roles

demo: migrate
	DEBUG=$${DEBUG:-on} $(BIN)/python manage.py load_forum
	DEBUG=$${DEBUG:-on} $(BIN)/python manage.py load_demo

run: demo
	@echo ""
	@echo "  Suivi de la stratégie pauvreté : http://127.0.0.1:$(PORT)/"
	@echo "  Administration                 : http://127.0.0.1:$(PORT)/admin/"
	@echo "  Comptes de démonstration, mot de passe « demo-pauvrete-2020 » :"
	@echo "    agent.demo (agent de la préfecture, équipe régionale), agent.nord (équipe du Nord),"
	@echo "    gestionnaire.demo (gestionnaire),"
	@echo "    referent.a et referent.b (référents de deux acteurs fictifs)"
	@echo ""
	DEBUG=$${DEBUG:-on} $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# As in production: DEBUG off, HTTPS hardening on (HSTS, secure cookies; HTTPS=off for a
# plain-HTTP trial on loopback), hashed and compressed static files served by whitenoise,
# gunicorn (config/gunicorn.conf.py). Set SECRET_KEY to keep sessions across restarts.
# Loads the press release's facts (idempotent), never the fictional demo. Mails are queued
# in the database and sent by the task worker gunicorn starts beside itself (TASK_WORKER).
serve: install
	DEBUG=off SECRET_KEY=$${SECRET_KEY:-$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))')} \
	  $(BIN)/python manage.py collectstatic --no-input -v0
	$(MAKE) migrate
	DEBUG=on $(BIN)/python manage.py load_forum
	DEBUG=off HTTPS=$${HTTPS:-on} ALLOWED_HOSTS=$${ALLOWED_HOSTS:-127.0.0.1,localhost} \
	  SECRET_KEY=$${SECRET_KEY:-$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))')} \
	  TASK_BACKEND=database TASK_WORKER=on \
	  PORT=$(PORT) $(BIN)/gunicorn -c config/gunicorn.conf.py

# In parallel, one worker per core (pytest-xdist; TEST_WORKERS=0 for one process): each
# worker has its own test database, cache keys and folders (tests/conftest.py). worksteal,
# because a few modules (the import bombs, the browser) take far longer than the rest.
TEST_WORKERS ?= auto
test: install
	$(TEST_ENV) $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

quality: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(TEST_ENV) $(BIN)/python manage.py makemigrations --check --dry-run

# On PostgreSQL (DATABASE_URL): builds load_demo --scale SCALE (400) once, then prints the
# one table of docs/benchmarks.md and writes it there: each measurement against a
# reference doing the same work in the same run, met or missed (operations/benchmarks.py).
# RUNS (best of, 3), BENCH_PORT (the servers' port, a free one by default).
bench: install
	@test -n "$$DATABASE_URL" || (echo "Set DATABASE_URL=postgres://… (the benchmark runs on PostgreSQL)"; exit 2)
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	DEBUG=on $(BIN)/python manage.py migrate --no-input -v0
	DEBUG=on $(BIN)/python manage.py bench --scale $${SCALE:-400} --runs $${RUNS:-3} \
	  $(if $(BENCH_PORT),--port $(BENCH_PORT),)

# On PostgreSQL (DATABASE_URL): load_demo at one million deliveries in a fresh database
# (<name>_demo, dropped after), against COPY of the same rows; minutes. Writes its section
# of docs/benchmarks.md.
bench-demo: install
	@test -n "$$DATABASE_URL" || (echo "Set DATABASE_URL=postgres://… (the benchmark runs on PostgreSQL)"; exit 2)
	DEBUG=on $(BIN)/python manage.py bench_demo

# On PostgreSQL (DATABASE_URL): only the reports' rows of `make bench`, printed.
bench-reports: install
	@test -n "$$DATABASE_URL" || (echo "Set DATABASE_URL=postgres://… (the benchmark compares with COPY)"; exit 2)
	DEBUG=on $(BIN)/python manage.py migrate --no-input -v0
	DEBUG=on $(BIN)/python manage.py bench_reports

# On PostgreSQL (DATABASE_URL), demo loaded: the admin import of 10 000 rows against
# COPY + INSERT … SELECT of the same rows, both committed (operations/import_bench.py).
bench-import: install
	@test -n "$$DATABASE_URL" || (echo "Set DATABASE_URL=postgres://… (the benchmark compares with COPY)"; exit 2)
	DEBUG=on $(BIN)/python manage.py migrate --no-input -v0
	DEBUG=on $(BIN)/python manage.py bench_import

# On PostgreSQL (DATABASE_URL): the staff's admin lists, filters and searches as agent.demo,
# at this base's scale (load_demo --scale 400 if missing) against a throwaway base at scale 1.
bench-admin: install
	@test -n "$$DATABASE_URL" || (echo "Set DATABASE_URL=postgres://… (the benchmark runs on PostgreSQL)"; exit 2)
	DEBUG=on $(BIN)/python manage.py migrate --no-input -v0
	DEBUG=on $(BIN)/python manage.py bench_admin

# Failed logins from one address against gunicorn on loopback (this database and CACHE_URL):
# the throttle's cost and a public page's median under a bounded flood.
bench-login: install
	DEBUG=on $(BIN)/python manage.py migrate --no-input -v0
	DEBUG=on $(BIN)/python manage.py setup_roles
	DEBUG=on $(BIN)/python manage.py load_forum
	DEBUG=on $(BIN)/python manage.py bench_login

# Mixed traffic against gunicorn on loopback (PostgreSQL, demo loaded): DURATION seconds,
# CLIENTS concurrent clients; RESTART=1 restarts PostgreSQL half-way.
# Fails unless each kind of client did its minimum of work (MIN_PAGES, MIN_REPORTS,
# MIN_VALIDATIONS, MIN_DOWNLOADS override the defaults); LOADTEST_PORT for gunicorn.
loadtest: install
	DEBUG=on $(BIN)/python manage.py loadtest --duration $${DURATION:-60} --clients $${CLIENTS:-50} \
	  $(if $(RESTART),--restart-postgres,) $(if $(LOADTEST_PORT),--port $(LOADTEST_PORT),) \
	  $(if $(MIN_PAGES),--min-pages $(MIN_PAGES),) $(if $(MIN_REPORTS),--min-reports $(MIN_REPORTS),) \
	  $(if $(MIN_VALIDATIONS),--min-validations $(MIN_VALIDATIONS),) \
	  $(if $(MIN_DOWNLOADS),--min-downloads $(MIN_DOWNLOADS),)

# One archive: pg_dump / pg_restore on PostgreSQL, a consistent copy of the file on SQLite,
# and the evidence files (through the storage API).
backup: install
	DEBUG=on $(BIN)/python manage.py backup $(if $(FILE),--output $(FILE),)

restore: install
	@test -n "$(FILE)" || (echo "make restore FILE=backups/suivi-….tar"; exit 2)
	DEBUG=on $(BIN)/python manage.py restore $(FILE)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache staticfiles
