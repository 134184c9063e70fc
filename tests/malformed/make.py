#!/usr/bin/env python3
"""Writes the malformed inputs of this corpus (deterministic). Run from the repository root:

    python3 tests/malformed/make.py

Each file is described, with where it is placed and what nrqc must say, in cases.tsv. Files that
came from fuzzing (crash inputs) are committed as they were found and are not written here.
"""
import io
import os
import random
import struct
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
CLEAN = os.path.join(HERE, "..", "..", "fixtures", "622923_永靖县")


def out(name, data):
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


def read(rel):
    with open(os.path.join(CLEAN, rel), "rb") as f:
        return f.read()


def fgb_header_field(fgb, field):
    """Offset in `fgb` of header table field `field` (flatbuffer vtable slot), or None."""
    start = 12  # magic (8) + size prefix (4)
    table = start + struct.unpack_from("<I", fgb, start)[0]
    vtable = table - struct.unpack_from("<i", fgb, table)[0]
    vsize = struct.unpack_from("<H", fgb, vtable)[0]
    slot = 4 + 2 * field
    if slot >= vsize:
        return None
    off = struct.unpack_from("<H", fgb, vtable + slot)[0]
    return table + off if off else None


FEATURES_COUNT = 8  # Header field index in flatgeobuf's header.fbs


def first_feature(fgb):
    """Offset of the first feature's size prefix (XZQ.fgb: header, index of 1 item)."""
    header_size = struct.unpack_from("<I", fgb, 8)[0]
    return 12 + header_size + 40  # one feature: an index of one 40-byte node


def main():
    xzq = read("vector/XZQ.fgb")
    rnd = random.Random(7)
    out("fgb_garbage.fgb", bytes(rnd.randrange(256) for _ in range(512)))
    out("fgb_truncated.fgb", xzq[: len(xzq) * 2 // 3])
    out("fgb_header_size.fgb", xzq[:8] + struct.pack("<I", 0xFFFFFFF0) + xzq[12:64])
    b = bytearray(xzq)
    at = fgb_header_field(b, FEATURES_COUNT)
    struct.pack_into("<Q", b, at, 1 << 63)
    out("fgb_features_count.fgb", bytes(b))
    b = bytearray(xzq)
    struct.pack_into("<I", b, first_feature(b), 0xFFFFFFFF)
    out("fgb_feature_size.fgb", bytes(b))
    # The XZQ outline's second vertex, made NaN and infinite.
    vertex = struct.pack("<dd", 34643916.262, 3993813.442)
    assert xzq.count(vertex) == 1
    out("fgb_nan.fgb", xzq.replace(vertex, struct.pack("<dd", float("nan"), 3993813.442)))
    out("fgb_inf.fgb", xzq.replace(vertex, struct.pack("<dd", 34643916.262, float("inf"))))

    head = '{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4522"}},"features":['
    props = '"properties":{"HXBM":"62292310001","HXMC":"x","HXLX":"x","MJ":1.0}'
    ring = "[[34600000,3976000],[34601000,3976000],[34601000,3977000],[34600000,3976000]]"
    feature = lambda geometry: '{"type":"Feature",%s,"geometry":%s}' % (props, geometry)
    out("geojson_bad_coordinates.geojson", head + feature('{"type":"Polygon","coordinates":[[["a",1],[2,3],[4,5],["a",1]]]}') + "]}")
    out("geojson_bad_type.geojson", head + feature('{"type":"Polygonn","coordinates":[%s]}' % ring) + "]}")
    out("geojson_nan.geojson", head + feature('{"type":"Polygon","coordinates":[[[NaN,3976000],[34601000,3976000],[34601000,3977000],[NaN,3976000]]]}') + "]}")
    out("geojson_inf.geojson", head + feature('{"type":"Polygon","coordinates":[[[1e999,3976000],[34601000,3976000],[34601000,3977000],[1e999,3976000]]]}') + "]}")
    out("geojson_empty.geojson", head + "]}")
    out("geojson_not_json.geojson", head + feature('{"type":"Polygon","coordinates":[%s' % ring))
    out("geojson_point_ring.geojson", head + feature('{"type":"Polygon","coordinates":[[1,2]]}') + "]}")

    gggz = read("tables/GGGZ.csv")
    lines = gggz.split(b"\n")
    out("csv_ragged.csv", b"\n".join(lines[:2] + [lines[2] + b",extra,fields"] + lines[3:]))
    out("csv_mixed_encoding.csv", b"\n".join(lines[:2] + ["6229233000001,生态保护红线,62292310001,1.00,内容".encode("utf-8")] + lines[3:]))
    out("csv_empty.csv", b"")
    out("csv_header_only.csv", lines[0] + b"\n")

    laughs = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, 10):
        laughs.append("a%d: &a%d [%s]" % (i, i, ", ".join(["*a%d" % (i - 1)] * 10)))
    out("rules_billion_laughs.yaml", "\n".join(laughs) + "\nrules: *a9\n")
    # Aliases where the schema accepts them: 5,000 aliases of one name (limit: 1,000).
    rule = "rules:\n  - id: ZR-Z001\n    title: t\n    class: B\n    element: 完整性\n    basis: b\n"
    out("rules_many_aliases.yaml", rule + "    not_null: { layer: ZRZYDJDY, fields: [&f DBXSZT%s] }\n" % (", *f" * 5000))
    out("manifest_many_aliases.yaml", read("package.yaml").decode().replace("producer: ", "producer: &p ") + "layers: {%s}\n" % ", ".join("L%d: *p" % i for i in range(5000)))
    out("rules_deep_nesting.yaml", "rules: " + "[" * 10000 + "]" * 10000 + "\n")
    manifest = read("package.yaml").decode()
    out("manifest_billion_laughs.yaml", manifest + "\n".join(laughs).replace("a", "x") + "\nlayers: *x9\n")
    out("manifest_deep_nesting.yaml", manifest + "tables: " + "{a: " * 5000 + "b" + "}" * 5000 + "\n")
    out("manifest_outside.yaml", manifest + "tables:\n  GGGZ: /etc/passwd\n")
    out("manifest_duplicate_key.yaml", manifest + "xzqmc: 临夏县\n")
    # One byte over the 256 KiB a manifest may hold.
    pad = (256 << 10) + 1 - len(manifest.encode())
    out("manifest_oversized.yaml", manifest.replace("producer: ", "producer: " + "x" * pad))

    def zip_of(entries):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data in entries:
                info = zipfile.ZipInfo(name, date_time=(2021, 10, 31, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(info, data)
        return buf.getvalue()

    m = read("package.yaml")
    out("zip_parent.zip", zip_of([("package.yaml", m), ("../evil.txt", b"x")]))
    out("zip_absolute.zip", zip_of([("package.yaml", m), ("/tmp/evil.txt", b"x")]))
    out("zip_bomb.zip", zip_of([("package.yaml", m), ("tables/GGGZ.csv", bytes(4 << 20))]))
    z = zip_of([("package.yaml", m), ("tables/GGGZ.csv", gggz)])
    out("zip_truncated.zip", z[: len(z) // 2])
    # Python's zipfile writes a second entry of the same name (with a warning).
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out("zip_duplicate.zip", zip_of([("package.yaml", m), ("package.yaml", m + b"tables:\n  GGGZ: tables/KYQ.csv\n")]))
    out("zip_same_path.zip", zip_of([("package.yaml", m), ("tables/GGGZ.csv", gggz), ("tables\\GGGZ.csv", b"x")]))

    # Shapefile layers: the XZQ layer of the Shapefile copy, one of its files broken; the test
    # puts the layer's other files beside it.
    shp_dir = os.path.join(HERE, "..", "..", "fixtures", "622923_永靖县_defective_shp", "vector")

    def shp_part(ext):
        with open(os.path.join(shp_dir, "XZQ." + ext), "rb") as f:
            return bytearray(f.read())

    shp = shp_part("shp")
    # The first record's content length (big-endian 16-bit words, after its number) claims
    # far more than the file holds.
    struct.pack_into(">i", shp, 100 + 4, 0x3FFFFFFF)
    out("shp_record_length.shp", bytes(shp))
    shp = shp_part("shp")
    out("shp_truncated.shp", bytes(shp[: len(shp) * 2 // 3]))
    dbf = shp_part("dbf")
    struct.pack_into("<I", dbf, 4, 1_000_000)  # record count: a million rows in a small file
    out("dbf_record_count.dbf", bytes(dbf))
    dbf = shp_part("dbf")
    struct.pack_into("<H", dbf, 10, 3)  # record length: shorter than its fields
    out("dbf_record_length.dbf", bytes(dbf))
    # GeoPackage: not SQLite at all, and a SQLite file cut in half.
    out("gpkg_garbage.gpkg", random.Random(7).randbytes(4096))
    gpkg_path = os.path.join(HERE, "..", "..", "fixtures", "622923_永靖县_defective_gpkg", "vector", "622923_永靖县.gpkg")
    with open(gpkg_path, "rb") as f:
        gpkg = f.read()
    out("gpkg_truncated.gpkg", gpkg[: len(gpkg) // 2])


if __name__ == "__main__":
    main()
