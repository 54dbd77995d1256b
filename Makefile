# The two commands of the README: `make demo` and `make test`. Both create .venv on first use
# and reinstall only when pyproject.toml changes, so a second run is quick.

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
DEMO   := out/demo
export PLANNER_STORE ?= $(CURDIR)/$(DEMO)/planner.duckdb

.PHONY: demo test lint bench clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "planner needs Python >= 3.11; set PYTHON=/path/to/python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@ $(VENV)/.installed

## demo: ingest the bundled real samples into out/demo/planner.duckdb, print a usage summary, forecast ServeGen,
##       run the monthly job for January 2025 (forecast and capacity-plan snapshots, HTML reports) and compare
##       GPU commitments on Philly's busy nodes (2017; priced by plans/demo_prices.yaml); the example budgets'
##       status and alert payloads (data/samples/budgets.yaml, one threshold crossed: exit 3 is expected) and the
##       weekly showback report
demo: $(VENV)/.installed
	@$(BIN)/planner ingest data/samples/azure_llm_2023_code.csv data/samples/azure_llm_2023_conv.csv \
		data/samples/focus/multi_model_usage.csv data/samples/focus/ai_prompt_caching_a.csv
	@$(BIN)/planner ingest data/samples/servegen_hourly_by_model.csv --mapping data/samples/servegen.mapping.yaml
	@$(BIN)/planner ingest data/samples/philly_busy_nodes_hourly.csv --metric node_hours --source philly --id-dim product
	@echo
	@$(BIN)/planner usage summary
	@echo
	@$(BIN)/planner usage series --source servegen --metric requests --metric input_tokens --by model \
		--freq h --output $(DEMO)/servegen_hourly.csv
	@$(BIN)/planner forecast $(DEMO)/servegen_hourly.csv --horizon 48 --output $(DEMO)/servegen_forecast.csv \
		--backtest $(DEMO)/servegen_backtest.csv --save --label demo
	@echo
	@echo "store: $(PLANNER_STORE); forecasts: $(DEMO)/servegen_forecast.csv"
	@$(BIN)/planner monthly --month 2025-01 --source servegen --metric requests --freq h --horizon 48 \
		--plan plans/servegen.yaml --prices plans/demo_prices.yaml --budgets data/samples/budgets.yaml \
		--output-dir $(DEMO)/reports
	@echo
	@$(BIN)/planner budget status --budgets data/samples/budgets.yaml --prices plans/demo_prices.yaml \
		--alerts $(DEMO)/alerts; status=$$?; [ $$status -eq 0 ] || [ $$status -eq 3 ]   # 3: a threshold is crossed
	@$(BIN)/planner report showback -p prices_file plans/demo_prices.yaml --output-dir $(DEMO)/reports --date 2025-W03
	@$(BIN)/planner report commitment_comparison -p sources '[philly]' -p prices_file plans/demo_prices.yaml \
		--output-dir $(DEMO)/reports --date philly-2017

## test: the whole suite (slow real-data tests included)
test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check planner tests benchmarks

clean:
	rm -rf $(VENV) out .pytest_cache
