"""`python -m offline plan [ENV...]`: what each environment would contain, with no cloud account."""

from offline.cli import main

raise SystemExit(main())
