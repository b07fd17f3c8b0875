"""``python -m suigeo``."""

from suigeo.cli import main

raise SystemExit(main())
