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


def test_a_reader_that_goes_away_is_not_a_traceback():
    proc = subprocess.Popen(
        [sys.executable, "-m", "suigeo", "layers", "show", "rail_stations"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    proc.stdout.close()  # like `| head` exiting before suigeo writes
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0
    assert b"Traceback" not in err and b"BrokenPipe" not in err
