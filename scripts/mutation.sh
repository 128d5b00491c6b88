#!/usr/bin/env bash
# Mutation testing of marin/ and the policy pack (policy/marin_policies/): one small change to the
# code at a time, the fast test modules listed in [tool.mutmut] of pyproject.toml run after each
# (only the tests that reach the changed function). Not part of CI: about an hour on one core.
# MUTMUT_CHILDREN=2 halves it on a machine nobody else is using. Without arguments it starts
# from scratch; `--resume` keeps the verdicts in mutants/ (mutmut reruns the mutants of a function
# whose source changed) and runs what is left; other arguments
# go to `mutmut run` (e.g. "marin.cost*" to iterate on one module, or one mutant's name to rerun
# it after a new test: mutmut reruns a named mutant, and lets a verdict stand only for the rest).
# Prints survival per module; docs/testing.md records the last figures and the equivalent survivors.
#
# `--components [--resume]`: the second pass, the security-relevant tiers of components/ against
# the program-running invariant tests (scripts/mutation-components.toml), in a copy of the working
# tree under .cache/mutation-components/ (mutmut reads one [tool.mutmut]; the copy gets this one).
set -Eeuo pipefail
cd "$(dirname "$0")/.."
root=$PWD marker=mutation-table
[ -x .venv/bin/mutmut ] || .venv/bin/pip install -q -r requirements-dev.txt
if [ "${1:-}" = "--components" ]; then
  shift
  work=.cache/mutation-components marker=mutation-components-table
  if [ "${1:-}" = "--resume" ]; then
    shift
  else
    rm -rf "$work"
    mkdir -p "$work"
    git ls-files -co --exclude-standard -z | xargs -0 cp --parents -t "$work"
    .venv/bin/python - "$work/pyproject.toml" scripts/mutation-components.toml <<'PY'
import re
import sys

target, section = sys.argv[1], open(sys.argv[2], encoding="utf-8").read()
text = open(target, encoding="utf-8").read()
text = re.sub(r"^\[tool\.mutmut\].*?(?=^\[|\Z)", "", text, flags=re.S | re.M)
open(target, "w", encoding="utf-8").write(text.rstrip() + "\n\n" + section)
PY
  fi
  ln -sfn "$PWD/.venv" "$work/.venv"
  cd "$work"
  set -- --resume "$@"  # the copy's mutants/ holds this pass's verdicts
fi
if [ "${1:-}" = "--resume" ]; then
  shift
  # mutmut maps tests to functions again only for tests it has not seen: a function added since
  # (a new helper) would show as reached by no test. The verdicts are kept; the map is rebuilt.
  [ "$marker" = mutation-components-table ] || rm -f mutants/mutmut-stats.json
elif [ "$#" -eq 0 ]; then
  rm -rf mutants
fi
.venv/bin/mutmut run --max-children "${MUTMUT_CHILDREN:-1}" "$@" || true
.venv/bin/mutmut results --all true > .mutmut-results.txt || true
.venv/bin/python - "$root/docs/testing.md" "$marker" <<'PY'
import datetime
import re
import subprocess
import sys
from collections import Counter, defaultdict

counts: dict[str, Counter[str]] = defaultdict(Counter)
for line in open(".mutmut-results.txt", encoding="utf-8"):
    name, _, status = line.strip().rpartition(": ")
    if name:
        counts[name.split(".x_")[0].split(".xǁ")[0]][status] += 1


def row(label: str, c: Counter[str]) -> str:
    tested = sum(v for k, v in c.items() if k not in ("no tests", "not checked", "skipped"))
    return f"| {label} | {tested} | {c['survived']} | {100 * c['survived'] / tested:.1f}% | {c['timeout']} | {c['no tests']} |"


run = {m: c for m, c in sorted(counts.items()) if set(c) - {"no tests", "not checked", "skipped"}}
rows = ["| module | tested | survived | survival | timed out | no test reaches it |", "|---|--:|--:|--:|--:|--:|"]
rows += [row(f"`{m}`", c) for m, c in run.items()] + [row("all", sum(run.values(), Counter()))] if run else []
doc, marker = sys.argv[1:]
commit = subprocess.run(["git", "-C", doc.rsplit("/", 2)[0], "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
table = "\n".join(rows) + f"\n\nAt {commit.stdout.strip()}, {datetime.date.today()}: written by `scripts/mutation.sh`."
print(table)
text = open(doc, encoding="utf-8").read()
block = re.compile(rf"(<!-- {marker}:begin -->\n).*?(<!-- {marker}:end -->)", re.S)
open(doc, "w", encoding="utf-8").write(block.sub(lambda m: m.group(1) + table + "\n" + m.group(2), text))
PY
echo "survivors: .venv/bin/mutmut results; one of them: .venv/bin/mutmut show NAME"
