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

# --- Shapefile: each layer as vector/<LAYER>.shp (+ .shx .dbf .prj .cpg), attributes in GBK ---
# Two copies: `_shp` with the .cpg files saying GBK, `_shp_nocpg` without them, so that the
# encoding must be detected from the bytes. package.yaml and the tables are the original's.
# DBF field names hold at most 10 characters; every field of rules/schema.yaml fits.
DST=fixtures/622923_永靖县_defective_shp
rm -rf "$DST" "${DST}_nocpg"
mkdir -p "$DST/vector"
cp -r "$SRC/tables" "$DST/tables"
cp "$SRC/package.yaml" "$DST/package.yaml"
for f in "$SRC"/vector/*.fgb "$SRC"/vector/*.geojson; do
    name=$(basename "${f%.*}")
    # A Real field without a width becomes N(24,15) in a .dbf, too narrow for a county's area
    # in m² (2 038 428 439.08): write reals as N(24,6), more decimals than any area carries.
    select=$(ogrinfo -so -nocount -noextent "$f" "$name" | sed -n 's/^\([A-Za-z0-9_]*\): \([A-Za-z0-9]*\) ([0-9.]*)$/\1 \2/p' |
        awk '{ printf "%s%s", (NR > 1 ? ", " : ""), ($2 == "Real" ? "CAST(\"" $1 "\" AS numeric(24,6)) AS \"" $1 "\"" : "\"" $1 "\"") }')
    ogr2ogr -f "ESRI Shapefile" -lco ENCODING=GBK "$DST/vector/$name.shp" "$f" \
        -sql "SELECT $select FROM \"$name\"" -nln "$name"
done
cp -r "$DST" "${DST}_nocpg"
rm "${DST}_nocpg"/vector/*.cpg
