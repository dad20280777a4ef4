# The two commands a newcomer needs: `make sandbox` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
NATIVE := $(VENV)/.compiled-stamp

.PHONY: sandbox test lint bench install clean deploy-roles

$(STAMP): pyproject.toml sandbox/pyproject.toml constraints.txt
	$(PYTHON) -c 'import sys; sys.exit("Boltwatch needs Python 3.11 or newer (set PYTHON=python3.11)" if sys.version_info < (3, 11) else 0)'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	BOLTWATCH_PURE_PYTHON=1 $(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,postgres]' -e ./sandbox
	touch $(STAMP)

# bot/grouping compiled by mypyc in place (setup.py), again whenever one of its sources changes; without a C compiler
# the sources run (bot/grouping/_compiled.py), as they do whenever a source is newer than the build.
$(NATIVE): $(STAMP) setup.py $(wildcard bot/grouping/*.py)
	$(BIN)/python -m pip install --quiet -c constraints.txt --no-deps -e .
	touch $(NATIVE)

install: $(NATIVE)

sandbox: $(NATIVE)
	$(BIN)/boltwatch sandbox

test: $(NATIVE)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy

bench: $(NATIVE)
	$(BIN)/python -m bench

# deploy/*.yaml from the check and action registries (tests/aws/test_role_template.py keeps them equal to this).
deploy-roles: $(STAMP)
	$(BIN)/boltwatch iam-policy --all --wait-services cloudwatch,ec2,ecs,lambda --format cloudformation > deploy/readonly-role.yaml
	$(BIN)/boltwatch iam-policy --all --responder --format cloudformation > deploy/responder-role.yaml
	$(BIN)/boltwatch push template > deploy/push.yaml

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build
	rm -f bot/grouping/*.so
