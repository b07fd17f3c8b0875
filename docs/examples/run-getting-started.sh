#!/usr/bin/env bash
# Re-run every command of the three getting-started pages in a scratch directory, so the
# output pasted into docs/getting-started/*.md can be compared with what the code prints
# today. Usage, from the repository root: docs/examples/run-getting-started.sh [DIR]
# (needs `suigeo` on PATH; PNG export needs chromium and chromedriver).
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="${1:-$(mktemp -d)}"
mkdir -p "$work/crs/examples"
cp "$root"/docs/examples/*.csv "$root"/docs/examples/*.geojson "$work/"
cp "$root/crs/examples/gz2000-example.toml" "$work/crs/examples/"
cd "$work" || exit 2
run() { echo "\$ $*"; "$@"; echo "[exit $?]"; echo; }

echo "# planner"
run suigeo demo -o demo.html --png demo.png
run suigeo access rings --origin 派潭镇 --minutes 30 60 -o paitan-rings.geojson
run suigeo map build --shipped north8_towns --shipped forest_parks \
    --rings paitan-rings.geojson --user-layer paitan-sites.geojson \
    --title "派潭镇 30/60 min" -o paitan.html --png paitan.png

echo "# GIS staff"
run suigeo crs convert survey.csv -o survey_gk.csv --from CGCS2000 --to CGCS2000-3GK-CM114
cat survey_gk.csv survey_gk.rejects.csv; echo
run suigeo crs convert survey.csv -o survey_gz.csv --from CGCS2000+H1985 --to GZ2000+HGZ \
    --x lon --y lat --h h1985 --params crs/examples/gz2000-example.toml
cat survey_gz.csv; echo
run suigeo crs point --from CGCS2000 --to GZ2000 113.3 23.1
run suigeo crs fit control.csv --model helmert4 --base crs/examples/gz2000-example.toml \
    --outlier-threshold 2.5 -o fitted.toml
grep -v '^K7' control.csv > control-k7-removed.csv
run suigeo crs fit control-k7-removed.csv --model helmert4 \
    --base crs/examples/gz2000-example.toml -o fitted.toml
run suigeo crs convert survey.csv -o survey_gz.csv --from CGCS2000 --to GZ2000 \
    --x lon --y lat --params fitted.toml
head -2 survey_gz.csv; echo
# section 4: a control sheet as Chinese Excel saves it (GBK, CRLF), X = northing
printf '点号,X,Y,H\r\nG01,2556503.063,430799.412,21.5\r\nG02,2598396.045,476622.539,96.2\r\nG03,2616475.984,464290.848,88.0\r\n' \
    | python3 -c 'import sys; sys.stdout.buffer.write(sys.stdin.buffer.read().decode("utf-8").encode("gbk"))' > 控制测量.csv
run suigeo crs convert 控制测量.csv -o 控制测量_lonlat.csv --from CGCS2000-3GK-CM114 --to CGCS2000
run suigeo crs convert 控制测量.csv -o 控制测量_lonlat.csv --from CGCS2000-3GK-CM114 --to CGCS2000 \
    --axis-order ne
cat 控制测量_lonlat.csv; echo
run suigeo crs point --from CGCS2000-3GK-CM114 --to CGCS2000 2556503.063 430799.412
run suigeo crs convert 控制测量_lonlat.csv -o 控制测量.dat --from CGCS2000 --to CGCS2000-3GK-CM114
head -1 控制测量.dat; echo

echo "# script writer"
run suigeo rules check projects.csv --ruleset village-industrial-2022 --as-of 2024-06-30
run suigeo rules check projects.csv --ruleset village-industrial-2022 --as-of 2025-09-01
run suigeo rules check projects.csv --ruleset village-industrial-2022 --as-of 2025-09-01 \
    --allow-expired --format json -o expired.json
run suigeo rules check projects.csv --ruleset village-industrial-2022 --as-of 2024-06-30 \
    --format json -o results.json
head -c 900 results.json; echo
sed 's/^GZ-002,村镇工业集聚区 B,35000/GZ-002,村镇工业集聚区 B,35000 m/' projects.csv > projects-bad.csv
run suigeo rules check projects-bad.csv --ruleset village-industrial-2022 --as-of 2024-06-30
run suigeo rules check projects-bad.csv --ruleset village-industrial-2022 --as-of 2024-06-30 \
    --rejects bad-rows.csv
cat bad-rows.csv
echo "outputs in $work"
