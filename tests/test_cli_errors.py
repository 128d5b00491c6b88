"""Every bad input the offline commands meet: one line naming the file, key or path, exit 1 (bad
input) or 2 (usage), never a traceback."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from marin.stackfiles import PROJECT_ROOT
from offline import cli


@pytest.fixture
def stacks(tmp_path: Path) -> Path:
    for f in PROJECT_ROOT.glob("Pulumi*.yaml"):
        shutil.copy(f, tmp_path / f.name)
    return tmp_path


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = cli.main(argv)
    err = capsys.readouterr().err
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert errors, err
    return code, "\n".join(errors)


def edit(stacks: Path, env: str, old: str, new: str) -> Path:
    path = stacks / f"Pulumi.{env}.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    return path


def test_malformed_yaml_names_the_file_and_line(stacks: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = edit(stacks, "dev", "marin:azCount: 2", "marin:azCount: [2")
    code, err = run(["--stack-dir", str(stacks), "plan", "dev"], capsys)
    assert code == 1
    assert err.startswith(f"error: {path}: not valid YAML: line ")


def test_a_tab_indent_is_named(stacks: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = edit(stacks, "dev", "\n  marin:azCount: 2", "\n\tmarin:azCount: 2")
    code, err = run(["--stack-dir", str(stacks), "plan", "dev"], capsys)
    assert code == 1
    assert f"{path}: not valid YAML: line " in err
    assert "a tab character: YAML indents with spaces only" in err


def test_a_list_at_the_top_level_is_refused(stacks: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (stacks / "Pulumi.dev.yaml").write_text("- marin:azCount: 2\n")
    code, err = run(["--stack-dir", str(stacks), "plan", "dev"], capsys)
    assert code == 1
    assert "Pulumi.dev.yaml: the top level is a list; expected a mapping" in err


def test_an_empty_file_says_so(stacks: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (stacks / "Pulumi.dev.yaml").write_text("# nothing yet\n")
    code, err = run(["--stack-dir", str(stacks), "plan", "dev"], capsys)
    assert code == 1
    assert "Pulumi.dev.yaml: the file is empty" in err
    assert "is missing" not in err


def test_a_duplicate_key_is_refused(stacks: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(stacks, "dev", "  marin:azCount: 2\n", "  marin:azCount: 2\n  marin:azCount: 3\n")
    code, err = run(["--stack-dir", str(stacks), "plan", "dev"], capsys)
    assert code == 1
    assert "Pulumi.dev.yaml: not valid YAML: line " in err
    assert "duplicate key 'marin:azCount' (first on line " in err


def test_aws_region_is_refused_pointing_at_marin_aws_region(stacks: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(stacks, "dev", "config:\n", "config:\n  aws:region: us-west-2\n")
    code, err = run(["--stack-dir", str(stacks), "plan", "dev"], capsys)
    assert code == 1
    assert "Pulumi.dev.yaml: aws:region is ignored by this program" in err
    assert "set marin:awsRegion" in err


def test_a_key_without_the_prefix_is_named(stacks: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(stacks, "dev", "  marin:workerCpu: 256", "  workerCpu: 256")
    code, err = run(["--stack-dir", str(stacks), "plan", "dev"], capsys)
    assert code == 1
    assert "workerCpu: keys need the marin: prefix" in err
    assert "marin:workerCpu is missing" not in err


def test_plan_reports_every_bad_stack(stacks: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(stacks, "dev", "marin:logRetentionDays: 7", "marin:logRetentionDays: 8")
    edit(stacks, "prod", "marin:logRetentionDays: 30", "marin:logRetentionDays: 31")
    code, err = run(["--stack-dir", str(stacks), "plan"], capsys)
    assert code == 1
    assert "stack 'dev'" in err
    assert "stack 'prod'" in err
    assert "2 problem(s) in 3 stack(s)" in err


def test_plan_reports_every_unreadable_stack_file(stacks: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (stacks / "Pulumi.dev.yaml").write_text("")
    (stacks / "Pulumi.prod.yaml").write_text("- a\n")
    code, err = run(["--stack-dir", str(stacks), "plan"], capsys)
    assert code == 1
    assert "Pulumi.dev.yaml: the file is empty" in err
    assert "Pulumi.prod.yaml: the top level is a list" in err


def test_json_into_a_missing_directory_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(["plan", "dev", "--json", "/nonexistent/dir/x.json"], capsys)
    assert code == cli.USAGE
    assert err == "error: --json /nonexistent/dir/x.json: directory /nonexistent/dir does not exist"


def test_json_onto_a_directory_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(["plan", "dev", "--json", str(tmp_path)], capsys)
    assert code == cli.USAGE
    assert err.startswith(f"error: --json {tmp_path}: is a directory")


@pytest.mark.parametrize("command", [["plan"], ["cost"], ["plan", "--json", "x.json"], ["diff", "dev", "prod"]])
def test_a_stack_dir_without_stack_files_is_a_usage_error(
    tmp_path: Path, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = run(["--stack-dir", str(tmp_path / "nonexistent"), *command], capsys)
    assert code == cli.USAGE
    assert err == f"error: --stack-dir {tmp_path / 'nonexistent'}: no such directory"
    (tmp_path / "empty").mkdir()
    code, err = run(["--stack-dir", str(tmp_path / "empty"), *command], capsys)
    assert code == cli.USAGE
    assert "no Pulumi.yaml" in err


def test_diff_without_two_environments_or_base_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(["diff", "dev"], capsys)
    assert code == cli.USAGE
    assert err == "error: diff needs two environments (ENV_A ENV_B) or --base REF"


def test_a_base_that_is_not_a_commit_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(["diff", "--base", "no-such-ref-xyz"], capsys)
    assert code == cli.USAGE
    assert "--base no-such-ref-xyz: not a commit" in err


def test_help_explains_arguments_defaults_and_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        cli.main(["--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "exit codes:" in out
    assert "  64 usage" in out
    assert "  1  refused input" in out
    assert "(default: the project directory)" in out
    assert "NO_COLOR" in out
    with pytest.raises(SystemExit):
        cli.main(["diff", "--help"])
    out = capsys.readouterr().out
    assert "--base REF" in out
    assert "ENV_A ENV_B" in out


def test_colour_only_on_a_terminal_and_never_with_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    class Tty:
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert cli.style_for(Tty()).enabled
    assert not cli.style_for(object()).enabled
    monkeypatch.setenv("NO_COLOR", "1")
    assert not cli.style_for(Tty()).enabled
