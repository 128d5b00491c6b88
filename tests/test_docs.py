"""The documentation stays true: its config table, its offline commands and its links."""

from __future__ import annotations

import contextlib
import io
import json
import re
import runpy
import shlex
import subprocess
from pathlib import Path

import pytest

from marin import declarations, stackfiles
from marin.stackfiles import PROJECT_ROOT
from offline import cli

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


OFFLINE = ".venv/bin/python -m offline"


def in_process(command: str) -> subprocess.CompletedProcess[str]:
    """`.venv/bin/python -m offline ARGS`, run as `offline/__main__.py` runs it, in this process."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(shlex.split(command)[len(OFFLINE.split()) :])
    return subprocess.CompletedProcess(command, code, out.getvalue(), err.getvalue())


CI_STEPS = {line.strip() for line in (PROJECT_ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()}


def run_here() -> list[str]:
    """The documented commands CI does not run verbatim as its own steps (those it runs there, once)."""
    return [c for c in sh_commands() if c not in CI_STEPS]


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, subprocess.CompletedProcess[str]]:
    """Every documented command CI does not run as a step: the offline ones in this process, as
    `python -m offline` runs them (`offline/__main__.py` is `cli.main()` on `sys.argv[1:]`), anything
    else in a shell; a file they write under /tmp/ goes to this run's own directory."""
    tmp = f"{tmp_path_factory.mktemp('docs')}/"
    return {
        c: in_process(c.replace("/tmp/", tmp))
        if c.startswith(f"{OFFLINE} ")
        else subprocess.run(c, check=False, shell=True, cwd=PROJECT_ROOT, capture_output=True, text=True)
        for c in run_here()
    }


def test_the_offline_entry_point_is_the_cli() -> None:
    entry = (PROJECT_ROOT / "offline" / "__main__.py").read_text(encoding="utf-8")
    assert "from offline.cli import main\n" in entry
    assert entry.rstrip().endswith("raise SystemExit(main())"), "main() reads sys.argv[1:]"


def test_the_configuration_table_matches_the_declarations() -> None:
    guide = (PROJECT_ROOT / "docs" / "environments.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- config-table:begin -->\n(.*?)\n<!-- config-table:end -->", guide, re.S)
    assert match, "docs/environments.md has no config table markers"
    assert match.group(1).strip() == declarations.config_table(), (
        "stale: paste `python -m marin.declarations --markdown` into docs/environments.md"
    )


def test_there_are_offline_commands_to_run() -> None:
    assert len(sh_commands()) >= 5


def test_ci_runs_the_main_job_and_the_offline_checks_as_the_docs_write_them() -> None:
    """The README's main job and the checks a pull request must pass are CI steps, verbatim."""
    for command in ("plan", "policy", "diff staging prod --check", "keys", "cost"):
        assert f"{OFFLINE} {command}" in CI_STEPS, command


@pytest.mark.parametrize("command", run_here())
def test_every_offline_command_in_the_docs_runs_as_written(
    command: str, results: dict[str, subprocess.CompletedProcess[str]]
) -> None:
    """`--base HEAD` reports the working tree's own uncommitted change (a team's new account ids
    replace the access-log bucket named after them): a change, even one `up` would stop on, is a
    report, not a failure of the documented command."""
    done = results[command]
    verdicts = {0, cli.CHANGES, cli.FAILING} if "--base" in command else {0}
    assert done.returncode in verdicts, f"`{command}` failed:\n{done.stderr[-2000:]}"


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


# --- switching and deploying, as the bootstrap really sets them up -----------------------------------------

REGEN = runpy.run_path(str(PROJECT_ROOT / "scripts" / "regen_docs.py"))  # puts bootstrap/ on sys.path
from marin_bootstrap import offline as bootstrap  # noqa: E402

TEMPLATE = PROJECT_ROOT / "templates" / "Pulumi.ENV.yaml"
BOOTSTRAP_ENVS: list[str] = REGEN["bootstrap_envs"]()
_backends: dict[str, dict[str, str]] = {}


def backend(env: str) -> dict[str, str]:
    """What bootstrap stack `env` creates: its state bucket and KMS alias (the registered resources),
    and the `backendUrl` / `secretsProvider` it exports, from the bootstrap program run under mocks."""
    if env not in _backends:
        inv = bootstrap.run(env)
        (bucket,) = inv.of_type("aws:s3/bucket:Bucket")
        (alias,) = inv.of_type("aws:kms/alias:Alias")
        _backends[env] = {
            "bucket": bucket.inputs["bucket"],
            "alias": alias.inputs["name"],
            "backendUrl": inv.outputs["backendUrl"],
            "secretsProvider": inv.outputs["secretsProvider"],
        }
    return _backends[env]


def documented(pattern: str) -> list[tuple[str, str]]:
    """(file, value) of every match of `pattern` in the README, docs/ and the template."""
    found = []
    for path in [*DOCS, TEMPLATE]:
        found += [(path.name, m) for m in re.findall(pattern, path.read_text(encoding="utf-8"))]
    return found


def test_there_is_a_bootstrap_stack_to_check_against() -> None:
    assert BOOTSTRAP_ENVS


def test_each_environments_backend_is_its_own_bucket_and_key_in_its_account_and_region() -> None:
    """The bootstrap's outputs name the bucket and alias it registers, in the account and region of
    the application stack file (`marin:allowedAccountIds`, `marin:awsRegion`). Every bootstrap stack
    in one test: the per-stack tests are those of the application's stacks."""
    for env in BOOTSTRAP_ENVS:
        app = stackfiles.effective_config(env)
        region = app.get("marin:awsRegion", "us-east-1")
        found = backend(env)
        assert found["backendUrl"] == f"s3://{found['bucket']}?region={region}"
        assert found["secretsProvider"] == f"awskms://{found['alias']}?region={region}"
        accounts = [a for a in json.loads(app["marin:allowedAccountIds"]) if a in found["bucket"]]
        assert accounts, f"{found['bucket']} names none of {env}'s accounts"
        assert env in found["bucket"]
        assert env in found["alias"]


def without_accounts(env: str, url: str) -> str:
    for account in json.loads(stackfiles.stack_config(env)["marin:allowedAccountIds"]):
        url = url.replace(account, "<account>")
    return url


def test_the_state_backend_table_is_what_the_bootstrap_creates() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- state-table:begin -->\n(.*?)\n<!-- state-table:end -->", readme, re.S)
    assert match, "README.md has no state-table markers"
    rows = [
        f"| {e} | `{without_accounts(e, backend(e)['backendUrl'])}` | `{backend(e)['secretsProvider']}` |"
        for e in BOOTSTRAP_ENVS
    ]
    assert match.group(1).splitlines()[2:] == rows, "stale: run `python scripts/regen_docs.py`"
    assert match.group(1) == REGEN["state_table"]()


def shape(value: str, env: str, account: str, region: str) -> re.Pattern[str]:
    """`value` (one environment's real URL) with its env, account and region open to any value or
    placeholder: the form every documented URL must have."""
    marked = re.sub(rf"\b{env}\b", "\0env\0", value.replace(account, "\0account\0").replace(region, "\0region\0"))
    any_value = {"account": r"\d{12}", "region": r"[a-z]{2}(?:-[a-z]+)+-\d", "env": r"[a-z][a-z0-9]{1,9}"}
    parts = marked.split("\0")  # literal, name, literal, name, ...
    return re.compile("".join(re.escape(p) if i % 2 == 0 else f"(?:<{p}>|{any_value[p]})" for i, p in enumerate(parts)))


@pytest.mark.parametrize(
    ("pattern", "output"),
    [
        (r"pulumi login \"?(s3://[^\"\s`]+)", "backendUrl"),
        (r"--secrets-provider[= ]\"?(awskms://[^\"\s`]+)", "secretsProvider"),
    ],
)
def test_documented_logins_and_secrets_providers_name_what_the_bootstrap_creates(pattern: str, output: str) -> None:
    """A renamed state bucket or KMS alias fails here until every documented command follows it;
    a concrete environment, account or region in a command must be that environment's."""
    found = documented(pattern)
    assert found
    real = {e: backend(e)[output] for e in BOOTSTRAP_ENVS}
    for name, written in found:
        url = re.sub(r"^(s3://[^/?]+)/[^?]*", r"\1", written)  # the bootstrap's own state sits under a prefix
        for env, value in real.items():
            cfg = stackfiles.effective_config(env)
            account = bootstrap.config_of(env)["marin-bootstrap:accountId"]
            form = shape(value, env, account, cfg.get("marin:awsRegion", "us-east-1"))
            assert form.fullmatch(url), f"{name}: {url} is not the form of {value} (bootstrap stack {env})"
        concrete = [e for e in real if re.search(rf"-{e}-", url)]
        for env in concrete:
            if not re.search(r"<account>|<region>", url):
                assert url == real[env], f"{name}: {url}; bootstrap stack {env} creates {real[env]}"


def test_every_application_stack_is_created_with_its_kms_secrets_provider() -> None:
    """A stack created without `--secrets-provider` gets a passphrase provider CI cannot open
    (Pulumi docs, "Secrets": the default provider on a self-managed backend is a passphrase)."""
    creations = documented(r"pulumi stack (?:init|select --create)[^\n`|]*organization/marin/[^\n`|]*")
    assert creations
    for name, command in creations:
        assert re.search(r"--secrets-provider[= ]\"?awskms://", command), f"{name}: {command}"


def test_every_documented_switch_logs_in_to_the_environments_backend_first() -> None:
    """Each environment's state is in its own bucket: a `pulumi stack select` or `init` of an
    application stack in a command block follows a `pulumi login` to an S3 backend in that block."""
    blocks = [
        (p.name, b)
        for p in [*DOCS, TEMPLATE]
        for b in re.findall(r"```(?:bash|sh)\n(.*?)```", p.read_text(encoding="utf-8"), re.S)
    ]
    blocks.append((TEMPLATE.name, TEMPLATE.read_text(encoding="utf-8").split("\nconfig:")[0]))
    switches = 0
    for name, block in blocks:
        for match in re.finditer(r"pulumi stack (?:select|init)[^\n]*organization/marin/", block):
            switches += 1
            assert re.search(r"pulumi login \"?s3://", block[: match.start()]), f"{name}: {match.group(0)}"
    assert switches


# --- every figure is generated or checked ------------------------------------------------------------------

GENERATED = re.compile(r"<!-- ([a-z-]+):begin -->\n.*?\n<!-- \1:end -->", re.S)
FIGURES = {
    "money": r"\$\s?\d",
    "percentage": r"\d\s?%",
    "seconds": r"\b\d[\d,.]*\s?s\b",
    "test count": r"\b\d[\d,]*\s+(?:tests|mutants)\b",
}
WORKFLOWS = "".join(p.read_text(encoding="utf-8") for p in sorted((PROJECT_ROOT / ".github").rglob("*.yml")))


def hand_written_figures(text: str) -> list[str]:
    """Money, percentages, seconds and test counts outside the generated tables, except a number of
    seconds the workflows themselves set (so a changed workflow fails here until the guide follows)."""
    prose = GENERATED.sub("", text)
    found = []
    for kind, pattern in FIGURES.items():
        for match in re.finditer(pattern, prose):
            number = re.sub(r"\D", "", match.group(0))
            if kind == "seconds" and re.search(rf"\b{number}\b", WORKFLOWS):
                continue
            found.append(f"{kind}: {prose[max(0, match.start() - 40) : match.end() + 10]!r}")
    return found


def test_the_figure_check_finds_hand_written_figures() -> None:
    stale = "costs ~$24 a month, 1,360 tests in ~45 s, 1.0% survived\n<!-- t:begin -->\n$1.00\n<!-- t:end -->"
    assert [f.split(":")[0] for f in hand_written_figures(stale)] == ["money", "percentage", "seconds", "test count"]


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_figure_in_the_docs_is_generated_or_checked(doc: Path) -> None:
    """Cost figures come from `scripts/regen_docs.py`'s tables, timings from `scripts/benchmark.py`
    when asked, never from prose, which goes stale (issue 23, point 7)."""
    assert hand_written_figures(doc.read_text(encoding="utf-8")) == []
