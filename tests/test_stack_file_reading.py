"""`marin/stackfiles.py` read directly, on small files written here: what the engine would pass the
program, and every refusal whole (one line naming the file). Pure and fast; the same errors seen
through the CLI are in `test_cli_errors.py`.

Engine strings as the Pulumi CLI passes config to a program (integers `"7"`, booleans
`"true"`, lists and objects as JSON): https://www.pulumi.com/docs/iac/concepts/config/
"""

from __future__ import annotations

from pathlib import Path

import pytest

from marin import stackfiles
from marin.stackfiles import StackFileError

PROJECT = "name: marin\nruntime: python\n"


def write(root: Path, name: str, text: str | bytes) -> Path:
    path = root / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def refused(path: Path) -> str:
    with pytest.raises(StackFileError) as caught:
        stackfiles.read_yaml(path)
    return str(caught.value)


@pytest.mark.parametrize(
    ("value", "engine"),
    [
        (True, "true"),
        (False, "false"),
        (7, "7"),
        (0, "0"),
        (2.5, "2.5"),
        ("text", "text"),
        ("", ""),
        (["a", 1], '["a",1]'),
        ([], "[]"),
        ({"k": True}, '{"k":true}'),
        ({}, "{}"),
        (None, ""),  # a null into a Go string is its zero value (yaml.v3 decode.go)
    ],
)
def test_values_reach_the_program_as_engine_strings(tmp_path: Path, value: object, engine: str) -> None:
    assert stackfiles._as_engine_string(value) == engine
    assert stackfiles.config_of({"config": {"marin:k": value}}) == {"marin:k": engine}


def test_the_mapping_in_a_file(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", "# comment\nconfig:\n  marin:a: 1\n  marin:b: [x]\n")
    assert stackfiles.read_yaml(path) == {"config": {"marin:a": 1, "marin:b": ["x"]}}


@pytest.mark.parametrize(
    ("written", "passed"),
    [  # as the CLI (3.272, yaml.v3 v3.0.1) passes them; PyYAML's YAML 1.1 alone gave the value after `#`
        ("yes", "yes"),  # true
        ("on", "on"),  # true
        ("True", "true"),
        ("0x10", "16"),
        ("010", "8"),
        ("08", "8"),  # not octal: a float, 8
        ("1_000", "1000"),
        ("+5", "5"),
        ("2.50", "2.5"),
        ("1.0", "1"),  # 1.0
        ("1e3", "1000"),  # 1e3
        (".5", "0.5"),
        ("1e-7", "1e-7"),  # 1e-7
        ("012345678901", "12345678901"),  # 012345678901: an account id needs quotes
        ("99999999999999999999", "100000000000000000000"),
        ("1:20", "1:20"),  # 80
        ("~", ""),  # None
        ("", ""),  # None
        ('"null"', "null"),
        ("'7'", "7"),
        ("[012345678901, yes, 0o17, 1e3, 1:20, ~]", '[12345678901,"yes",15,1000,"1:20",null]'),
        ("{n: 0b11, f: 1.0, s: No, t: <x>}", '{"f":1,"n":3,"s":"No","t":"\\u003cx\\u003e"}'),
        ("{secure: v1:x, other: 1}", '{"other":1,"secure":"v1:x"}'),  # not a secret: two keys
        ('["a\\u2028b"]', '["a\\u2028b"]'),  # a line separator, escaped as encoding/json does
        ("{~: a}", '{"\\u003cnil\\u003e":"a"}'),  # a null key: Go's %v of nil, then HTML-escaped
        # strconv: ParseFloat takes no `_` without a base prefix; ParseInt base 0 reads 017 as octal,
        # int64 from -2^63 to 2^63-1, ParseUint to 2^64-1 with no sign; beyond, a float, which
        # encoding/json writes in the fewest digits that read back ('f' below 1e21, else 'e')
        ("[.5, .5_0, 1_000, 017]", '[0.5,".5_0",1000,15]'),
        (
            "[+9007199254740993, -9223372036854775808, -9223372036854775809, 9223372036854775808]",
            "[9007199254740993,-9223372036854775808,-9223372036854776000,9223372036854775808]",
        ),
        # encoding/json: UTF-8 as is, `&` escaped as `<>` are (HTMLEscape), 0 and 1e-6 in fixed notation;
        # a date resolve.go's parseTimestamp cannot read (month 13) is text
        ("[é, a&b, 0.0, 1e-6, 2024-13-45]", '["é","a\\u0026b",0,0.000001,"2024-13-45"]'),
        (
            "[+9223372036854775808, 18446744073709551616, 1e20, 1e21]",
            "[9223372036854776000,18446744073709552000,100000000000000000000,1e+21]",
        ),
    ],
)
def test_a_value_reaches_the_program_as_the_pulumi_cli_passes_it(tmp_path: Path, written: str, passed: str) -> None:
    """The CLI reads a stack file into Go values, each plain scalar resolved by yaml.v3 (resolve.go:
    only true/false spellings are booleans, integers as strconv base 0 reads them, then floats), and
    passes a string as is, null as "", anything else as encoding/json writes it (pulumi
    pkg/workspace/loaders.go, sdk/go/common/resource/config/object.go `MarshalString`); observed with
    the CLI's loader (pkg/workspace, sdk/go/common) built against yaml.v3 v3.0.1, 2026-12-06."""
    path = write(tmp_path, "Pulumi.qa.yaml", f"config:\n  marin:k: {written}\n")
    assert stackfiles.config_of(stackfiles.read_yaml(path)) == {"marin:k": passed}


@pytest.mark.parametrize(
    ("written", "problem"),
    [
        ("2024-01-01", "an unquoted date (2024-01-01) reaches the program as Go's time text (+0000 UTC): quote it"),
        *(  # resolve.go allowedTimestampFormats: `T` or `t` between date and time
            (
                f"[2024-01-02{t}10:00:00Z]",
                "an unquoted date (2024-01-02 10:00:00+00:00) reaches the program as Go's time text (+0000 UTC): "
                "quote it",
            )
            for t in "Tt"
        ),
        (".inf", "inf cannot be passed: the CLI's JSON holds no infinity or NaN"),
        ("[.nan]", "nan cannot be passed: the CLI's JSON holds no infinity or NaN"),  # json: unsupported value
    ],
)
def test_a_value_the_cli_cannot_pass_as_written_is_refused_in_one_line(
    tmp_path: Path, written: str, problem: str
) -> None:
    path = write(tmp_path, "Pulumi.qa.yaml", f"config:\n  marin:k: {written}\n")
    with pytest.raises(StackFileError) as caught:
        stackfiles.config_of(stackfiles.read_yaml(path), path)
    assert str(caught.value) == f"{path}: marin:k: {problem}"


def test_a_key_given_twice_is_refused_with_both_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "d.yaml", "config:\n  marin:a: 1\n  marin:b: 2\n  marin:a: 3\n")
    assert refused(path) == (f"{path}: not valid YAML: line 4, column 3: duplicate key 'marin:a' (first on line 2)")
    nested = write(tmp_path, "n.yaml", "config:\n  marin:o:\n    k: 1\n    k: 2\n")
    assert refused(nested) == f"{nested}: not valid YAML: line 4, column 5: duplicate key 'k' (first on line 3)"
    # the same key in two different mappings is no duplicate; deep values are built whole
    fine = write(tmp_path, "f.yaml", "a:\n  k: [1, {x: 2}]\nb:\n  k: 2\n")
    assert stackfiles.read_yaml(fine) == {"a": {"k": [1, {"x": 2}]}, "b": {"k": 2}}


def test_malformed_yaml_names_the_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "m.yaml", "config:\n  marin:a: [1\n")
    message = refused(path)
    assert message.startswith(f"{path}: not valid YAML: line 3, column 1: ")
    assert message.endswith("expected ',' or ']', but got '<stream end>'")


def test_a_tab_is_named_as_the_problem(tmp_path: Path) -> None:
    path = write(tmp_path, "t.yaml", "config:\n\tmarin:a: 1\n")
    assert refused(path) == f"{path}: not valid YAML: line 2, column 1: a tab character: YAML indents with spaces only"


def test_a_character_yaml_cannot_hold_is_named_without_a_line(tmp_path: Path) -> None:
    path = write(tmp_path, "c.yaml", "config:\n  marin:a: \x07\n")
    assert refused(path) == (
        f'{path}: not valid YAML: unacceptable character #x0007: special characters are not allowed\n  in "<unicode '
        'string>", position 19'
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "the file is empty"),
        ("  \n\n", "the file is empty"),
        ("# only\n   # comments\n\n", "the file is empty"),
        ("- a\n- b\n", "the top level is a list; expected a mapping (config: ...)"),
        ("just text\n", "the top level is a str ('just text'); expected a mapping (config: ...)"),
        ("42\n", "the top level is a int (42); expected a mapping (config: ...)"),
        ("~\n# x\n", "the top level is empty; expected a mapping (config: ...)"),
    ],
)
def test_a_file_that_is_not_a_mapping_is_refused(tmp_path: Path, text: str, problem: str) -> None:
    path = write(tmp_path, "x.yaml", text)
    assert refused(path) == f"{path}: {problem}"


def test_a_missing_or_unreadable_file_is_named(tmp_path: Path) -> None:
    assert refused(tmp_path / "none.yaml") == f"{tmp_path / 'none.yaml'}: no such file"
    binary = write(tmp_path, "b.yaml", b"config: \xff\xfe\n")
    assert refused(binary).startswith(f"{binary}: cannot be read (")
    assert "codec can't decode byte 0xff" in refused(binary)
    assert refused(tmp_path).startswith(f"{tmp_path}: cannot be read ([Errno 21] Is a directory")


def test_a_project_directory_needs_a_project_file_and_a_stack(tmp_path: Path) -> None:
    with pytest.raises(StackFileError) as caught:
        stackfiles.check_project_dir(tmp_path / "nope")
    assert str(caught.value) == f"{tmp_path / 'nope'}: no such directory"
    write(tmp_path, "file", "x")
    with pytest.raises(StackFileError) as caught:
        stackfiles.check_project_dir(tmp_path / "file")
    assert str(caught.value) == f"{tmp_path / 'file'}: no such directory"
    with pytest.raises(StackFileError) as caught:
        stackfiles.check_project_dir(tmp_path)
    assert str(caught.value) == f"{tmp_path}: no Pulumi.yaml (not a Pulumi project directory)"
    (tmp_path / "Pulumi.yaml").mkdir()
    with pytest.raises(StackFileError) as caught:
        stackfiles.check_project_dir(tmp_path)
    assert str(caught.value) == f"{tmp_path}: no Pulumi.yaml (not a Pulumi project directory)"
    (tmp_path / "Pulumi.yaml").rmdir()
    write(tmp_path, "Pulumi.yaml", PROJECT)
    with pytest.raises(StackFileError) as caught:
        stackfiles.check_project_dir(tmp_path)
    assert str(caught.value) == f"{tmp_path}: no Pulumi.<env>.yaml stack file"
    write(tmp_path, "Pulumi.qa.yaml", "config: {}\n")
    stackfiles.check_project_dir(tmp_path)


def test_environments_in_promotion_order_then_by_name(tmp_path: Path) -> None:
    for env in ("zeta", "prod", "alpha", "dev", "staging"):
        write(tmp_path, f"Pulumi.{env}.yaml", "config: {}\n")
    write(tmp_path, "Pulumi.yaml", PROJECT)
    write(tmp_path, "Pulumi.dev.yml", "config: {}\n")
    write(tmp_path, "Other.qa.yaml", "config: {}\n")
    assert stackfiles.environments(tmp_path) == ["dev", "staging", "prod", "alpha", "zeta"]
    (tmp_path / "Pulumi.dev.yaml").unlink()
    assert stackfiles.environments(tmp_path) == ["staging", "prod", "alpha", "zeta"]


def test_keys_the_program_would_misread_are_each_named() -> None:
    raw = {
        "azCount": 2,
        "marin:azCount": 2,
        "aws:region": "eu-west-1",
        "aws:profile": "x",
        "aws:allowedAccountIds": ["1"],
        "mongodbatlas:publicKey": "k",
        "pulumi:disable-default-providers": ["aws"],
        3: "x",
    }
    assert stackfiles.config_problems(raw) == [
        "azCount: keys need the marin: prefix (marin:azCount)",
        "aws:region is ignored by this program (its providers are explicit): set marin:awsRegion",
        "aws:profile is ignored by this program (its providers are explicit): set AWS_PROFILE in the environment of "
        "`pulumi up`",
        "aws:allowedAccountIds is ignored by this program (its providers are explicit): set marin:allowedAccountIds",
        "mongodbatlas:publicKey: only marin:* keys are read by this program (did you mean marin:publicKey?)",
        "pulumi:disable-default-providers: only marin:* keys are read by this program (did you mean "
        "marin:disable-default-providers?)",
        "3: keys need the marin: prefix (marin:3)",
    ]
    assert stackfiles.config_problems({"other:a": 1}, project="other") == []
    assert stackfiles.config_problems({"marin:a": 1}, project="other") == [
        "marin:a: only other:* keys are read by this program (did you mean other:a?)"
    ]
    assert stackfiles.config_problems(["marin:a"]) == ["config: is a list; expected a mapping of keys to values"]
    assert stackfiles.config_problems("x") == ["config: is a str ('x'); expected a mapping of keys to values"]


def test_config_of_joins_the_problems_on_one_line_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.dev.yaml"
    with pytest.raises(StackFileError) as caught:
        stackfiles.config_of({"config": {"a": 1, "aws:region": "x"}}, path)
    assert str(caught.value) == (
        f"{path}: a: keys need the marin: prefix (marin:a); aws:region is ignored by this program (its providers are "
        "explicit): set marin:awsRegion"
    )
    with pytest.raises(StackFileError) as caught:
        stackfiles.config_of({"config": ["x"], "zzz": 1})
    assert str(caught.value) == (
        "stack file: zzz: not a stack file setting; the top level holds config, secretsprovider, encryptedkey, "
        "encryptionsalt, environment, mainEnvironment; config: is a list; expected a mapping of keys to values"
    )
    with pytest.raises(StackFileError) as caught:
        stackfiles.config_of({"config": {"a": 1}})
    assert str(caught.value) == "stack file: a: keys need the marin: prefix (marin:a)"


def test_secure_values_are_left_out_and_no_config_is_empty() -> None:
    data = {"config": {"marin:a": 1, "marin:s": {"secure": "v1:abc"}, "marin:o": {"k": "v"}}}
    assert stackfiles.config_of(data) == {"marin:a": "1", "marin:o": '{"k":"v"}'}
    assert stackfiles.config_of({}) == {}
    assert stackfiles.config_of({"config": None}) == {}
    assert stackfiles.config_of({"config": {}}) == {}


def test_a_stack_reads_in_its_project_s_namespace(tmp_path: Path) -> None:
    write(tmp_path, "Pulumi.yaml", "name: other\nruntime: python\n")
    write(tmp_path, "Pulumi.qa.yaml", "config:\n  other:a: 1\n")
    assert stackfiles.stack_config("qa", tmp_path) == {"other:a": "1"}
    write(tmp_path, "Pulumi.qa.yaml", "config:\n  marin:a: 1\n")
    with pytest.raises(StackFileError) as caught:
        stackfiles.stack_config("qa", tmp_path)
    assert str(caught.value) == (
        f"{tmp_path / 'Pulumi.qa.yaml'}: marin:a: only other:* keys are read by this program (did you mean other:a?)"
    )


@pytest.mark.parametrize("project", [None, "runtime: python\n", "name: ''\n", "name: [x]\n", "- x\n"])
def test_without_a_usable_project_name_the_namespace_is_marin(tmp_path: Path, project: str | None) -> None:
    if project is not None:
        write(tmp_path, "Pulumi.yaml", project)
    write(tmp_path, "Pulumi.qa.yaml", "config:\n  marin:a: true\n")
    assert stackfiles.stack_config("qa", tmp_path) == {"marin:a": "true"}


def test_project_defaults_and_the_stack_file_over_them(tmp_path: Path) -> None:
    write(
        tmp_path,
        "Pulumi.yaml",
        "name: proj\nruntime: python\nconfig:\n"
        "  a:\n    type: integer\n    default: 2\n"
        "  b:\n    type: boolean\n    default: false\n"
        "  c:\n    type: string\n"
        "  pulumi:x:\n    value: [aws]\n"
        "  d: plain\n"  # the shorthand: a default (pulumi project.go RewriteShorthandConfigValues)
        "  e:\n    default: 1\n    value: 9\n"
        "  f:\n    default: ~\n",  # no default
    )
    assert stackfiles.project_defaults(tmp_path) == {
        "proj:a": "2",
        "proj:b": "false",
        "pulumi:x": '["aws"]',
        "proj:d": "plain",
        "proj:e": "1",
    }
    write(tmp_path, "Pulumi.qa.yaml", "config:\n  proj:a: 5\n  proj:c: x\n")
    write(tmp_path, "Pulumi.dev.yaml", "config: {}\n")
    assert stackfiles.effective_config("qa", tmp_path) == {
        "proj:a": "5",
        "proj:b": "false",
        "pulumi:x": '["aws"]',
        "proj:d": "plain",
        "proj:e": "1",
        "proj:c": "x",
    }
    assert stackfiles.all_environments(tmp_path) == {
        "dev": {"proj:a": "2", "proj:b": "false", "pulumi:x": '["aws"]', "proj:d": "plain", "proj:e": "1"},
        "qa": stackfiles.effective_config("qa", tmp_path),
    }
    write(tmp_path, "Pulumi.yaml", "name: proj\nconfig:\n  g:\n    default: .inf\n")
    with pytest.raises(StackFileError, match=r"Pulumi.yaml: g: inf cannot be passed"):  # was a traceback
        stackfiles.project_defaults(tmp_path)
    write(tmp_path, "Pulumi.yaml", "name: proj\n")
    assert stackfiles.project_defaults(tmp_path) == {}
    assert stackfiles.project_file(tmp_path) == {"name": "proj"}


def test_a_caller_changing_what_it_read_changes_nothing_for_the_next_reader(tmp_path: Path) -> None:
    path = write(tmp_path, "Pulumi.qa.yaml", "config:\n  marin:o:\n    k: [1]\n")
    first = stackfiles.read_yaml(path)
    first["config"]["marin:o"]["k"].append(2)
    assert stackfiles.read_yaml(path) == {"config": {"marin:o": {"k": [1]}}}


def test_anchors_resolve_and_one_onto_itself_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", "base: &b {k: 1}\nconfig:\n  marin:o: *b\n")
    assert stackfiles.read_yaml(path) == {"base": {"k": 1}, "config": {"marin:o": {"k": 1}}}
    loop = write(tmp_path, "l.yaml", "config: {}\nloop: &l\n  self: *l\n")
    assert refused(loop) == f"{loop}: not valid YAML: line 2, column 7: found unconstructable recursive node"
    # a list inside itself too (was read, and a traceback when the engine string was made): the
    # Pulumi CLI's YAML parser refuses an alias inside its own anchor
    loop = write(tmp_path, "s.yaml", "config:\n  marin:x: &l [1, *l]\n")
    assert refused(loop) == f"{loop}: not valid YAML: line 2, column 12: found unconstructable recursive node"


def test_merge_keys_merge_as_the_cli_s_yaml_v3_does(tmp_path: Path) -> None:
    """`<<` merges a mapping, keys written beside it win, and two `<<` are one key given twice
    (https://yaml.org/type/merge.html; gopkg.in/yaml.v3 decode.go merges and refuses a key twice)."""
    path = write(tmp_path, "m.yaml", "base: &b {k: 1, j: 1}\nconfig:\n  marin:o:\n    <<: *b\n    j: 2\n")
    assert stackfiles.read_yaml(path)["config"] == {"marin:o": {"k": 1, "j": 2}}
    twice = write(tmp_path, "t.yaml", "config:\n  <<: {a: 1}\n  <<: {b: 1}\n")
    assert refused(twice) == f"{twice}: not valid YAML: line 3, column 3: duplicate key '<<' (first on line 2)"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[a, b]: 1\n", "line 1, column 1: found unhashable key"),  # was a TypeError traceback
        # libyaml would take it; PyYAML and the CLI's yaml.v3 (scannerc.go) end a plain scalar at `?` in a flow
        ("config:\n  marin:u: [https://x/?a=1]\n", "line 2, column 23: expected ',' or ']', but got '?'"),
    ],
)
def test_what_the_cli_s_yaml_refuses_is_refused_in_one_line(tmp_path: Path, text: str, problem: str) -> None:
    path = write(tmp_path, "r.yaml", text)
    assert refused(path) == f"{path}: not valid YAML: {problem}"


def test_only_the_first_colon_separates_the_namespace() -> None:
    assert stackfiles.config_problems({"marin:a:b": 1}) == []
    assert stackfiles.config_problems({"other:a:b": 1}) == [
        "other:a:b: only marin:* keys are read by this program (did you mean marin:a:b?)"
    ]


def test_top_level_keys_pulumi_ignores_are_each_named() -> None:
    """A stack file's settings: pulumi/pulumi sdk/go/common/workspace/project.go, `ProjectStack`."""
    holds = "; the top level holds config, secretsprovider, encryptedkey, encryptionsalt, environment, mainEnvironment"
    data = {"secretsprovider": "x", "confg": {}, "config": {}, "marin:azCount": 2, "zzz": 1, 7: 1}
    assert stackfiles.top_level_problems(data) == [
        f"confg: not a stack file setting (did you mean config?){holds}",
        f"marin:azCount: not a stack file setting (keys go under config:){holds}",
        f"zzz: not a stack file setting{holds}",
        f"7: not a stack file setting{holds}",
    ]


SECRETS_PROJECT = (
    "name: proj\nconfig:\n"
    "  apiKey:\n    type: string\n    secret: true\n"
    "  other:token:\n    secret: true\n"
    "  region:\n    type: string\n"
    "  shown:\n    secret: false\n"
    "  d: plain\n"
)


def test_the_keys_the_project_file_declares_secret(tmp_path: Path) -> None:
    """Pulumi.yaml `config:` declarations with `secret: true`; a key without a namespace is in the
    project's (https://www.pulumi.com/docs/iac/concepts/projects/project-file/, config options)."""
    write(tmp_path, "Pulumi.yaml", SECRETS_PROJECT)
    assert stackfiles.declared_secrets(tmp_path) == {"proj:apiKey", "other:token"}
    write(tmp_path, "Pulumi.yaml", "runtime: python\nconfig:\n  k:\n    secret: true\n")
    assert stackfiles.declared_secrets(tmp_path) == {"marin:k"}
    write(tmp_path, "Pulumi.yaml", "name: proj\n")
    assert stackfiles.declared_secrets(tmp_path) == frozenset()
    (tmp_path / "Pulumi.yaml").unlink()
    assert stackfiles.declared_secrets(tmp_path) == frozenset()


def test_a_secret_held_in_plaintext_is_refused(tmp_path: Path) -> None:
    """A secret is stored as `secure: v1:...` by `pulumi config set --secret`
    (https://www.pulumi.com/docs/iac/concepts/secrets/); any other value of a secret key is plaintext."""
    write(tmp_path, "Pulumi.yaml", SECRETS_PROJECT)
    write(tmp_path, "Pulumi.qa.yaml", "config:\n  proj:apiKey:\n    secure: v1:abc\n  proj:region: x\n")
    assert stackfiles.stack_config("qa", tmp_path) == {"proj:region": "x"}
    write(tmp_path, "Pulumi.qa.yaml", "config:\n  proj:apiKey: abc\n  other:token:\n    value: v\n")
    with pytest.raises(StackFileError) as caught:
        stackfiles.stack_config("qa", tmp_path)
    assert str(caught.value) == f"{tmp_path / 'Pulumi.qa.yaml'}: " + "; ".join(
        [
            "other:token: only proj:* keys are read by this program (did you mean proj:token?)",
            "proj:apiKey is a secret but the stack holds it in plaintext: `pulumi config set --secret proj:apiKey "
            "<value>`",
            "other:token is a secret but the stack holds it in plaintext: `pulumi config set --secret other:token "
            "<value>`",
        ]
    )


def test_each_reader_of_a_text_gets_its_own_copy() -> None:
    text = "a:\n  k: [1]\n"
    first = stackfiles.load_yaml(text)
    first["a"]["k"].append(2)
    assert stackfiles.load_yaml(text) == {"a": {"k": [1]}}
