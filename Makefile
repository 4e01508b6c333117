# The README's commands. Everything runs inside .venv, created on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(CURDIR)/$(VENV)/bin
STAMP  := $(VENV)/.installed
RUN    := PATH="$(BIN):$$PATH" $(BIN)/python

.PHONY: demo test lint release bench system-deps clean

$(STAMP): pyproject.toml jupyter/jupyter_server_config.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	mkdir -p $(VENV)/etc/jupyter && cp jupyter/jupyter_server_config.py $(VENV)/etc/jupyter/
	touch $(STAMP)

system-deps:
	sh scripts/system-deps.sh

## make demo: the instructor's round trip for every assignment, two demo students, a score table
demo: $(STAMP) system-deps
	COURSE_QUICK=1 $(RUN) -m instructor.demo

## make test: lint, then the whole test suite (unit tests and the tests of the grading)
test: $(STAMP) system-deps lint
	COURSE_QUICK=1 $(RUN) -m pytest -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check helpers instructor tests bench jupyter nbgrader_config.py

## make release: regenerate release/ from source/ (commit the result)
release: $(STAMP)
	$(RUN) -m instructor.release

## make bench: the quick benchmark scripts, each prints a table (train_reference_*.py are long
## reference trainings on the real data: run them by hand, see the README)
bench: $(STAMP)
	for script in bench/*.py; do case $$script in */_*|*/reference_*|*/train_reference_*) continue;; esac; \
	  case $$script in */lstm_numpy_vs_torch.py) args="--steps 200";; *) args="";; esac; \
	  $(RUN) $$script $$args || exit 1; done

clean:
	rm -rf autograded submitted feedback gradebook.db grades.csv reports
