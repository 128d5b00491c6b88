"""`python -m offline plan [ENV...]`: what each environment would contain, with no cloud account."""
# ruff: noqa: E402 (Ctrl-C is handled from the start, the SDKs' imports included)
# ruff: noqa: E402 (the GC is off before the SDK imports)

import atexit
import gc

# The SDK modules build tens of thousands of objects at import and none is garbage: the cyclic GC
# only costs time here (`cli._main` keeps it off for the run), and so does its last pass at exit
# over every object left (frozen: the interpreter's exit skips them; files are closed as usual).
gc.disable()
atexit.register(gc.freeze)

import os
import signal
import sys


def _interrupted(signum: int, frame: object) -> None:
    """Ctrl-C: one line and exit 130, at once. A KeyboardInterrupt raised inside the SDK's event loop
    is caught by the SDK (pulumi/runtime/stack.py `run_pulumi_func` catches BaseException, then waits
    for the outstanding RPCs), so the run printed a traceback or never ended; nothing is unwound
    here but REF's run of `--base` (a child process and an exported tree), stopped first."""
    cancel_all = getattr(sys.modules.get("offline.base"), "cancel_all", None)  # once it is imported
    if cancel_all is not None:
        cancel_all()
    os.write(2, b"interrupted\n")
    os._exit(128 + signum)


signal.signal(signal.SIGINT, _interrupted)

from offline.cli import main

raise SystemExit(main())
