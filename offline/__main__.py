"""`python -m offline plan [ENV...]`: what each environment would contain, with no cloud account."""
# ruff: noqa: E402 (the GC is off before the SDK imports)

import atexit
import gc

# The SDK modules build tens of thousands of objects at import and none is garbage: the cyclic GC
# only costs time here (`cli._main` keeps it off for the run), and so does its last pass at exit
# over every object left (frozen: the interpreter's exit skips them; files are closed as usual).
gc.disable()
atexit.register(gc.freeze)

from offline.cli import main

raise SystemExit(main())
