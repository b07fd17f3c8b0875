import subprocess
import sys

from suigeo.cli import main


def test_python_dash_m_entry_point_runs_and_lists_systems():
    out = subprocess.run(
        [sys.executable, "-m", "suigeo", "crs", "list"], capture_output=True, text=True, check=True
    )
    assert "CGCS2000-3GK-CM114" in out.stdout and "EPSG:4547" in out.stdout


def test_no_command_is_a_usage_error(capsys):
    assert main([]) == 2


def test_unknown_option_is_a_usage_error(capsys):
    assert main(["crs", "list", "--nope"]) == 2
