"""Read the committed project and stack files the way the Pulumi CLI hands them to a program.

The engine passes every config value to the program as a string: integers as `"7"`, booleans as
`"true"`, lists and objects as JSON. `stack_config` does the same from `Pulumi.<env>.yaml`, so the
mocked runs in tests and the offline plan see exactly what `pulumi up` would. Secure values
(`secure: v1:...`) cannot be decrypted offline and are left out.
"""

from __future__ import annotations

import contextlib
import copy
import decimal
import difflib
import functools
import json
import math
import re
from pathlib import Path
from typing import Any

import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
STACK_FILE_PREFIX = "Pulumi."


def _as_engine_string(value: Any) -> str:
    """What the CLI passes for a config value: a string as is, null as "", anything else as Go's
    encoding/json writes it (pulumi sdk/go/common/resource/config/object.go `MarshalString`: the
    stack file is read into Go values, yaml.v3 resolving each plain scalar, then marshalled)."""
    if value is None:
        return ""
    if isinstance(value, bytes):  # !!binary: its bytes
        return value.decode(errors="replace")
    return value if isinstance(value, str) else _go_json(value)


_GO_ESCAPES = str.maketrans({c: f"\\u{ord(c):04x}" for c in "<>&\u2028\u2029"})  # encoding/json's HTML-safe set


def _go_json(value: Any) -> str:
    """`value` as Go's json.Marshal writes it: compact, keys sorted, `<>&` escaped, numbers as
    `_go_number`; ValueError for a date (the CLI's is Go's time.String(): quote it)."""
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    if isinstance(value, (int, float)):
        return _go_number(value)
    if isinstance(value, (str, bytes)):
        text = json.dumps(_as_engine_string(value), ensure_ascii=False)
        return text.translate(_GO_ESCAPES)
    if isinstance(value, list):
        return "[" + ",".join(_go_json(v) for v in value) + "]"
    if isinstance(value, dict):
        keys = {("<nil>" if k is None else _as_engine_string(k)): v for k, v in value.items()}  # Go's %v
        return "{" + ",".join(f"{_go_json(k)}:{_go_json(keys[k])}" for k in sorted(keys)) + "}"
    raise ValueError(f"an unquoted date ({value}) reaches the program as Go's time text (+0000 UTC): quote it")


def _go_number(value: float) -> str:
    """An int64 or uint64 as its digits, else a float64 in its shortest form: fixed notation from 1e-6 to 1e21,
    `1e-7` and `1e+21` outside (Go's encoding/json floatEncoder); no infinity or NaN (ValueError)."""
    if isinstance(value, int):  # an int64 or uint64: `_go_scalar` made any other a float
        return str(value)
    f = float(value)
    if not math.isfinite(f):
        raise ValueError(f"{value!r} cannot be passed: the CLI's JSON holds no infinity or NaN")
    if f == 0:
        return "0"  # -0.0 too
    if 1e-6 <= abs(f) < 1e21:
        return format(decimal.Decimal(repr(f)).normalize(), "f")
    return re.sub(r"e-0(\d)$", r"e-\1", repr(f))


class StackFileError(ValueError):
    """A project or stack file that cannot be read as Pulumi would: one line naming the file."""


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping (PyYAML keeps the last one) and reads
    a plain scalar as the Pulumi CLI's YAML library does (gopkg.in/yaml.v3 resolve.go), not as
    YAML 1.1: `yes`, `on`, `1:20` are strings; `0o17`, `1_000`, `1e3` numbers."""


_GO_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")  # resolve.go yamlStyleFloat
_GO_INT = re.compile(r"([-+]?)(0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO][0-7]+|0[0-7]*|[1-9][0-9]*)")  # strconv, base 0
_GO_CONSTANTS = {n: math.nan for n in (".nan", ".NaN", ".NAN")} | {
    f"{sign}{n}": -math.inf if sign == "-" else math.inf for sign in ("", "+", "-") for n in (".inf", ".Inf", ".INF")
}


def _go_scalar(loader: _UniqueKeyLoader, node: yaml.ScalarNode) -> Any:
    """resolve.go `resolve` for a plain scalar starting with a digit, sign or dot: its constants,
    then strconv.ParseInt/ParseUint (base 0, underscores dropped), then yamlStyleFloat; else text.
    A YYYY-M-D date (and time) is a date, as resolve.go's parseTimestamp reads it first."""
    text = node.value
    if re.fullmatch(r"\d{4}-\d\d?-\d\d?([Tt ].*)?", text):
        with contextlib.suppress(ValueError):
            return loader.construct_yaml_timestamp(node)
    if text in _GO_CONSTANTS:
        return _GO_CONSTANTS[text]
    if text.startswith("."):
        return float(text) if _GO_FLOAT.fullmatch(text) else text
    plain = text.replace("_", "")
    if number := _GO_INT.fullmatch(plain):
        sign, digits = number.groups()
        value = int(digits, 8) if digits[:1] == "0" and digits[1:2].isdigit() else int(digits, 0)  # 017: octal
        value = -value if sign == "-" else value
        if -(2**63) <= value < 2**63 or (not sign and value < 2**64):
            return value
    return float(plain) if _GO_FLOAT.fullmatch(plain) else text


_UniqueKeyLoader.yaml_implicit_resolvers = {}  # PyYAML's are YAML 1.1's
for _tag, _pattern, _first in (
    ("bool", r"true|True|TRUE|false|False|FALSE", "tTfF"),
    ("null", r"~|null|Null|NULL|", ["~", "n", "N", ""]),
    ("merge", r"<<", "<"),
    ("float", r"[-+.0-9].*", "-+.0123456789"),
):
    _UniqueKeyLoader.add_implicit_resolver(f"tag:yaml.org,2002:{_tag}", re.compile(f"^(?:{_pattern})$"), list(_first))
_UniqueKeyLoader.add_constructor("tag:yaml.org,2002:float", _go_scalar)


def _no_duplicates(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        merge = key_node.tag == "tag:yaml.org,2002:merge"  # `<<: *defaults`, as the CLI's yaml.v3 merges
        key = "<<" if merge else loader.construct_object(key_node)
        line = key_node.start_mark.line + 1
        try:
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} (first on line {seen[key]})", key_node.start_mark
                )
        except TypeError:  # a list or mapping as a key: construct_mapping says "found unhashable key"
            continue
        seen[key] = line
    # built whole (deep): an alias inside its own anchor is refused, in a list as in a mapping
    return loader.construct_mapping(node, deep=True)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)


def _yaml_problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    problem = getattr(exc, "problem", None) or str(exc)
    if mark is not None and ("\\t" in problem or "\t" in problem):
        problem = "a tab character: YAML indents with spaces only"
    return f"{where}{problem}"


@functools.lru_cache(maxsize=256)
def _parse(text: str) -> Any:
    """PyYAML's pure-Python parse, by far the slowest step of reading a stack: done once per text
    (the project file is read for every environment); callers get a copy. Not libyaml's, faster: it
    takes `?` in a flow value (`[https://x/?a=1]`), which PyYAML and the CLI's yaml.v3 refuse."""
    return yaml.load(text, Loader=_UniqueKeyLoader)


def load_yaml(text: str) -> Any:
    """The data in YAML `text`, a key given twice in one mapping refused (`yaml.YAMLError`)."""
    return copy.deepcopy(_parse(text))


def read_yaml(path: Path) -> dict[str, Any]:
    """The mapping in `path`; `StackFileError` (one line naming the file) for anything else."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise StackFileError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise StackFileError(f"{path}: cannot be read ({exc})") from None
    if not text.strip() or all(not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()):
        raise StackFileError(f"{path}: the file is empty")
    try:
        data = load_yaml(text)
    except yaml.YAMLError as exc:
        raise StackFileError(f"{path}: not valid YAML: {_yaml_problem(exc)}") from None
    if not isinstance(data, dict):
        raise StackFileError(f"{path}: the top level is {_kind(data)}; expected a mapping (config: ...)")
    return data


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "empty"
    return f"a {type(value).__name__} ({value!r})"


def project_file(root: Path = PROJECT_ROOT) -> dict[str, Any]:
    return read_yaml(root / "Pulumi.yaml")


PROMOTION_ORDER = ("dev", "staging", "prod")


def check_project_dir(root: Path) -> None:
    """`StackFileError` unless `root` holds a Pulumi.yaml and at least one Pulumi.<env>.yaml."""
    if not root.is_dir():
        raise StackFileError(f"{root}: no such directory")
    if not (root / "Pulumi.yaml").is_file():
        raise StackFileError(f"{root}: no Pulumi.yaml (not a Pulumi project directory)")
    if not environments(root):
        raise StackFileError(f"{root}: no Pulumi.<env>.yaml stack file")


def environments(root: Path = PROJECT_ROOT) -> list[str]:
    """Configured environments, one per `Pulumi.<env>.yaml`: dev, staging, prod first, then the rest."""
    found = {p.name[len(STACK_FILE_PREFIX) : -len(".yaml")] for p in root.glob("Pulumi.*.yaml")}
    return [e for e in PROMOTION_ORDER if e in found] + sorted(found - set(PROMOTION_ORDER))


# Config the program cannot honour because its providers are explicit (default providers are
# disabled in Pulumi.yaml): the value would be ignored, so it is refused with what to set instead.
IGNORED_KEYS = {
    "aws:region": "marin:awsRegion",
    "aws:profile": "AWS_PROFILE in the environment of `pulumi up`",
    "aws:allowedAccountIds": "marin:allowedAccountIds",
}


# The settings a stack file holds (pulumi/pulumi sdk/go/common/workspace/project.go, `ProjectStack`,
# at 0351806b). Pulumi ignores any other top-level key: a misspelt `config:` would leave the stack
# with no config at all, reported key by key as missing.
STACK_FILE_KEYS = ("config", "secretsprovider", "encryptedkey", "encryptionsalt", "environment", "mainEnvironment")


def top_level_problems(data: dict[str, Any]) -> list[str]:
    """Top-level keys of a stack file that Pulumi would ignore, each named with the closest setting."""
    out = []
    for raw_key in data:
        key = str(raw_key)
        if key in STACK_FILE_KEYS:
            continue
        close = difflib.get_close_matches(key, STACK_FILE_KEYS, n=1)
        hint = " (keys go under config:)" if ":" in key else f" (did you mean {close[0]}?)" if close else ""
        out.append(f"{key}: not a stack file setting{hint}; the top level holds {', '.join(STACK_FILE_KEYS)}")
    return out


def config_problems(raw: Any, project: str = "marin") -> list[str]:
    """Keys of a stack file's `config:` map that Pulumi or this program would misread."""
    if not isinstance(raw, dict):
        return [f"config: is {_kind(raw)}; expected a mapping of keys to values"]
    out = []
    for raw_key in raw:
        key = str(raw_key)
        ns, sep, name = key.partition(":")
        if not sep:
            out.append(f"{key}: keys need the {project}: prefix ({project}:{key})")
        elif key in IGNORED_KEYS:
            out.append(f"{key} is ignored by this program (its providers are explicit): set {IGNORED_KEYS[key]}")
        elif ns != project:
            out.append(f"{key}: only {project}:* keys are read by this program (did you mean {project}:{name}?)")
    return out


def plaintext_secret(key: str) -> str:
    return f"{key} is a secret but the stack holds it in plaintext: `pulumi config set --secret {key} <value>`"


def config_of(
    data: dict[str, Any], path: Path | None = None, project: str = "marin", secret_keys: frozenset[str] = frozenset()
) -> dict[str, str]:
    """The `config:` map of a stack file as engine strings; secure values are skipped.

    Raises `StackFileError` for a key Pulumi or the program would ignore (an unknown top-level key,
    a key not in the `project:` namespace, `aws:region`), and for a plaintext value of a key
    declared secret (`secret_keys`)."""
    raw = data.get("config")
    if raw is None:
        raw = {}
    problems = top_level_problems(data) + config_problems(raw, project)
    if not isinstance(raw, dict):
        raise StackFileError(f"{path or 'stack file'}: " + "; ".join(problems))
    problems += [plaintext_secret(k) for k in raw if k in secret_keys and not _secure(raw[k])]
    out = {}
    for key, value in raw.items():
        try:
            if not _secure(value):
                out[key] = _as_engine_string(value)
        except ValueError as exc:
            problems.append(f"{key}: {exc}")
    if problems:
        raise StackFileError(f"{path or 'stack file'}: " + "; ".join(problems))
    return out


def _secure(value: Any) -> bool:
    """An encrypted value: one key, `secure`, holding a string (config/object.go `isSecureValue`)."""
    return isinstance(value, dict) and len(value) == 1 and isinstance(value.get("secure"), str)


def stack_config(env: str, root: Path = PROJECT_ROOT) -> dict[str, str]:
    path = root / f"{STACK_FILE_PREFIX}{env}.yaml"
    return config_of(read_yaml(path), path, _project_name(root), declared_secrets(root))


def declared_secrets(root: Path = PROJECT_ROOT) -> frozenset[str]:
    """The keys Pulumi.yaml declares `secret: true`, fully qualified."""
    try:
        project = project_file(root)
    except StackFileError:
        return frozenset()
    config = project.get("config") or {}
    name = project.get("name", "marin")
    return frozenset(
        k if ":" in k else f"{name}:{k}" for k, decl in config.items() if isinstance(decl, dict) and decl.get("secret")
    )


def _project_name(root: Path) -> str:
    """The config namespace of the project in `root` (its Pulumi.yaml `name`), `marin` without one."""
    try:
        name = project_file(root).get("name")
    except StackFileError:
        return "marin"
    return name if isinstance(name, str) and name else "marin"


def project_defaults(root: Path = PROJECT_ROOT) -> dict[str, str]:
    """Values Pulumi.yaml supplies when a stack omits a key (`default:`, `value:` or the shorthand
    `key: value`; a null one is none), fully qualified (pulumi pkg/workspace/config.go)."""
    project = project_file(root)
    out: dict[str, str] = {}
    for key, decl in (project.get("config") or {}).items():
        full = key if ":" in key else f"{project['name']}:{key}"
        value = decl.get("default", decl.get("value")) if isinstance(decl, dict) else decl
        try:
            if value is not None:
                out[full] = _as_engine_string(value)
        except ValueError as exc:
            raise StackFileError(f"{root / 'Pulumi.yaml'}: {key}: {exc}") from None
    return out


def effective_config(env: str, root: Path = PROJECT_ROOT) -> dict[str, str]:
    """What the CLI would pass for `env`: project defaults overlaid by the stack file."""
    return {**project_defaults(root), **stack_config(env, root)}


def all_environments(root: Path = PROJECT_ROOT) -> dict[str, dict[str, str]]:
    return {env: effective_config(env, root) for env in environments(root)}
