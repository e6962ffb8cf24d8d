# Two entry points: `make demo` (set up, build the sample index, run the main job) and `make test`;
# `make docs` builds the documentation site into build/site/.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CWG := $(VENV)/bin/cwg
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: demo test venv sample-index docs clean

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps -e .
	touch $(STAMP)

sample-index: $(STAMP)
	$(CWG) ingest examples/cwg-cop-20 --manifest examples/cwg-cop-20/manifest.csv --index cwg-index
	$(CWG) tag --index cwg-index

demo: sample-index
	$(PY) examples/demo.py --index cwg-index
	@echo "web page and HTTP API on http://127.0.0.1:8000/ (Ctrl-C stops it)"
	$(CWG) serve --index cwg-index --host 127.0.0.1 --port 8000

# tests/ and the analyst notebooks (executed top to bottom by nbmake; plots land in notebooks/output/)
test: $(STAMP)
	$(PY) -m pytest -q tests --nbmake notebooks

# the site of docs/ (mkdocs.yml, material theme, nothing fetched); --strict: a broken link or anchor fails it
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict -d build/site

clean:
	rm -rf $(VENV) cwg-index build/site
