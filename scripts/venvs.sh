# Sourced by scripts/setup, scripts/test and scripts/lint: the Home Assistant versions we test,
# each with its own venv, pinned requirements file and Python.
#   2026.2   Home Assistant 2026.2.3   Python 3.13 (>= 3.13.2)   .venv          requirements_ha2026.2.txt
#   2026.11  Home Assistant 2026.11.0  Python 3.14 (>= 3.14.2)   .venv-2026.11  requirements_ha2026.11.txt
# shellcheck shell=bash disable=SC2034
TARGETS=(2026.2 2026.11)
declare -A VENV=([2026.2]=.venv [2026.11]=.venv-2026.11)
declare -A PYTHON_MIN=([2026.2]=3.13.2 [2026.11]=3.14.2)
# The version our users run: lint (mypy against its types), the plain-Core install check and
# the end-to-end tests run on it.
CURRENT=2026.11
# The venv that also gets requirements_develop_ha<version>.txt (Home Assistant's frontend and
# Playwright): scripts/develop and the browser tests run there.
DEVELOP_TARGET=2026.11
