"""`python -m offline plan [ENV...]`: what each environment would contain, with no cloud account."""
# ruff: noqa: E402 (the GC is off before the SDK imports)

import gc

# The SDK modules build tens of thousands of objects at import and none is garbage: the cyclic GC
# only costs time here (`cli._main` keeps it off for the run, then turns it back on).
gc.disable()

from offline.cli import main

raise SystemExit(main())
