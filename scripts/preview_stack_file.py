"""Make `Pulumi.<env>.yaml` fit a pull request's throwaway preview stack (in the runner's checkout).

    python scripts/preview_stack_file.py dev

The committed stack file may name the environment's KMS secrets provider (`secretsprovider`,
`encryptedkey`) and carry secure config (`marin:transcriptionApiKey: {secure: ...}`), which only
the environment's deploy and readonly roles can decrypt. A pull request's preview must not, so
the file is rewritten for a passphrase-encrypted stack that lives and dies in the runner: the
secrets provider lines and every secure value are dropped, and the keys that held one are printed,
one per line. The workflow sets each again as a *secret* placeholder (`pulumi config set --secret`)
once the throwaway stack exists: a key `Pulumi.yaml` declares `secret: true` is refused in plain
text ("must be encrypted as it's secret": pulumi/pulumi pkg/workspace/config.go). The program then
sees the same keys, and no secret value exists anywhere in the job.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from marin import stackfiles

PLACEHOLDER = "preview-placeholder-not-a-secret"
SECRETS_PROVIDER_KEYS = ("secretsprovider", "encryptedkey", "encryptionsalt")


def secure_keys(data: dict[str, Any]) -> list[str]:
    return [k for k, v in (data.get("config") or {}).items() if isinstance(v, dict) and "secure" in v]


def sanitised(data: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in data.items() if k not in SECRETS_PROVIDER_KEYS}
    dropped = set(secure_keys(data))
    out["config"] = {k: v for k, v in (data.get("config") or {}).items() if k not in dropped}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("env")
    parser.add_argument("--root", type=Path, default=stackfiles.PROJECT_ROOT)
    args = parser.parse_args(argv)
    path = args.root / f"{stackfiles.STACK_FILE_PREFIX}{args.env}.yaml"
    if not path.exists():
        print(f"::error::no stack file {path.name} (environments: {', '.join(stackfiles.environments(args.root))})")
        return 1
    data = stackfiles.read_yaml(path)
    path.write_text(yaml.safe_dump(sanitised(data), sort_keys=False), encoding="utf-8")
    for key in secure_keys(data):
        print(key)
    print(f"{path.name}: secrets provider and secure values dropped", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
