# The README's two commands: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.mtqc-installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: setup demo test lint bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml tools/setup.sh
	PY=$(PY) bash tools/setup.sh
	touch $(STAMP)

demo: setup
	@mkdir -p reports
	$(BIN)/mtqc check corpora/seed/000_901a9486359773a6.txt --format html -o reports/seed.html --fail-on none
	$(BIN)/mtqc check corpora/sample-nl-en.tsv --format html -o reports/sample-nl-en.html --fail-on none
	$(BIN)/mtqc check corpora/seed/000_901a9486359773a6.txt --fail-on none --color never
	@echo "HTML reports: reports/seed.html, reports/sample-nl-en.html"

lint: setup
	$(BIN)/ruff check mtqc tests bench tools training
	$(BIN)/ruff format --check mtqc tests bench tools training

test: setup lint
	bash tools/test_services.sh $(BIN)/pytest -q -ra

bench: setup
	$(BIN)/python bench/bench_rules.py

clean:
	rm -rf $(VENV) reports/*.html .pytest_cache
