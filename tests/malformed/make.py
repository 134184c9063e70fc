#!/usr/bin/env python3
"""Writes the malformed inputs of this corpus (deterministic). Run from the repository root:

    python3 tests/malformed/make.py

Each file is described, with where it is placed and what nrqc must say, in cases.tsv. Files that
came from fuzzing (crash inputs) are committed as they were found and are not written here.
"""
import io
import os
import random
import sqlite3
import struct
import tempfile
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


class Flatbuffer:
    """A minimal flatbuffer writer, enough for FlatGeobuf headers and features: every table is
    written before its children (offsets point forward), each field's place aligned to its size
    from the start of the size-prefixed buffer, as the flatbuffers verifier checks."""

    def __init__(self):
        self.b = bytearray(4)  # the size prefix, filled by finish()
        self.b += bytes(4)  # the root table's offset

    def pad(self, n, extra=0):
        while (len(self.b) + extra) % n:
            self.b.append(0)

    def table(self, fields):
        """fields: {index: (format, value)}; format a struct code, or "off" with a function that
        writes the child and returns its position. Returns the table's position."""
        order = sorted(fields.items(), key=lambda kv: -self.size(kv[1][0]))
        vtable_len = 4 + 2 * (max(fields) + 1)
        self.pad(2)
        vtable = len(self.b)
        self.b += bytes(vtable_len)
        self.pad(8)
        table = len(self.b)
        self.b += struct.pack("<i", table - vtable)
        slots = {}
        for index, (fmt, value) in order:
            self.pad(self.size(fmt))
            slots[index] = len(self.b)
            self.b += bytes(self.size(fmt)) if fmt == "off" else struct.pack("<" + fmt, value)
        struct.pack_into("<HH", self.b, vtable, vtable_len, len(self.b) - table)
        for index, at in slots.items():
            struct.pack_into("<H", self.b, vtable + 4 + 2 * index, at - table)
        for index, (fmt, value) in order:
            if fmt == "off":
                child = value()
                struct.pack_into("<I", self.b, slots[index], child - slots[index])
        return table

    @staticmethod
    def size(fmt):
        return 4 if fmt == "off" else struct.calcsize("<" + fmt)

    def vector(self, fmt, values):
        size = struct.calcsize("<" + fmt)
        self.pad(4)
        self.pad(max(size, 4), 4)
        at = len(self.b)
        self.b += struct.pack("<I", len(values))
        for v in values:
            self.b += struct.pack("<" + fmt, v)
        return at

    def bytes_vector(self, data):
        self.pad(4)
        at = len(self.b)
        self.b += struct.pack("<I", len(data)) + data
        return at

    def string(self, text):
        at = self.bytes_vector(text.encode())
        self.b.append(0)
        return at

    def tables(self, writers):
        """A vector of tables, each written by a function returning its position."""
        self.pad(4)
        at = len(self.b)
        self.b += struct.pack("<I", len(writers)) + bytes(4 * len(writers))
        for i, write in enumerate(writers):
            slot = at + 4 + 4 * i
            struct.pack_into("<I", self.b, slot, write() - slot)
        return at

    def finish(self, root):
        self.pad(8)
        struct.pack_into("<II", self.b, 0, len(self.b) - 4, root - 4)
        return bytes(self.b)


# flatgeobuf's ColumnType and GeometryType values.
DOUBLE, STRING, POLYGON = 10, 11, 3


def fgb(columns, features):
    """A FlatGeobuf file without an index, in EPSG:4522. columns: [(name, type)]; features:
    [(ends, xy, properties bytes)]."""
    h = Flatbuffer()
    root = h.table({
        0: ("off", lambda: h.string("XZQ")),
        2: ("B", POLYGON),
        7: ("off", lambda: h.tables([
            (lambda n=n, t=t: h.table({0: ("off", lambda: h.string(n)), 1: ("B", t)}))
            for n, t in columns])),
        8: ("Q", len(features)),
        9: ("H", 0),
        10: ("off", lambda: h.table({1: ("i", 4522)})),
    })
    out = b"fgb\x03fgb\x00" + h.finish(root)
    for ends, xy, props in features:
        f = Flatbuffer()
        geometry = {1: ("off", lambda: f.vector("d", xy))}
        if ends:
            geometry[0] = ("off", lambda: f.vector("I", ends))
        root = f.table({
            0: ("off", lambda: f.table(geometry)),
            1: ("off", lambda: f.bytes_vector(props)),
        })
        out += f.finish(root)
    return out


def fgb_string(column, text):
    data = text if isinstance(text, bytes) else text.encode()
    return struct.pack("<HI", column, len(data)) + data


def gpkg_of(statements):
    """A GeoPackage holding the tables every GeoPackage has and then `statements`."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "x.gpkg")
        db = sqlite3.connect(path)
        db.executescript("""
            PRAGMA application_id = 1196444487;
            CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER NOT NULL PRIMARY KEY,
                organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL,
                definition TEXT NOT NULL, description TEXT);
            INSERT INTO gpkg_spatial_ref_sys VALUES ('CGCS2000 / 3-degree Gauss-Kruger zone 34', 4522, 'EPSG', 4522, 'undefined', NULL);
            CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL,
                geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL);
            INSERT INTO gpkg_geometry_columns VALUES ('XZQ', 'geom', 'POLYGON', 4522, 0, 0);
        """ + statements)
        db.commit()
        db.close()
        with open(path, "rb") as f:
            return f.read()


GPKG_CONTENTS = """
    CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL,
        identifier TEXT, srs_id INTEGER);
    INSERT INTO gpkg_contents VALUES ('XZQ', 'features', 'XZQ', 4522);
"""


SQUARE = [34600000, 3976000, 34601000, 3976000, 34601000, 3977000, 34600000, 3977000, 34600000, 3976000]


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

    # FlatGeobuf files written here, each with one defect (columns: XZQDM, XZQMC strings).
    names = [("XZQDM", STRING), ("XZQMC", STRING)]
    codes = fgb_string(0, "622923")
    out("fgb_duplicate_column.fgb", fgb([("XZQDM", STRING), ("DCMJ", DOUBLE), ("DCMJ", STRING)],
                                        [([], SQUARE, codes + struct.pack("<Hd", 1, 1.5))]))
    out("fgb_unknown_column_type.fgb", fgb([("XZQDM", STRING), ("DCMJ", 200)], [([], SQUARE, codes)]))
    out("fgb_invalid_utf8.fgb", fgb(names, [([], SQUARE, codes + fgb_string(1, "永靖县".encode("gbk")))]))
    out("fgb_ring_ends.fgb", fgb(names, [([5, 900], SQUARE, codes)]))
    out("fgb_ring_ends_backwards.fgb", fgb(names, [([5, 2], SQUARE + SQUARE, codes)]))
    out("fgb_column_index.fgb", fgb(names, [([], SQUARE, codes + fgb_string(7, "x"))]))

    gggz = read("tables/GGGZ.csv")
    lines = gggz.split(b"\n")
    out("csv_ragged.csv", b"\n".join(lines[:2] + [lines[2] + b",extra,fields"] + lines[3:]))
    out("csv_mixed_encoding.csv", b"\n".join(lines[:2] + ["6229233000001,生态保护红线,62292310001,1.00,内容".encode("utf-8")] + lines[3:]))
    out("csv_empty.csv", b"")
    out("csv_header_only.csv", lines[0] + b"\n")
    text = gggz.decode("gbk")
    out("csv_utf16.csv", text.encode("utf-16"))  # little-endian, with its byte order mark
    out("csv_utf16_no_bom.csv", text.encode("utf-16-le"))
    header = lines[0].decode()
    assert header == "ZRZYDJDYH,GGGZYSLX,GGGZFQBSM,MJ,GGGZNR"
    out("csv_duplicate_header.csv", b"\n".join([header.replace("GGGZNR", "MJ").encode()] + lines[1:]))
    out("csv_empty_header.csv", b"\n".join([header.replace("GGGZYSLX", "").encode()] + lines[1:]))
    tj = read("tables/TJ_ZRZYMJ.csv").split(b"\n")
    assert tj[0].startswith(b"DJDYLX,DJDYLXMC,SZYMJ") and tj[1].startswith(b"12,")
    out("csv_nan.csv", b"\n".join(tj[:1] + [tj[1].replace(b"1176.09", b"NaN", 1), tj[2].replace(b"441.67", b"inf", 1)] + tj[3:]))

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
    dbf = shp_part("dbf")
    assert dbf[64:69] == b"XZQMC"
    dbf[64:75] = bytes(11)  # the second field's name: empty
    out("dbf_empty_field_name.dbf", bytes(dbf))
    dbf = shp_part("dbf")
    dbf[64:75] = dbf[32:43]  # the second field named as the first
    out("dbf_duplicate_field.dbf", bytes(dbf))
    # GeoPackage: not SQLite at all, and a SQLite file cut in half.
    out("gpkg_garbage.gpkg", random.Random(7).randbytes(4096))
    gpkg_path = os.path.join(HERE, "..", "..", "fixtures", "622923_永靖县_defective_gpkg", "vector", "622923_永靖县.gpkg")
    with open(gpkg_path, "rb") as f:
        gpkg = f.read()
    out("gpkg_truncated.gpkg", gpkg[: len(gpkg) // 2])
    # A layer that is a view: a query SQLite runs when it is read (this one ends after 3 rows).
    out("gpkg_view.gpkg", gpkg_of(GPKG_CONTENTS + """
        CREATE VIEW XZQ AS WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3)
        SELECT n AS fid, NULL AS geom, '622923' AS XZQDM FROM r;
    """))
    # A layer that is a virtual table: rows made by a module (an FTS5 table can read them from
    # any table or view).
    out("gpkg_virtual_table.gpkg", gpkg_of(GPKG_CONTENTS + """
        CREATE VIRTUAL TABLE XZQ USING rtree(fid, minx, maxx, miny, maxy);
    """))
    # gpkg_contents itself a view.
    out("gpkg_contents_view.gpkg", gpkg_of("""
        CREATE VIEW gpkg_contents AS SELECT 'XZQ' AS table_name, 'features' AS data_type;
        CREATE TABLE XZQ (fid INTEGER PRIMARY KEY, geom BLOB, XZQDM TEXT);
    """))
    # File Geodatabase: the handmade geodatabase of tests/data/filegdb (scripts/gen_filegdb_cases.sh)
    # zipped as vector/CASES.gdb.zip, with one of its files broken; only the catalog and the DY and
    # TJ tables, which are what nrqc reads.
    gdb = os.path.join(HERE, "..", "data", "filegdb", "cases.gdb")
    dy = "a00000009.gdbtable"

    def gdb_zip(name, edit=None, leave_out=()):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for f in sorted(os.listdir(gdb)):
                if f in leave_out or not f.endswith((".gdbtable", ".gdbtablx")):
                    continue
                if not f.startswith(("a00000001.", "a00000009.", "a0000000a.")):
                    continue
                with open(os.path.join(gdb, f), "rb") as fh:
                    data = bytearray(fh.read())
                if edit and f == dy:
                    data = edit(data)
                z.writestr(zipfile.ZipInfo("CASES.gdb/" + f, (2021, 10, 31, 0, 0, 0)), bytes(data))
        out(name, buf.getvalue())

    # The DY table cut short: its last rows lie past its end.
    gdb_zip("gdb_truncated.gdb.zip", lambda d: d[:-30])
    # The first row's length (at the offset the .gdbtablx gives it) set to 2^31 - 1.
    with open(os.path.join(gdb, "a00000009.gdbtablx"), "rb") as f:
        first_row = int.from_bytes(f.read()[16:21], "little")

    def row_length(d):
        struct.pack_into("<I", d, first_row, 0x7FFFFFFF)
        return d

    gdb_zip("gdb_row_length.gdb.zip", row_length)

    # The field count (after the description's length, version and 4 flag bytes) 65535.
    def field_count(d):
        desc = struct.unpack_from("<Q", d, 32)[0]
        struct.pack_into("<H", d, desc + 12, 0xFFFF)
        return d

    gdb_zip("gdb_field_count.gdb.zip", field_count)
    # No catalog: not a geodatabase.
    gdb_zip("gdb_no_catalog.gdb.zip", leave_out=("a00000001.gdbtable", "a00000001.gdbtablx"))


if __name__ == "__main__":
    main()
