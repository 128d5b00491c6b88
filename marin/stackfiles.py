"""Read the committed project and stack files the way the Pulumi CLI hands them to a program.

The engine passes every config value to the program as a string: integers as `"7"`, booleans as
`"true"`, lists and objects as JSON. `stack_config` does the same from `Pulumi.<env>.yaml`, so the
mocked runs in tests and the offline plan see exactly what `pulumi up` would. Secure values
(`secure: v1:...`) cannot be decrypted offline and are left out.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
STACK_FILE_PREFIX = "Pulumi."


def _as_engine_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value)


def read_yaml(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping at the top level")
    return data


def project_file(root: Path = PROJECT_ROOT) -> dict[str, Any]:
    return read_yaml(root / "Pulumi.yaml")


PROMOTION_ORDER = ("dev", "staging", "prod")


def environments(root: Path = PROJECT_ROOT) -> list[str]:
    """Configured environments, one per `Pulumi.<env>.yaml`: dev, staging, prod first, then the rest."""
    found = {p.name[len(STACK_FILE_PREFIX) : -len(".yaml")] for p in root.glob("Pulumi.*.yaml")}
    return [e for e in PROMOTION_ORDER if e in found] + sorted(found - set(PROMOTION_ORDER))


def config_of(data: dict[str, Any]) -> dict[str, str]:
    """The `config:` map of a stack file as engine strings; secure values are skipped."""
    raw = data.get("config") or {}
    return {
        key: _as_engine_string(value)
        for key, value in raw.items()
        if not (isinstance(value, dict) and "secure" in value)
    }


def stack_config(env: str, root: Path = PROJECT_ROOT) -> dict[str, str]:
    return config_of(read_yaml(root / f"{STACK_FILE_PREFIX}{env}.yaml"))


def project_defaults(root: Path = PROJECT_ROOT) -> dict[str, str]:
    """Values Pulumi.yaml supplies when a stack omits a key (`default:` or `value:`), fully qualified."""
    project = project_file(root)
    out: dict[str, str] = {}
    for key, decl in (project.get("config") or {}).items():
        full = key if ":" in key else f"{project['name']}:{key}"
        if isinstance(decl, dict) and ("default" in decl or "value" in decl):
            out[full] = _as_engine_string(decl.get("default", decl.get("value")))
    return out


def effective_config(env: str, root: Path = PROJECT_ROOT) -> dict[str, str]:
    """What the CLI would pass for `env`: project defaults overlaid by the stack file."""
    return {**project_defaults(root), **stack_config(env, root)}


def all_environments(root: Path = PROJECT_ROOT) -> dict[str, dict[str, str]]:
    return {env: effective_config(env, root) for env in environments(root)}
