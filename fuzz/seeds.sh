#!/bin/sh
# Seeds each fuzz target's corpus (fuzz/corpus/<target>/, not committed) from the fixtures and the
# malformed-input corpus. Run from the repository root: sh fuzz/seeds.sh
set -e
c=fuzz/corpus
mkdir -p $c/fgb $c/geojson $c/csv $c/zip $c/rules $c/manifest
n=0
for f in fixtures/*/vector/*.fgb tests/malformed/*.fgb; do n=$((n+1)); cp "$f" $c/fgb/seed$n.fgb; done
for f in fixtures/*/vector/*.geojson tests/malformed/*.geojson; do n=$((n+1)); cp "$f" $c/geojson/seed$n; done
# csv: the first byte picks the encoding (bit 0: GBK) and the schema (bit 1); see src/fuzz.rs
for f in fixtures/*/tables/*.csv tests/malformed/*.csv; do
  n=$((n+1)); { printf '\001'; cat "$f"; } > $c/csv/seed$n; { printf '\002'; cat "$f"; } > $c/csv/seedu$n
done
for f in fixtures/*.zip tests/malformed/*.zip; do n=$((n+1)); cp "$f" $c/zip/seed$n; done
# rules: the first byte picks the file's role (0 a rule file, 1 profiles.yaml, 2 schema.yaml)
for f in rules/*.yaml tests/malformed/rules_*.yaml; do
  n=$((n+1)); { printf '\000'; cat "$f"; } > $c/rules/seed$n
done
n=$((n+1)); { printf '\001'; cat rules/profiles.yaml; } > $c/rules/seed$n
n=$((n+1)); { printf '\002'; cat rules/schema.yaml; } > $c/rules/seed$n
for f in fixtures/*/package.yaml tests/malformed/manifest_*.yaml; do n=$((n+1)); cp "$f" $c/manifest/seed$n; done
# gpkg: whole GeoPackage files (the target writes its input to a temporary file). The fixture's
# 242 KB file is longer than -max_len=65536 and would be cut into a broken database, so one-layer
# copies (no spatial index, 512-byte pages, about 20-28 KB) are made too when GDAL is present.
mkdir -p $c/gpkg
for f in fixtures/*/vector/*.gpkg tests/malformed/*.gpkg; do n=$((n+1)); cp "$f" $c/gpkg/seed$n; done
if command -v ogr2ogr >/dev/null 2>&1; then
  for l in XZQ ZRZYDJDY STBHHX KCZY; do
    n=$((n+1)); f=$(ls fixtures/622923_永靖县_defective/vector/$l.* | head -1)
    ogr2ogr -f GPKG $c/gpkg/seed$n.gpkg "$f" -nln $l -lco SPATIAL_INDEX=NO
    python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('PRAGMA page_size=512'); c.execute('VACUUM')" $c/gpkg/seed$n.gpkg
  done
fi
# shapefile: a 7-byte head (.shx, .dbf and .prj lengths as u16 LE; a byte, 1 = a GBK .cpg), then
# those files and the .shp; see src/package/shapefile.rs
u16() { printf "$(printf '\\%03o\\%03o' $(($1 % 256)) $(($1 / 256)))"; }
mkdir -p $c/shapefile
for f in fixtures/*/vector/*.shp; do
  b=${f%.shp}; n=$((n+1))
  { u16 $(wc -c < "$b.shx"); u16 $(wc -c < "$b.dbf"); u16 $(wc -c < "$b.prj"); printf '\001'
    cat "$b.shx" "$b.dbf" "$b.prj" "$f"; } > $c/shapefile/seed$n
done
# the malformed .shp and .dbf files, each with the XZQ layer's other files
x=fixtures/622923_永靖县_defective_shp/vector/XZQ
for f in tests/malformed/*.shp tests/malformed/*.dbf; do
  shp=$x.shp; dbf=$x.dbf
  case $f in *.shp) shp=$f;; *.dbf) dbf=$f;; esac
  n=$((n+1))
  { u16 $(wc -c < "$x.shx"); u16 $(wc -c < "$dbf"); u16 $(wc -c < "$x.prj"); printf '\001'
    cat "$x.shx" "$dbf" "$x.prj" "$shp"; } > $c/shapefile/seed$n
done
# filegdb: a 2-byte head (the .gdbtablx length as u16 LE), the .gdbtablx, then the .gdbtable;
# every table of the handmade geodatabase (tests/data/filegdb) and, with GDAL, of a fixture's
mkdir -p $c/filegdb
gdbs=tests/data/filegdb/cases.gdb
if command -v ogr2ogr >/dev/null 2>&1; then
  g=$c/filegdb-src.gdb; rm -rf $g
  for l in XZQ ZRZYDJDY STBHHX; do
    f=$(ls fixtures/622923_永靖县_defective/vector/$l.* | head -1)
    ogr2ogr -f OpenFileGDB $( [ -d $g ] && echo -update ) -nlt PROMOTE_TO_MULTI $g "$f" -nln $l
  done
  gdbs="$gdbs $g"
fi
for d in $gdbs; do
  for t in $d/*.gdbtable; do
    x=${t%.gdbtable}.gdbtablx; [ -e "$x" ] || continue; n=$((n+1))
    { u16 $(wc -c < "$x"); cat "$x" "$t"; } > $c/filegdb/seed$n
  done
done
echo "seeded $n files under $c"
