"""The marin policy pack: `pulumi preview --policy-pack policy --stack <org>/marin/<env>`.

Only assembles the pack; every rule lives in an importable module of `marin_policies`.
"""

import sys
from pathlib import Path

from pulumi_policy import EnforcementLevel, PolicyPack

PROJECT_DIR = str(Path(__file__).resolve().parent.parent)  # the pack reads marin's size catalogue
if PROJECT_DIR not in sys.path:
    sys.path.insert(0, PROJECT_DIR)

from marin_policies import ALL_POLICIES, keep_stack_config  # noqa: E402  (needs PROJECT_DIR)

keep_stack_config()
PolicyPack(name="marin-guardrails", enforcement_level=EnforcementLevel.MANDATORY, policies=ALL_POLICIES)
