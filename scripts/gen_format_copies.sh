#!/bin/sh
# Copies of the defective 永靖县 fixture in the other vector formats of the package format
# (../shared/docs/package-format.md section 1), made with GDAL's ogr2ogr from the FlatGeobuf and
# GeoJSON layers of fixtures/622923_永靖县_defective. The tests check that each copy gives exactly
# the findings of the original; they read the committed copies and never run ogr2ogr.
#
# One section per format; run from the repository root after regenerating the original
# (examples/gen_fixtures). Needs ogr2ogr (Debian: gdal-bin).
set -eu
cd "$(dirname "$0")/.."
SRC=fixtures/622923_永靖县_defective

# --- GeoPackage: every layer in ONE file, vector/622923_永靖县.gpkg, mapped as file.gpkg#LAYER ---
DST=fixtures/622923_永靖县_defective_gpkg
GPKG=$DST/vector/622923_永靖县.gpkg
rm -rf "$DST"
mkdir -p "$DST/vector"
cp -r "$SRC/tables" "$DST/tables"
# A fixed timestamp in gpkg_contents keeps the file byte-for-byte reproducible.
export OGR_CURRENT_DATE=2021-10-31T00:00:00.000Z
first=1
{
    grep -v '^# Test fixture' "$SRC/package.yaml" | sed '/^layers:/,$d'
    echo "layers:"
} > "$DST/package.yaml.tmp"
for f in "$SRC"/vector/*.fgb "$SRC"/vector/*.geojson; do
    name=$(basename "${f%.*}")
    if [ $first = 1 ]; then
        ogr2ogr -f GPKG "$GPKG" "$f" -nln "$name"
        first=0
    else
        ogr2ogr -f GPKG -update "$GPKG" "$f" -nln "$name"
    fi
    echo "  $name: vector/622923_永靖县.gpkg#$name" >> "$DST/package.yaml.tmp"
done
{
    echo "# Test fixture: the GeoPackage copy of 622923_永靖县_defective, written by"
    echo "# scripts/gen_format_copies.sh; regenerate instead of editing."
    cat "$DST/package.yaml.tmp"
} > "$DST/package.yaml"
rm "$DST/package.yaml.tmp"

