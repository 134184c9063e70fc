#!/bin/sh
# Writes a copy of a fixture package with its layers in another vector format of the package
# format (../shared/docs/package-format.md section 1), made with GDAL's ogr2ogr from its
# FlatGeobuf and GeoJSON layers, as a producer's tools would write them:
#
#   scripts/format_copy.sh gpkg SRC DST   every layer in ONE file, vector/<name>.gpkg, mapped in
#                                         package.yaml as file.gpkg#LAYER (<name>: SRC's folder
#                                         name without `_defective`)
#   scripts/format_copy.sh shp SRC DST    each layer as vector/<LAYER>.shp (+ .shx .dbf .prj
#                                         .cpg), attributes in GBK
#
# DST is replaced. Used by scripts/gen_format_copies.sh for the committed copies and by
# tests/review.rs for copies of every fixture. Needs ogr2ogr and ogrinfo (Debian: gdal-bin).
set -eu
FORMAT=$1
SRC=${2%/}
DST=${3%/}
rm -rf "$DST"
mkdir -p "$DST/vector"
cp -r "$SRC/tables" "$DST/tables"
if [ -d "$SRC/docs" ]; then cp -r "$SRC/docs" "$DST/docs"; fi
case $FORMAT in
gpkg)
    GPKG=$DST/vector/$(basename "$SRC" | sed 's/_defective$//').gpkg
    # A fixed timestamp in gpkg_contents keeps the file byte-for-byte reproducible.
    export OGR_CURRENT_DATE=2021-10-31T00:00:00.000Z
    first=1
    {
        grep -v '^# Test fixture' "$SRC/package.yaml" | sed '/^layers:/,$d'
        echo "layers:"
    } > "$DST/package.yaml.tmp"
    for f in "$SRC"/vector/*.fgb "$SRC"/vector/*.geojson; do
        [ -e "$f" ] || continue
        name=$(basename "${f%.*}")
        if [ $first = 1 ]; then
            ogr2ogr -f GPKG "$GPKG" "$f" -nln "$name"
            first=0
        else
            ogr2ogr -f GPKG -update "$GPKG" "$f" -nln "$name"
        fi
        echo "  $name: vector/$(basename "$GPKG")#$name" >> "$DST/package.yaml.tmp"
    done
    {
        echo "# Test fixture: the GeoPackage copy of $(basename "$SRC"), written by"
        echo "# scripts/format_copy.sh; regenerate instead of editing."
        cat "$DST/package.yaml.tmp"
    } > "$DST/package.yaml"
    rm "$DST/package.yaml.tmp"
    ;;
shp)
    # DBF field names hold at most 10 characters; every field of rules/schema.yaml fits.
    cp "$SRC/package.yaml" "$DST/package.yaml"
    for f in "$SRC"/vector/*.fgb "$SRC"/vector/*.geojson; do
        [ -e "$f" ] || continue
        name=$(basename "${f%.*}")
        # A Real field without a width becomes N(24,15) in a .dbf, too narrow for a county's
        # area in m² (2 038 428 439.08): write reals as N(24,6), more decimals than any area
        # carries.
        select=$(ogrinfo -so -nocount -noextent "$f" "$name" | sed -n 's/^\([A-Za-z0-9_]*\): \([A-Za-z0-9]*\) ([0-9.]*)$/\1 \2/p' |
            awk '{ printf "%s%s", (NR > 1 ? ", " : ""), ($2 == "Real" ? "CAST(\"" $1 "\" AS numeric(24,6)) AS \"" $1 "\"" : "\"" $1 "\"") }')
        ogr2ogr -f "ESRI Shapefile" -lco ENCODING=GBK "$DST/vector/$name.shp" "$f" \
            -sql "SELECT $select FROM \"$name\"" -nln "$name"
    done
    ;;
*)
    echo "format_copy.sh: unknown format $FORMAT (gpkg or shp)" >&2
    exit 2
    ;;
esac
