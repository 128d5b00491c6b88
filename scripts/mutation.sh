#!/usr/bin/env bash
# Mutation testing of the pure modules (marin/): one small change to the code at a time, the pure
# test modules run after each (see [tool.mutmut] in pyproject.toml). Not part of CI: it takes
# minutes. Prints the survivors; README "Testing" records the last figure and the equivalents.
set -Eeuo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/mutmut ] || .venv/bin/pip install -q -r requirements-dev.txt
rm -rf mutants
.venv/bin/mutmut run --max-children "${MUTMUT_CHILDREN:-2}" || true
.venv/bin/mutmut results > .mutmut-results.txt || true
total=$(grep -c ':' .mutmut-results.txt || true)
echo "surviving or not killed (mutmut results):"
cat .mutmut-results.txt
echo "listed: ${total}"
