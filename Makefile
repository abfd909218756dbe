# Two commands are the whole set-up: `make demo` and `make test`.
# Both bootstrap uv into a private venv from PyPI, then install the locked environment.
PYTHON ?= python3
UV_VERSION := 0.13.9
BOOT := .uv-boot
UV := $(BOOT)/bin/uv
VENV := .venv
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := $(PYTHON)
# The machines set PYTHONDONTWRITEBYTECODE: compile once at install, or every import recompiles.
export UV_COMPILE_BYTECODE := 1

.PHONY: demo test lint bench install clean

$(UV):
	$(PYTHON) -m venv $(BOOT)
	$(BOOT)/bin/python -m pip install --quiet "uv==$(UV_VERSION)"

$(VENV)/.synced: uv.lock pyproject.toml | $(UV)
	$(UV) sync --locked
	touch $@

install: $(VENV)/.synced

demo: install
	$(VENV)/bin/creditguard demo

lint: install
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy

test: lint
	$(VENV)/bin/pytest -n 2 --dist loadfile

bench: install
	$(VENV)/bin/python bench/pricing.py

clean:
	rm -rf $(BOOT) $(VENV) out .pytest_cache .mypy_cache .ruff_cache
