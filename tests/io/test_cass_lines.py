"""A 南方CASS ``.dat`` file has no header line: errors name its lines as the file numbers them
(the reader's copy has a header put in front, which must not shift the line numbers)."""

from __future__ import annotations

import pytest

from suigeo.cli import main

GOOD = "P{0},,449443.663,2573956.479,12.5\r\n"


@pytest.mark.parametrize(
    "bad,message",
    [
        ("P4,,449443.663,2573956.479\r\n", "row 4 (line 4) has 4 cells"),
        ('P4,,"449443.663,2573956.479,12.5\r\n', "the quoted cell starting on line 4"),
    ],
)
def test_a_bad_line_is_named_by_its_own_line_number(tmp_path, capsys, bad, message):
    text = "".join(GOOD.format(i) for i in (1, 2, 3)) + bad + GOOD.format(5)
    path = tmp_path / "points.dat"
    path.write_bytes(text.encode("gbk"))
    assert text.splitlines()[3].startswith("P4")  # the bad point is on line 4
    code = main(
        ["crs", "convert", str(path), "-o", str(tmp_path / "out.csv"),
         "--from", "CGCS2000-3GK-CM114", "--to", "CGCS2000"]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2
    assert message in err, err
    assert not (tmp_path / "out.csv").exists()
