"""Every bad input the offline commands meet: one line naming the file, key or path, exit 1 (bad
input) or 2 (usage), never a traceback."""

from __future__ import annotations

import argparse
import io
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from marin import stackfiles
from marin.stackfiles import PROJECT_ROOT
from offline import cli

sys.path.insert(0, str(PROJECT_ROOT / "scripts"))
import pr_report


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
    assert f"2 problem(s) in {len(stackfiles.environments(stacks))} stack(s)" in err


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
    with pytest.raises(SystemExit):
        cli.main(["diff", "--help"])
    out = capsys.readouterr().out
    assert "--base REF" in out
    assert "ENV_A ENV_B" in out


def test_an_unknown_environment_names_the_closest_one(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(["plan", "prdo"], capsys)
    assert code == cli.USAGE
    assert err.startswith("error: unknown environment prdo (did you mean prod?); configured: ")


@pytest.mark.parametrize("command", ["diff", "cost"])
def test_a_misspelt_environment_against_a_base_is_an_error_not_no_changes(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # prdo is configured neither in the working tree nor at HEAD: before, "0 to create..." and exit 0
    code, err = run([command, "--base", "HEAD", "prdo"], capsys)
    assert code == cli.USAGE
    assert err.startswith("error: unknown environment prdo (did you mean prod?); configured here or at HEAD: ")


@pytest.mark.parametrize("before", [True, False])
def test_stack_dir_goes_before_or_after_the_command(
    stacks: Path, before: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    path = edit(stacks, "dev", "marin:azCount: 2", "marin:azCount: [2")
    option = ["--stack-dir", str(stacks)]
    code, err = run([*option, "plan", "dev"] if before else ["plan", "dev", *option], capsys)
    assert code == 1
    assert err.startswith(f"error: {path}: not valid YAML")  # the copy was read, not the project's file


def test_a_misspelt_config_section_is_named(stacks: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(stacks, "dev", "\nconfig:\n", "\nconfg:\n")
    code, err = run(["--stack-dir", str(stacks), "plan", "dev"], capsys)
    assert code == 1
    assert "Pulumi.dev.yaml: confg: not a stack file setting (did you mean config?)" in err
    assert "is missing" not in err  # not every required key, one by one


def test_a_key_outside_the_config_section_is_named(stacks: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = stacks / "Pulumi.dev.yaml"
    path.write_text(path.read_text() + "marin:azCount: 3\n")
    code, err = run(["--stack-dir", str(stacks), "plan", "dev"], capsys)
    assert code == 1
    assert "marin:azCount: not a stack file setting (keys go under config:)" in err


def test_detailed_exitcode_without_base_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(["diff", "dev", "prod", "--detailed-exitcode"], capsys)  # was ignored: exit 0
    assert code == cli.USAGE
    assert "--detailed-exitcode goes with --base REF" in err


def test_every_command_and_argument_is_described_in_its_help() -> None:
    parser = cli.build_parser()
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    assert set(commands.choices) >= {"plan", "diff", "cost", "policy"}
    for name, command in commands.choices.items():
        assert command.description, name
        assert "ENV: a stack name" in (command.epilog or ""), name
        undescribed = [a.dest for a in command._actions if not a.help]
        assert not undescribed, f"{name} --help: no description for {undescribed}"
        assert "--stack-dir" in command.format_help(), name


def test_pr_report_has_a_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        pr_report.main(["--help"])  # was an IndexError on sys.argv
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "REPORT_DIR PR_NUMBER HEAD_SHA THRESHOLD_USD" in out
    assert "alarm above this monthly increase" in out


def test_pr_report_without_its_input_says_which_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        pr_report.main([str(tmp_path), "7", "0" * 40, "50"])
    assert done.value.code == 1
    assert capsys.readouterr().err == f"error: {tmp_path / 'diff.json'}: No such file or directory\n"


def test_a_closed_pipe_stops_quietly(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    class ClosedPipe(io.StringIO):
        def write(self, s: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    assert cli.main(["plan", "dev"]) == cli.BROKEN_PIPE  # `plan | head`: was "error: : Broken pipe", exit 1
    assert "error" not in capsys.readouterr().err


def test_ctrl_c_prints_one_line_and_exits_130() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "offline", "plan", "dev"],
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    try:
        first = process.stderr.readline()  # the program is running under the SDK's event loop
        process.send_signal(signal.SIGINT)
        rest = process.stderr.read()
        code = process.wait(timeout=60)
    finally:
        process.kill()
    assert first.startswith("[1/1] running the program for dev")
    assert (code, rest) == (130, "interrupted\n")  # was an asyncio traceback (or a run that never ended)


def test_ctrl_c_while_the_tools_still_import_is_one_line_and_130() -> None:
    """SIGINT while offline.cli is half imported (sent when it imports offline.report): no traceback."""
    interrupt_mid_import = """if True:
        import os, runpy, signal, sys
        class Interrupt:
            def find_spec(self, name, path=None, target=None):
                if name == "offline.report":
                    os.kill(os.getpid(), signal.SIGINT)
        sys.meta_path.insert(0, Interrupt())
        sys.argv = ["offline", "plan", "dev"]
        runpy.run_module("offline", run_name="__main__")
    """
    done = subprocess.run(
        [sys.executable, "-c", interrupt_mid_import], cwd=PROJECT_ROOT, capture_output=True, text=True, check=False
    )
    assert (done.returncode, done.stderr) == (130, "interrupted\n")
