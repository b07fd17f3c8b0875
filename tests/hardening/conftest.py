"""Every hostile case starts without a parameter file from the environment."""

import pytest


@pytest.fixture(autouse=True)
def _no_params_env(monkeypatch):
    monkeypatch.delenv("SUIGEO_GZ2000_PARAMS", raising=False)
