#!/bin/sh
# The committed copies of the defective 永靖县 fixture in the other vector formats, written by
# scripts/format_copy.sh (ogr2ogr) from fixtures/622923_永靖县_defective. The tests check that each
# copy gives exactly the findings of the original; they read the committed copies here, and
# tests/review.rs makes copies of every fixture the same way.
#
# Run from the repository root after regenerating the original (examples/gen_fixtures). Needs
# ogr2ogr (Debian: gdal-bin).
set -eu
cd "$(dirname "$0")/.."
SRC=fixtures/622923_永靖县_defective
scripts/format_copy.sh gpkg "$SRC" fixtures/622923_永靖县_defective_gpkg
# Two Shapefile copies: `_shp` with the .cpg files saying GBK, `_shp_nocpg` without them, so that
# the encoding must be detected from the bytes. package.yaml and the tables are the original's.
DST=fixtures/622923_永靖县_defective_shp
scripts/format_copy.sh shp "$SRC" "$DST"
rm -rf "${DST}_nocpg"
cp -r "$DST" "${DST}_nocpg"
rm "${DST}_nocpg"/vector/*.cpg
