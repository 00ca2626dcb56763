# The README's two commands are `make run` and `make test`; everything else here serves them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export UV_PYTHON_DOWNLOADS := never
export PYTHONPATH := $(CURDIR)
# TensorFlow: no GPU here, and its start-up chatter hides the useful logs.
export TF_CPP_MIN_LOG_LEVEL := 2
export CUDA_VISIBLE_DEVICES :=
# Rasa's telemetry stays off: no usage report leaves a service that holds victims' words.
export RASA_TELEMETRY_ENABLED := false

# Rasa 3.6 needs Python < 3.11; the machine ships 3.10 through pyenv (uv cannot download Pythons here).
PYTHON310 ?= $(firstword $(wildcard $(shell pyenv root 2>/dev/null)/versions/3.10.*/bin/python3.10) $(shell command -v python3.10 2>/dev/null))
UV := python3 -m uv
VENV := .venv
RASA := $(VENV)/bin/rasa
MODELS := models

.PHONY: help install browser poppler lint train run test test-unit promote-nlu validate stories retrain bench-nlu bench-providers bench-geo bench-review bench-dialogue bench-sms bench-load bench-login-attack bench-observatory-stats bench-observatory clean

help:
	@echo "make run    - install what is missing, train if needed, start the assistant on http://localhost:5005/"
	@echo "make test   - install, train if needed, validate the data and run the test suite"
	@echo "make test-unit - the tests that need no server, in under a minute"
	@echo "make train  - train the model (only when data, config or domain changed)"
	@echo "make lint   - ruff (lint and format check) and mypy on the domain modules; CI runs it before the tests"
	@echo "make bench-nlu - NLU on both test sets (bootstrap 95 % intervals), 5-fold cross-validation, two baselines"
	@echo "make bench-privacy - redaction: the frozen pastes, false alarms on the training data, speed on hostile input"
	@echo "make bench-providers - provider matching speed over 20,000 providers"
	@echo "make bench-geo - geography load time, locate() latency and memory over 35,000 communes"
	@echo "make bench-review - review list speed over 100,000 conversations (SQLite and PostgreSQL)"
	@echo "make bench-observatory-stats - a simulated year (420,000 journeys) folded by the refresh; statistics queries p95 (SQLite and PostgreSQL)"
	@echo "make bench-observatory - injected waves and a campaign found in simulated time: detection delays, false alarms per month"
	@echo "make retrain - train a candidate model, compare it with the one in service (nothing is switched)"
	@echo "make stories - rasa test on the hand-written test stories of tests/stories/"
	@echo "make bench-dialogue - the conversation fuzzer at length, and 35 follow-ups after the advice per incident"
	@echo "make bench-sms - every incident by SMS (TwiML and REST API): SMS, segments, SUITE round trips, where the advice starts"
	@echo "make bench-load - many victims at once over REST: capacity curve of the project and of plain rasa run"
	@echo "make bench-login-attack - a victim's reply p95 alone and during 50 concurrent bad staff sign-ins"

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml uv.lock
	@test -n "$(PYTHON310)" || { echo "Python 3.10 not found (expected under pyenv)"; exit 1; }
	@python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet --disable-pip-version-check uv
	$(UV) sync --frozen --python $(PYTHON310)
	@touch $@

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# Browser tests drive Debian's chromium (never a downloaded browser).
browser:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# The dossier tests render the PDF to an image and read its text back (pdftoppm, pdftotext).
poppler:
	@command -v pdftoppm >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null; }

# Reviewed exports change the model in service: `make retrain` compares first (see README, "Transcript review").
# An erasure of training text (var/erasures.json, bot/erasure.py) after the model was trained: it must be replaced.
train: install
	@scripts/train.sh

validate: install
	$(RASA) data validate --data bot/data --config config.yml --domain domain.yml

run: train
	@scripts/run.sh

# Hand-written dialogue stories (tests/stories/); staff exports go to REVIEW_STORY_EXPORT_DIR, never here.
stories: train
	$(RASA) test core --stories tests/stories --model $(MODELS) --fail-on-prediction-errors --out results/stories

# Two test processes (pytest-xdist), one test module each at a time: a module's servers stay in its process. The
# servers do most of the work while a test waits for their reply, so a single process left a core idle.
TEST_WORKERS ?= 2
test: browser poppler train validate stories
	$(VENV)/bin/pytest -n $(TEST_WORKERS) --dist loadfile --durations=15

# The tests that need no server (no Rasa or action server, browser or PostgreSQL): under a minute, no training.
test-unit: install poppler
	$(VENV)/bin/pytest -m "not server" -q -n $(TEST_WORKERS)

# A person promotes a reviewed NLU export into the training data (redaction checked again): make promote-nlu FILE=…
promote-nlu: install
	$(VENV)/bin/python -m console.review promote $(FILE)

# Staff promoted reviewed messages into bot/data/nlu: train a candidate beside the model in service and compare.
retrain: install
	$(VENV)/bin/python benchmarks/retrain.py

bench-privacy: install
	$(VENV)/bin/python benchmarks/bench_privacy.py

bench-nlu: install
	$(VENV)/bin/python benchmarks/bench_nlu.py

bench-providers: install
	$(VENV)/bin/python benchmarks/bench_providers.py

bench-geo: install
	$(VENV)/bin/python benchmarks/bench_geo.py

bench-review: install
	$(VENV)/bin/python benchmarks/bench_review.py

# A year at national scale written as tracker events, folded by the observatory's refresh; the page's queries timed.
bench-observatory-stats: install
	$(VENV)/bin/python benchmarks/bench_observatory_stats.py

# Waves and a campaign injected into the simulation, found hour by hour through refresh -> aggregates -> detect.
bench-observatory: install
	$(VENV)/bin/python benchmarks/bench_observatory.py

bench-dialogue: train
	$(VENV)/bin/python benchmarks/bench_dialogue.py

bench-sms: train
	$(VENV)/bin/python benchmarks/bench_sms.py

# Many victims at once (REST, PostgreSQL, Redis): the project with production settings, then plain `rasa run`.
bench-load: train
	$(VENV)/bin/python benchmarks/bench_load.py

# A victim's REST replies while 50 clients flood /console/login with wrong passwords (console/login_guard.py).
bench-login-attack: train
	$(VENV)/bin/python benchmarks/bench_login_attack.py

clean:
	rm -rf $(MODELS) results .pytest_cache
