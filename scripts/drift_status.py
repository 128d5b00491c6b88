"""Tell drift from failure in the nightly check, and keep the refresh away from secret values.

    python scripts/drift_status.py deployed-commit history.json   # the commit of the last successful `up`
    python scripts/drift_status.py excludes state.json            # --exclude arguments, one per line
    python scripts/drift_status.py secret-versions state.json     # "<secret id> <version id> <stage>" per line
    python scripts/drift_status.py classify --rc N refresh.json preview.json   # prints clean|drift|error

`excludes` reads `pulumi stack export` and names every resource whose refresh would read a secret
value or an object (`REFRESH_READS_DATA`): the drift role is denied those reads, so they are left out
of the refresh rather than failing it every night. `classify` reads the `--json` output of
`pulumi refresh --preview-only` and `pulumi preview` (without --expect-no-changes, whose exit code
would make drift look like an error): a non-zero exit code, an error diagnostic or unreadable
output is an error; any step other than `same`/`read`/`refresh` is drift. A refresh's digest lists
unchanged resources with op `refresh` (it is rewritten to update/delete only where state changed).

`deployed-commit` reads `pulumi stack history --json`: the preview runs the commit the stack last
deployed (a commit merged to main and waiting for its reviewers is not drift). `secret-versions`
names the stage each Pulumi-managed version must still carry: its own label when it has one (an
operator secret's seed, `marin-seed`: rotating the secret moves AWSCURRENT to the new value, as the
runbook says, and is not drift), else AWSCURRENT.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

# Resource types whose provider Read returns a secret value or object content, and the action it needs.
REFRESH_READS_DATA = {
    "aws:secretsmanager/secretVersion:SecretVersion": "secretsmanager:GetSecretValue",
    "aws:s3/bucketObject:BucketObject": "s3:GetObject",
    "aws:s3/bucketObjectv2:BucketObjectv2": "s3:GetObject",
    "aws:ssm/parameter:Parameter": "ssm:GetParameter",
}
NO_CHANGE_OPS = {"same", "read", "refresh"}


def excludes(export: dict[str, Any]) -> list[str]:
    resources = (export.get("deployment") or {}).get("resources") or []
    return sorted(r["urn"] for r in resources if r.get("type") in REFRESH_READS_DATA)


AWS_STAGES = {"AWSCURRENT", "AWSPREVIOUS", "AWSPENDING"}


def secret_versions(export: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(secret id, version id, stage it must carry) of every Pulumi-managed secret version: checked
    with `secretsmanager:ListSecretVersionIds`, which names versions and their stages, no value."""
    resources = (export.get("deployment") or {}).get("resources") or []
    out = []
    for r in resources:
        if r.get("type") == "aws:secretsmanager/secretVersion:SecretVersion":
            outputs = r.get("outputs") or {}
            own = sorted(set(outputs.get("versionStages") or []) - AWS_STAGES)
            out.append(
                (
                    str(outputs.get("secretId") or outputs.get("arn")),
                    str(outputs.get("versionId")),
                    own[0] if own else "AWSCURRENT",
                )
            )
    return sorted(out)


def deployed_commit(history: list[dict[str, Any]]) -> str | None:
    """The commit of the newest successful `update` (history is newest first)."""
    for h in history:
        if h.get("kind") == "update" and h.get("result") == "succeeded":
            return (h.get("environment") or {}).get("git.head")
    return None


def _parse(text: str) -> dict[str, Any] | None:
    try:
        doc = json.loads(text)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None


def classify(rc: int, outputs: list[str]) -> tuple[str, list[str]]:
    """('clean' | 'drift' | 'error', details)."""
    docs = [_parse(o) for o in outputs]
    errors = [
        d.get("message", "").strip()
        for doc in docs
        if doc
        for d in doc.get("diagnostics") or []
        if d.get("severity") == "error"
    ]
    if rc != 0 or errors or any(doc is None for doc in docs):
        detail = errors or [f"exit code {rc}" + ("; unreadable JSON output" if any(d is None for d in docs) else "")]
        return "error", detail
    changed = [
        f"{s.get('op')} {s.get('urn')}"
        for doc in docs
        if doc
        for s in doc.get("steps") or []
        if s.get("op") not in NO_CHANGE_OPS
    ]
    summaries = [doc.get("changeSummary") or {} for doc in docs if doc]
    if changed or any(n for s in summaries for op, n in s.items() if op not in NO_CHANGE_OPS):
        return "drift", changed or [json.dumps(s) for s in summaries]
    return "clean", []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    dc = sub.add_parser("deployed-commit")
    dc.add_argument("history", type=Path)
    ex = sub.add_parser("excludes")
    ex.add_argument("export", type=Path)
    sv = sub.add_parser("secret-versions")
    sv.add_argument("export", type=Path)
    cl = sub.add_parser("classify")
    cl.add_argument("--rc", type=int, required=True, help="the worst exit code of the two commands")
    cl.add_argument("outputs", type=Path, nargs="+")
    args = parser.parse_args(argv)
    if args.command == "excludes":
        for urn in excludes(json.loads(args.export.read_text(encoding="utf-8"))):
            print(urn)
        return 0
    if args.command == "secret-versions":
        for secret, version, stage in secret_versions(json.loads(args.export.read_text(encoding="utf-8"))):
            print(secret, version, stage)
        return 0
    if args.command == "deployed-commit":
        sha = deployed_commit(json.loads(args.history.read_text(encoding="utf-8") or "[]"))
        if not sha:
            print("no successful update in the stack's history: nothing deployed to check", file=sys.stderr)
            return 1
        print(sha)
        return 0
    texts = [p.read_text(encoding="utf-8") if p.exists() else "" for p in args.outputs]
    status, details = classify(args.rc, texts)
    print(status)
    for line in details:
        print(line, file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
