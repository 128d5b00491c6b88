"""The documentation stays true: its config table, its offline commands and its links."""

from __future__ import annotations

import re
import subprocess

import pytest

from marin import declarations
from marin.stackfiles import PROJECT_ROOT

DOCS = [PROJECT_ROOT / "README.md", *sorted((PROJECT_ROOT / "docs").glob("*.md"))]


def sh_commands() -> list[str]:
    """Every distinct command line of a ```sh block (the docs' convention for commands that run offline)."""
    out: list[str] = []
    for doc in DOCS:
        for block in re.findall(r"```sh\n(.*?)```", doc.read_text(encoding="utf-8"), re.S):
            for line in block.splitlines():
                command = line.split("  #")[0].strip()
                if command and not command.startswith("#") and command not in out:
                    out.append(command)
    return out


@pytest.fixture(scope="module")
def results() -> dict[str, subprocess.CompletedProcess[str]]:
    """Run every documented command at once (they are independent), then report each."""
    running = {
        c: subprocess.Popen(c, shell=True, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for c in sh_commands()
    }
    done = {}
    for command, process in running.items():
        out, err = process.communicate(timeout=300)
        done[command] = subprocess.CompletedProcess(command, process.returncode, out, err)
    return done


def test_the_configuration_table_matches_the_declarations() -> None:
    guide = (PROJECT_ROOT / "docs" / "environments.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- config-table:begin -->\n(.*?)\n<!-- config-table:end -->", guide, re.S)
    assert match, "docs/environments.md has no config table markers"
    assert match.group(1).strip() == declarations.config_table(), (
        "stale: paste `python -m marin.declarations --markdown` into docs/environments.md"
    )


def test_there_are_offline_commands_to_run() -> None:
    assert len(sh_commands()) >= 5


@pytest.mark.parametrize("command", sh_commands())
def test_every_offline_command_in_the_docs_runs_as_written(
    command: str, results: dict[str, subprocess.CompletedProcess[str]]
) -> None:
    done = results[command]
    assert done.returncode == 0, f"`{command}` failed:\n{done.stderr[-2000:]}"


def test_relative_links_resolve() -> None:
    for doc in DOCS:
        for target in re.findall(r"\]\(([^)]+)\)", doc.read_text(encoding="utf-8")):
            if target.startswith(("http://", "https://", "mailto:")):
                continue
            path, _, anchor = target.partition("#")
            resolved = (doc.parent / path) if path else doc
            assert resolved.exists(), f"{doc.name}: link to {target} does not resolve"
            if anchor:
                headings = re.findall(r"^#+ (.+)$", resolved.read_text(encoding="utf-8"), re.M)
                slugs = {re.sub(r"[^\w\- ]", "", h.lower()).strip().replace(" ", "-") for h in headings}
                assert anchor in slugs, f"{doc.name}: no heading #{anchor} in {path or doc.name}"
