"""`python -m offline COMMAND`: offline/cli.py, with the GC off and Ctrl-C handled from the start."""
# ruff: noqa: E402 (both are set before the SDK imports)

import atexit
import gc
import os
import signal
import sys

# The SDK modules build tens of thousands of objects at import and none is garbage: the cyclic GC
# only costs time, and so would its last pass at exit over every object left (frozen, skipped).
gc.disable()
atexit.register(gc.freeze)


def _interrupted(signum: int, _frame: object) -> None:
    """Ctrl-C: one line and exit 130, at once. A KeyboardInterrupt raised inside the SDK's event loop
    is caught by the SDK (pulumi/runtime/stack.py `run_pulumi_func` catches BaseException, then waits
    for the outstanding RPCs): a traceback or a run that never ends. REF's run of `--base` (a child
    process and an exported tree) is stopped first."""
    cli = sys.modules.get("offline.cli")
    for stop in list(getattr(cli, "STOPPING", ())):  # None, or half imported: nothing to stop yet
        stop()
    os.write(2, b"interrupted\n")
    os._exit(128 + signum)


signal.signal(signal.SIGINT, _interrupted)

from offline.cli import main

raise SystemExit(main())
