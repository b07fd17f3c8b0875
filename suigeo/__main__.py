"""``python -m suigeo``."""

import sys

try:
    from suigeo.cli import main
except KeyboardInterrupt:  # Ctrl-C before the command line is even loaded
    print("suigeo: interrupted", file=sys.stderr)
    raise SystemExit(130) from None

raise SystemExit(main())
