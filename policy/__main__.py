"""The marin policy pack: `pulumi preview --policy-pack policy --stack <org>/marin/<env>`.

Only assembles the pack; every rule lives in an importable module of `marin_policies`.
"""

from marin_policies import ALL_POLICIES
from pulumi_policy import EnforcementLevel, PolicyPack

PolicyPack(name="marin-guardrails", enforcement_level=EnforcementLevel.MANDATORY, policies=ALL_POLICIES)
