"""The shipped planning layers (data, catalogue, loaders) and validation of user layers."""

import logging

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__: list[str] = []
