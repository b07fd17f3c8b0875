"""Analysis: accessibility rings and coverage, land-use rule checks."""

import logging

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__: list[str] = []
