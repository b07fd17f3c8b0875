"""GeoJSON properties that are objects: GDAL reads them as JSON fields (Arrow ``arrow.json``),
which the CSV writers must write as their JSON text, in the output and in the rejects."""

import csv
import json

from suigeo.cli import main

FEATURES = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"id": 1, "obj": {"a": 1, "名": "石门"}},
            "geometry": {"type": "Point", "coordinates": [113.3, 23.1]},
        },
        {
            "type": "Feature",
            "properties": {"id": 2, "obj": {"a": 2}},
            "geometry": {"type": "Point", "coordinates": [200.0, 23.1]},
        },
    ],
}


def test_json_properties_reach_the_csv_output_and_the_rejects(tmp_path, capsys):
    src = tmp_path / "in.geojson"
    src.write_text(json.dumps(FEATURES, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "o.csv"
    argv = ["crs", "convert", str(src), "-o", str(out), "--from", "CGCS2000"]
    assert main([*argv, "--to", "CGCS2000-3GK-CM114"]) == 0, capsys.readouterr().err
    with out.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["id"] for r in rows] == ["1"]
    assert json.loads(rows[0]["obj"]) == {"a": 1, "名": "石门"}  # the object, as JSON text
    with out.with_suffix(".rejects.csv").open(encoding="utf-8") as fh:
        rejects = list(csv.DictReader(fh))
    assert [(r["id"], r["reason"]) for r in rejects] == [("2", "outside_area")]
    assert json.loads(rejects[0]["obj"]) == {"a": 2}
