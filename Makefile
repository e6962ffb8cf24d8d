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

.PHONY: demo test venv system-packages sample-index docs clean

venv: $(STAMP)

# OCR of scanned PDF pages (docs/ocr.md): Debian's Tesseract and the packs of the six UN languages. Needs root
# (apt-get); without them scanned pages are named in a warning that says what to install, the rest is indexed.
OCR_PACKAGES := tesseract-ocr tesseract-ocr-eng tesseract-ocr-fra tesseract-ocr-spa tesseract-ocr-rus \
	tesseract-ocr-ara tesseract-ocr-chi-sim
system-packages:
	@tesseract --list-langs 2>/dev/null | grep -qx chi_sim || (apt-get update && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y $(OCR_PACKAGES)) || \
		echo "could not install $(OCR_PACKAGES): scanned PDF pages will not be read"

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

demo: system-packages sample-index
	$(PY) examples/demo.py --index cwg-index
	@echo "web page and HTTP API on http://127.0.0.1:8000/ (Ctrl-C stops it)"
	$(CWG) serve --index cwg-index --host 127.0.0.1 --port 8000

# tests/ and the analyst notebooks (executed top to bottom by nbmake; plots land in notebooks/output/)
test: system-packages $(STAMP)
	$(PY) -m pytest -q tests --nbmake notebooks

# the site of docs/ (mkdocs.yml, material theme, nothing fetched); --strict: a broken link or anchor fails it
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict -d build/site

clean:
	rm -rf $(VENV) cwg-index build/site
