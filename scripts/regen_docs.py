"""Regenerate the generated tables of README.md and docs/environments.md in place.

  .venv/bin/python scripts/regen_docs.py

Writes the cost table (`python -m offline cost --markdown`) and the configuration table
(`python -m marin.declarations --markdown`) between their markers; the tests fail when they are stale.
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from marin import declarations  # noqa: E402
from offline import cli  # noqa: E402

PROGRESS = re.compile(r"^\[\d+/\d+\] ")


def _replace(text: str, marker: str, body: str) -> str:
    pattern = re.compile(rf"(<!-- {marker}:begin -->\n).*?(\n<!-- {marker}:end -->)", re.S)
    if not pattern.search(text):
        return text
    return pattern.sub(lambda m: m.group(1) + body + m.group(2), text)


def main() -> int:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["cost", "--markdown"])
    if code != 0:
        # the refusal, without the per-environment progress lines
        refusal = [line for line in err.getvalue().splitlines() if not PROGRESS.match(line)]
        print("\n".join(refusal) or f"python -m offline cost --markdown exited {code}", file=sys.stderr)
        print("regen_docs: nothing written", file=sys.stderr)
        return 1
    cost_table = out.getvalue().strip()
    config_table = declarations.config_table()
    for doc in ("README.md", "docs/environments.md"):
        path = ROOT / doc
        text = path.read_text(encoding="utf-8")
        new = _replace(_replace(text, "cost-table", cost_table), "config-table", config_table)
        if new != text:
            path.write_text(new, encoding="utf-8")
            print(f"updated {doc}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
