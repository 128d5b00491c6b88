"""Regenerate the generated tables of README.md and docs/environments.md in place.

  .venv/bin/python scripts/regen_docs.py

Writes, between their markers, the cost table (`python -m offline cost --markdown`), the
configuration table (`python -m marin.declarations --markdown`) and the state-backend table (each
bootstrap stack's `backendUrl` and `secretsProvider` outputs, from the bootstrap program run under
mocks); the tests fail when any is stale.
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bootstrap")]

from marin_bootstrap import offline as bootstrap  # noqa: E402

from marin import declarations, stackfiles  # noqa: E402
from offline import cli  # noqa: E402

PROGRESS = re.compile(r"^\[\d+/\d+\] ")


def bootstrap_envs() -> list[str]:
    """Environments with a bootstrap stack file, in the application's order (dev, staging, prod, the rest)."""
    return [env for env in stackfiles.environments(ROOT) if (ROOT / "bootstrap" / f"Pulumi.{env}.yaml").is_file()]


def anonymous(url: str) -> str:
    """The account id as `<account>`: each team's own, so its real ids leave the README unchanged."""
    return re.sub(r"\b\d{12}\b", "<account>", url)


def state_table() -> str:
    """Per environment, the state backend and secrets provider its bootstrap creates: what
    `pulumi login` and `pulumi stack init --secrets-provider` take."""
    rows = ["| environment | `pulumi login` | `--secrets-provider` of `pulumi stack init` |", "|---|---|---|"]
    for env in bootstrap_envs():
        outputs = bootstrap.run(env).outputs
        rows.append(f"| {env} | `{anonymous(outputs['backendUrl'])}` | `{outputs['secretsProvider']}` |")
    return "\n".join(rows)


def _replace(text: str, marker: str, body: str) -> str:
    pattern = re.compile(rf"(<!-- {marker}:begin -->\n)(?:.*?\n)?(<!-- {marker}:end -->)", re.S)
    return pattern.sub(lambda m: m.group(1) + body + "\n" + m.group(2), text)


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
    try:
        states = state_table()
    except Exception as error:  # a refused bootstrap stack: its one-line reason
        print(f"{error}\nregen_docs: nothing written", file=sys.stderr)
        return 1
    tables = {"cost-table": out.getvalue().strip(), "config-table": declarations.config_table(), "state-table": states}
    for doc in ("README.md", "docs/environments.md"):
        path = ROOT / doc
        text = path.read_text(encoding="utf-8")
        new = text
        for marker, body in tables.items():
            new = _replace(new, marker, body)
        if new != text:
            path.write_text(new, encoding="utf-8")
            print(f"updated {doc}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
