"""`diff --base` and `cost --base` on real commits: a temporary copy of this repository becomes a
git repository, a commit changes something, and the offline tools report what that commit does.
The base side is REF's own `plan --json -`, in its own process unless REF holds this program
(offline/cli.py `base_and_head`, `_program_at`)."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import subprocess
from pathlib import Path

import pulumi_aws as aws
import pytest
import yaml

from marin import cost, stackfiles
from marin.stackfiles import PROJECT_ROOT
from offline import cli, engine
from offline.engine import token

GIT = ["git", "-c", "user.email=ci@example.invalid", "-c", "user.name=ci", "-c", "commit.gpgsign=false"]


def copy_repo(target: Path) -> Path:
    """The working tree's files (tracked and untracked, not ignored) in `target`."""
    files = subprocess.run(
        ["git", "-C", str(PROJECT_ROOT), "ls-files", "-co", "--exclude-standard"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    for name in files:
        src = PROJECT_ROOT / name
        if src.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target / name)
    return target


def git(repo: Path, *args: str) -> str:
    return subprocess.run([*GIT, "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout


def offline(repo: Path, *args: str) -> tuple[int, str, str]:
    """The CLI in this process on the copy's stack files and git history (its program is this
    checkout's, which the copy's base commit is a copy of; the base side runs the copy's commit)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["--stack-dir", str(repo), *args])
    assert "Traceback" not in err.getvalue(), err.getvalue()
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = copy_repo(tmp_path_factory.mktemp("clone"))
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    return repo


def commit_change(repo: Path, env: str, old: str, new: str) -> None:
    path = repo / f"Pulumi.{env}.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    git(repo, "commit", "-qam", f"change {env}")


def test_an_unchanged_tree_has_no_changes_and_no_delta(repo: Path) -> None:
    code, out, _ = offline(repo, "diff", "--base", "HEAD", "dev", "--detailed-exitcode")
    assert code == 0
    assert "all 1 environment(s): + 0 to create, ~ 0 to update, - 0 to delete, +- 0 to replace" in out


def test_a_size_change_costs_what_the_price_table_says(repo: Path, tmp_path: Path) -> None:
    commit_change(repo, "staging", "marin:redisNodeType: cache.t4g.small", "marin:redisNodeType: cache.t4g.medium")
    target = tmp_path / "cost.json"
    code, out, _ = offline(repo, "cost", "--base", "HEAD~1", "staging", "--json", str(target))
    assert code == 0
    doc = json.loads(target.read_text())
    assert doc["schemaVersion"] == 2
    assert doc["kind"] == "cost"
    assert doc["mode"] == "base"
    staging = doc["environments"]["staging"]
    prices = cost.load_prices()
    nodes = 2  # staging is highly available: a primary and a replica
    expected = nodes * prices.hours * (prices("cache.t4g.medium_hour") - prices("cache.t4g.small_hour"))
    assert staging["delta"] == pytest.approx(expected, abs=0.01)
    assert staging["tiers"]["cache"]["delta"] == pytest.approx(expected, abs=0.01)
    assert staging["tiers"]["compute"]["delta"] == 0
    (redis,) = staging["resources"]
    assert (redis["type"], redis["logicalName"]) == (token(aws.elasticache.ReplicationGroup), "cache-redis")
    assert redis["detail"] == {"old": "2 x cache.t4g.small", "new": "2 x cache.t4g.medium"}
    assert doc["total"]["delta"] == pytest.approx(expected, abs=0.01)
    assert f"+${expected:,.2f}" in out
    code, out, _ = offline(repo, "diff", "--base", "HEAD~1", "staging", "--detailed-exitcode")
    assert code == cli.CHANGES  # node_type is updatable (elasticache/replication_group.go)
    assert '~ nodeType: "cache.t4g.small" -> "cache.t4g.medium"' in out
    assert "+- 0 to replace" in out
    assert "WARNING" not in out
    code, out, err = offline(repo, "diff", "--base", "HEAD~1", "staging", "--json", "-")
    assert json.loads(out)["environments"]["staging"]["counts"]["update"] == 1, "the document alone on stdout"
    assert "nodeType" in err, "the report on stderr"


def test_a_bucket_suffix_change_fails_on_the_protected_bucket(repo: Path, tmp_path: Path) -> None:
    commit_change(repo, "prod", "config:\n", "config:\n  marin:recordingsBucketSuffix: a1b2\n")
    target = tmp_path / "diff.json"
    code, out, _ = offline(repo, "diff", "--base", "HEAD~1", "dev", "prod", "--json", str(target))
    assert code == cli.FAILING  # `pulumi preview` refuses to replace a protected resource
    doc = json.loads(target.read_text())
    assert doc["schemaVersion"] == 2
    assert doc["mode"] == "base"
    prod = doc["environments"]["prod"]
    (bucket,) = [c for c in prod["changes"] if c["type"] == token(aws.s3.Bucket)]
    assert bucket["op"] == "replace"
    assert bucket["protected"]
    assert bucket["deleteFirst"]  # bucket is set by the program (the bridge's rule)
    assert bucket["failing"] == ["replace of a protected resource"]
    assert bucket["physicalName"] == {"old": "marin-prod-call-recordings", "new": "marin-prod-call-recordings-a1b2"}
    assert bucket["properties"][0] == {
        "path": "bucket",
        "old": "marin-prod-call-recordings",
        "new": "marin-prod-call-recordings-a1b2",
        "forcesReplacement": True,
        "replacesIf": None,
    }
    assert doc["environments"]["dev"]["counts"]["replace"] == 0  # only prod changed
    assert "+- Bucket storage-recordings (marin-prod-call-recordings -> marin-prod-call-recordings-a1b2)" in out
    assert "ERROR prod: REPLACE DELETE-FIRST protected stateful aws:s3/bucket:Bucket storage-recordings" in out


def test_a_base_whose_program_refuses_its_stack_says_why_in_one_line(repo: Path) -> None:
    """REF's own refusal, key and all (was only its last line: "1 problem(s) in 1 stack(s)")."""
    env = stackfiles.environments(repo)[0]
    commit_change(repo, env, "config:\n", "config:\n  marin:retentionDayz: 8\n")
    git(repo, "revert", "--no-edit", "HEAD")
    try:
        code, _, err = offline(repo, "diff", "--base", "HEAD~1", env)
        (line,) = [line for line in err.splitlines() if line.startswith("error:")]
        assert code == 1
        assert "did not plan: " in line
        assert "marin:retentionDayz is not a known key; did you mean marin:logRetentionDays?" in line
    finally:
        git(repo, "reset", "-q", "--hard", "HEAD~2")


def test_a_stack_dir_outside_git_is_a_usage_error_for_base(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text((Path(cli.stackfiles.PROJECT_ROOT) / "Pulumi.yaml").read_text())
    (tmp_path / "Pulumi.dev.yaml").write_text((Path(cli.stackfiles.PROJECT_ROOT) / "Pulumi.dev.yaml").read_text())
    code, _, err = offline(tmp_path, "diff", "--base", "HEAD")
    assert code == cli.USAGE
    assert "--base needs a git repository" in err


def test_a_commit_that_changes_the_program_is_run_with_its_own_program(repo: Path) -> None:
    """The base side runs the base commit's code (in its own process: it is not this program)."""
    # a commit whose program tags everything differently: the base side must show the old tag
    tags = repo / "marin" / "config.py"
    tags.write_text(tags.read_text().replace('"ManagedBy": "pulumi",', '"ManagedBy": "pulumi-old",'))
    git(repo, "commit", "-qam", "a program change")
    try:
        _, old, _ = cli.base_and_head("HEAD", ["dev"], repo)
        provider = next(r for r in old["dev"]["resources"] if r["type"] == "pulumi:providers:aws")
        assert provider["inputs"]["defaultTags"]["tags"]["ManagedBy"] == "pulumi-old", "the base commit's code ran"
        code, out, _ = offline(repo, "diff", "--base", "HEAD", "dev")
        assert code == 0
        assert '~ defaultTags.tags.ManagedBy: "pulumi-old" -> "pulumi"' in out, out
        assert '~ tagsAll.ManagedBy: "pulumi-old" -> "pulumi"' in out, "every tagged resource follows"
    finally:
        git(repo, "revert", "--no-edit", "HEAD")  # the module's other tests run this program again


def test_a_stack_dir_below_the_root_is_compared_with_itself_at_ref_symlinks_included(repo: Path) -> None:
    """`--stack-dir alt` compares alt/ with alt/ at REF (not the root's stack files), and a stack
    file that is a symlink reads as its target on both sides."""
    alt = repo / "alt"
    (alt / "stacks").mkdir(parents=True)
    (alt / "Pulumi.yaml").write_text((repo / "Pulumi.yaml").read_text())
    dev = (repo / "Pulumi.dev.yaml").read_text()
    old = "marin:redisNodeType: cache.t4g.micro"
    assert old in dev
    (alt / "stacks" / "dev.yaml").write_text(dev.replace(old, "marin:redisNodeType: cache.t4g.small"))
    (alt / "Pulumi.dev.yaml").symlink_to(Path("stacks") / "dev.yaml")
    git(repo, "add", "alt")
    git(repo, "commit", "-qm", "a second project directory, its stack file a symlink")
    try:
        code, out, err = offline(alt, "diff", "--base", "HEAD", "dev")
        assert (code, err.count("error")) == (0, 0), err
        assert "+ 0 to create, ~ 0 to update, - 0 to delete, +- 0 to replace; 0 properties changed" in out, out
    finally:
        git(repo, "rm", "-rq", "alt")
        git(repo, "commit", "-qm", "no second project directory")


def test_a_stack_dir_ref_does_not_have_yet_is_all_creates(repo: Path) -> None:
    """A new project directory, not committed: nothing at REF to plan, every resource created."""
    new = repo / "new-stacks"
    new.mkdir()
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml"):
        shutil.copy(repo / name, new / name)
    try:
        code, out, err = offline(new, "diff", "--base", "HEAD", "dev")
    finally:
        shutil.rmtree(new)
    assert (code, err.count("error")) == (0, 0), err
    assert "- 0 to delete" in out, out
    assert "+ 0 to create" not in out, out


def test_the_calling_shell_s_pulumi_config_reaches_neither_side(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({"marin:redisNodeType": "cache.r7g.large", "marin:bogus": "x"}))
    monkeypatch.setenv("PULUMI_CONFIG_MARIN_REDISNODETYPE", "cache.r7g.large")
    code, out, err = offline(repo, "diff", "--base", "HEAD", "dev")
    assert (code, err.count("error")) == (0, 0), err
    assert "0 properties changed" in out
    inv = engine.run("dev", stack_dir=repo)  # not remembered: the program really runs
    (redis,) = inv.of_type(token(aws.elasticache.ReplicationGroup))
    assert redis.inputs["nodeType"] == "cache.t4g.micro", "the stack file's value, not the shell's"


def test_a_base_git_cannot_archive_is_one_line(tmp_path: Path) -> None:
    """A commit git cannot export (a blob missing, as in a partial clone offline): one line, not a traceback."""
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml"):
        shutil.copy(Path(cli.stackfiles.PROJECT_ROOT) / name, tmp_path / name)
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "base")
    blob = git(tmp_path, "rev-parse", "HEAD:Pulumi.yaml").strip()
    (tmp_path / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    code, _, err = offline(tmp_path, "diff", "--base", "HEAD", "dev")
    assert code == 1
    assert err.startswith("error: --base HEAD: git archive "), err
    assert len(err.strip().splitlines()) == 1, err


def test_only_a_tree_holding_this_program_is_planned_in_this_process(tmp_path: Path) -> None:
    """REF's stack files run with this process's program only when REF holds none or this one: git's
    tracked files here and untracked Python files, but prose, stack files and tests, the same bytes."""
    here = copy_repo(tmp_path / "here")
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "here"]):
        git(here, *args)
    tree = copy_repo(tmp_path / "ref")
    assert cli._program_at(str(tree), tree, here) is None
    (tree / "Pulumi.dev.yaml").write_text("config: {}\n")
    (tree / "docs" / "new.md").write_text("prose\n")
    (tree / "tests" / "test_foundation.py").write_text("")
    (here / "report").mkdir()
    (here / "report" / "diff.txt").write_text("")  # what the pull-request workflow writes before it runs
    assert cli._program_at(str(tree), tree, here) is None, "stack files, prose, tests and reports are not the program"
    (here / "components" / "cache").mkdir()
    (here / "components" / "cache" / "__init__.py").write_text("")  # untracked, imported in place of cache.py
    assert cli._program_at(str(tree), tree, here) == tree, "an untracked module here"
    shutil.rmtree(here / "components" / "cache")
    for change in ("a changed module", "a module only REF has", "a module REF lacks", "changed data", "a link"):
        other = copy_repo(tmp_path / change.replace(" ", "-"))
        naming = other / "marin" / "naming.py"
        if change == "a changed module":
            naming.write_text(naming.read_text() + "\n")
        elif change == "a module only REF has":
            (other / "components" / "extra.py").write_text("")
        elif change == "a module REF lacks":
            (other / "components" / "cache.py").unlink()
        elif change == "changed data":
            (other / "Pulumi.yaml").write_text((other / "Pulumi.yaml").read_text() + "\n")
        else:
            naming.unlink()
            naming.symlink_to("naming.txt")
            (other / "marin" / "naming.txt").write_text((here / "marin" / "naming.py").read_text())
        assert cli._program_at(str(other), other, here) == other, change
    mono, inside = tmp_path / "mono", tmp_path / "mono-ref"
    copy_repo(mono / "infra")
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "a program in a folder of its repository"]):
        git(mono, *args)
    copy_repo(inside / "infra")
    assert cli._program_at(str(mono), inside, mono / "infra") is None
    (inside / "infra" / "marin" / "naming.py").write_text("")
    assert cli._program_at(str(mono), inside, mono / "infra") == inside / "infra", "run where it is"
    (inside / "infra" / "__main__.py").unlink()
    assert cli._program_at(str(mono), inside, mono / "infra") is None, "a REF without a program: this one"


def test_a_ref_whose_files_cannot_be_exported_safely_is_one_line(repo: Path) -> None:
    (repo / "outside").symlink_to("/etc/hostname")
    git(repo, "add", "outside")
    git(repo, "commit", "-qm", "a link out of the repository")
    try:
        code, _, err = offline(repo, "diff", "--base", "HEAD", "dev")
    finally:
        git(repo, "rm", "-q", "outside")
        git(repo, "commit", "-qm", "no link out")
    assert code == 1
    assert err.startswith("error: --base HEAD: its files cannot be exported safely: "), err
    assert len(err.strip().splitlines()) == 1, err


@pytest.mark.parametrize("key", ["logRetentionDays", "retentionDayz"])
def test_ref_s_stack_files_plan_alike_in_this_process_and_in_their_own(
    repo: Path, key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same document, exit code and error line whichever process runs REF's stack files."""
    stack = repo / "Pulumi.staging.yaml"
    doc = yaml.safe_load(stack.read_text())
    doc["config"][f"marin:{key}"] = 400  # a retention CloudWatch Logs allows; a key no schema has
    stack.write_text(yaml.safe_dump(doc))
    git(repo, "commit", "-qam", f"staging {key}")
    git(repo, "revert", "--no-edit", "HEAD")
    try:
        answers: list[Path | None] = []
        real = cli._program_at
        monkeypatch.setattr(cli, "_program_at", lambda *args: answers.append(real(*args)) or answers[-1])
        seen = [offline(repo, "diff", "--base", "HEAD~1", "staging", "--json", "-")]
        assert answers == [None], "REF holds this program: its stack files planned in this process"
        monkeypatch.setattr(cli, "_program_at", lambda _root, tree: tree)
        seen.append(offline(repo, "diff", "--base", "HEAD~1", "staging", "--json", "-"))
    finally:
        git(repo, "reset", "-q", "--hard", "HEAD~2")
    (code, out, err), (code2, out2, err2) = seen
    assert (code, out) == (code2, out2)
    errors = [[ln for ln in e.splitlines() if ln.startswith("error:")] for e in (err, err2)]
    assert errors[0] == errors[1]
    assert all("/marin-base-" not in e for e in errors[0]), "a file named as in REF's tree, not a deleted temporary"
