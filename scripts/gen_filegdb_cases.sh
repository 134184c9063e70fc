#!/bin/sh
# The handmade File Geodatabase of tests/filegdb.rs, written by GDAL's OpenFileGDB driver
# (ogr2ogr 3.6) from the CSV and WKT sources in tests/data/filegdb/src:
#   DY  a feature class in the feature dataset 成果 (-lco FEATURE_DATASET): DY1 a circle of
#       radius 100 m (CURVEPOLYGON of a CIRCULARSTRING, which ArcGIS and GDAL store as arcs),
#       DY2 a square, DY3 a null geometry
#   TJ  a table without geometry, Chinese values, nulls, and the field BZ with the alias 备注
# Run from the repository root; needs ogr2ogr and libgdal (Debian: gdal-bin).
set -eu
cd "$(dirname "$0")/.."
D=tests/data/filegdb
rm -rf "$D/cases.gdb"
ogr2ogr -f OpenFileGDB "$D/cases.gdb" "$D/src/DY.csv" -oo GEOM_POSSIBLE_NAMES=WKT \
    -oo KEEP_GEOM_COLUMNS=NO -nlt CURVEPOLYGON -a_srs EPSG:4523 -lco FEATURE_DATASET=成果 -nln DY
ogr2ogr -f OpenFileGDB -update "$D/cases.gdb" "$D/src/TJ.csv" -oo EMPTY_STRING_AS_NULL=YES -nln TJ
python3 scripts/gdal_field_alias.py "$D/cases.gdb" TJ BZ 备注
# GDAL's reading, for the test to compare with.
ogrinfo -al -ro "$D/cases.gdb" | grep -v '^INFO\|using driver' > "$D/cases.ogrinfo.txt"
