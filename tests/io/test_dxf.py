"""DXF drawings (ezdxf writes them as AutoCAD does, R2013): every model-space coordinate
converted, blocks, layers and text kept; checked against PROJ by hand (crs_refs)."""

from __future__ import annotations

import ezdxf
import numpy as np
import pytest
from pyproj import Transformer

from suigeo.cli import main
from tests.crs.crs_refs import EXAMPLE, similarity

GK = "CGCS2000-3GK-CM114"
P0 = (430799.4119, 2556503.0626)


def _to_gz(e, n):
    """GK CM114 -> the example file's Guangzhou 2000, written out by hand."""
    inv = Transformer.from_pipeline(
        "+proj=pipeline +step +inv +proj=tmerc +lat_0=0 +lon_0=114 +k=1 +x_0=500000 +y_0=0 "
        "+ellps=GRS80 +step +proj=tmerc +lat_0=0 +lon_0=113.5 +k=1 +x_0=100000 "
        "+y_0=-2500000 +ellps=GRS80"
    )
    te, tn = inv.transform(np.asarray(e, float), np.asarray(n, float))
    return similarity(te, tn, 100.0, -200.0, 10.0, 5.0)


def _drawing(path):
    doc = ezdxf.new("R2013")
    doc.layers.add("控制点", color=1)
    block = doc.blocks.new("三角点")
    block.add_line((-1, 0), (1, 0))
    block.add_circle((0, 0), 0.5)
    msp = doc.modelspace()
    x, y = P0
    msp.add_point((x, y, 21.5), dxfattribs={"layer": "控制点"})
    msp.add_line((x, y), (x + 100, y + 50))
    msp.add_lwpolyline([(x, y), (x + 10, y), (x + 10, y + 10)], dxfattribs={"layer": "地块"})
    msp.add_polyline3d([(x, y, 1), (x + 5, y + 5, 2)])
    msp.add_blockref("三角点", (x + 20, y + 20), dxfattribs={"rotation": 30.0})
    msp.add_text("石门村", height=2.5, dxfattribs={"insert": (x + 30, y + 30)})
    msp.add_mtext("备注", dxfattribs={"insert": (x + 40, y + 40), "char_height": 2.0})
    msp.add_circle((x + 50, y + 50), 5.0)
    msp.add_arc((x + 60, y + 60), 3.0, 0, 90)
    msp.add_3dface([(x, y, 0), (x + 1, y, 0), (x + 1, y + 1, 0), (x, y + 1, 0)])
    doc.saveas(path)
    return doc


def test_dxf_round_trip_to_gz2000(tmp_path, capsys):
    src, gz, back = tmp_path / "图.dxf", tmp_path / "gz.dxf", tmp_path / "back.dxf"
    _drawing(src)
    argv = ["crs", "convert", str(src), "-o", str(gz), "--from", GK, "--to", "GZ2000"]
    assert main([*argv, "--params", str(EXAMPLE)]) == 0, capsys.readouterr().err
    doc = ezdxf.readfile(gz)
    msp = doc.modelspace()
    x, y = P0
    pt = msp.query("POINT")[0].dxf.location
    e, n = _to_gz([x], [y])
    assert abs(pt.x - e[0]) < 1e-4 and abs(pt.y - n[0]) < 1e-4 and pt.z == 21.5
    line = msp.query("LINE")[0]
    e, n = _to_gz([x, x + 100], [y, y + 50])
    assert abs(line.dxf.end.x - e[1]) < 1e-4 and abs(line.dxf.end.y - n[1]) < 1e-4
    lw = np.asarray([p[:2] for p in msp.query("LWPOLYLINE")[0].get_points("xy")])
    e, n = _to_gz([x, x + 10, x + 10], [y, y, y + 10])
    np.testing.assert_allclose(lw, np.column_stack([e, n]), atol=1e-4, rtol=0)
    ins = msp.query("INSERT")[0]
    e, n = _to_gz([x + 20], [y + 20])
    assert abs(ins.dxf.insert.x - e[0]) < 1e-4 and ins.dxf.name == "三角点"
    # the similarity turns by 10" plus the meridian convergence between the two zones
    assert 30.0 < ins.dxf.rotation < 31.0 and abs(ins.dxf.xscale - 1.0) < 1e-3
    circle = msp.query("CIRCLE")[0]
    assert abs(circle.dxf.radius - 5.0) < 5.0 * 1e-3
    assert msp.query("TEXT")[0].dxf.text == "石门村"
    assert "控制点" in doc.layers and "三角点" in doc.blocks  # kept
    assert len(doc.blocks.get("三角点")) == 2  # block geometry stays in block units
    argv = ["crs", "convert", str(gz), "-o", str(back), "--from", "GZ2000", "--to", GK]
    assert main([*argv, "--params", str(EXAMPLE)]) == 0
    msp0, msp2 = ezdxf.readfile(src).modelspace(), ezdxf.readfile(back).modelspace()
    for a, b in zip(msp0, msp2, strict=True):
        for name in ("location", "start", "end", "insert", "center"):
            if a.dxf.hasattr(name):
                assert (a.dxf.get(name) - b.dxf.get(name)).magnitude < 1e-4, (a.dxftype(), name)
    assert abs(msp2.query("CIRCLE")[0].dxf.radius - 5.0) < 1e-6


def test_dxf_refuses_what_it_cannot_convert(tmp_path, capsys):
    src = tmp_path / "h.dxf"
    doc = _drawing(src)
    doc.modelspace().add_spline([(P0[0], P0[1]), (P0[0] + 5, P0[1] + 9), (P0[0] + 9, P0[1])])
    doc.saveas(src)
    out = tmp_path / "o.dxf"
    argv = ["crs", "convert", str(src), "-o", str(out), "--from", GK, "--to", "GZ2000"]
    assert main([*argv, "--params", str(EXAMPLE)]) == 2
    assert "cannot convert 1 SPLINE" in capsys.readouterr().err
    assert not out.exists()
    swapped = tmp_path / "s.dxf"
    d2 = ezdxf.new("R2013")
    d2.modelspace().add_point((P0[1], P0[0]))
    d2.saveas(swapped)
    argv[2] = str(swapped)
    assert main([*argv, "--params", str(EXAMPLE)]) == 2
    assert "look swapped" in capsys.readouterr().err


@pytest.mark.parametrize("dst", ["CGCS2000", "out.csv"])
def test_dxf_needs_plane_systems_and_dxf_output(tmp_path, capsys, dst):
    src = tmp_path / "a.dxf"
    _drawing(src)
    out = tmp_path / ("o.dxf" if dst == "CGCS2000" else dst)
    to = "CGCS2000" if dst == "CGCS2000" else GK
    assert main(["crs", "convert", str(src), "-o", str(out), "--from", GK, "--to", to]) == 2
    assert "DXF" in capsys.readouterr().err


def test_a_shearing_conversion_refuses_circles_and_blocks(tmp_path):
    from suigeo.errors import InputError
    from suigeo.io.dxf import convert_dxf

    src = tmp_path / "a.dxf"
    _drawing(src)

    def shear(x, y):  # an affine map with 1 % shear: circles would become ellipses
        return x + 0.01 * (y - P0[1]), y

    with pytest.raises(InputError, match=r"not conformal.*CIRCLE .*INSERT"):
        convert_dxf(src, tmp_path / "o.dxf", shear)
    assert not (tmp_path / "o.dxf").exists()

    def shift(x, y):  # a pure shift is conformal: everything converts, radii unchanged
        return x + 10.0, y - 20.0

    got = convert_dxf(src, tmp_path / "o.dxf", shift)
    assert got.converted == got.read == 10
    msp = ezdxf.readfile(tmp_path / "o.dxf").modelspace()
    c = msp.query("CIRCLE")[0]
    assert c.dxf.radius == pytest.approx(5.0, abs=1e-9)
    assert c.dxf.center.x == pytest.approx(P0[0] + 60.0, abs=1e-6)
