#!/usr/bin/env python3
"""Zips a fixture package the way a Chinese Windows archiver does: one top-level folder, entry
names in GBK without the UTF-8 flag. Deterministic (fixed times, sorted entries), so the committed
zip only changes when the package does.

    python3 scripts/zip_fixture.py fixtures/622923_永靖县_defective   # -> fixtures/622923_永靖县_defective.zip
"""
import os
import sys
import zipfile


class GbkInfo(zipfile.ZipInfo):
    def _encodeFilenameFlags(self):
        # GBK bytes and no UTF-8 flag (bit 11), as WinRAR and 360压缩 write on a zh-CN system.
        return self.filename.encode("gbk"), self.flag_bits & ~0x800


def main(package):
    package = package.rstrip("/")
    top = os.path.basename(package)
    paths = []
    for d, _, files in os.walk(package):
        paths.extend(os.path.join(d, f) for f in files)
    with zipfile.ZipFile(package + ".zip", "w") as z:
        for path in sorted(paths):
            name = top + "/" + os.path.relpath(path, package).replace(os.sep, "/")
            info = GbkInfo(name, date_time=(2021, 10, 31, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            with open(path, "rb") as f:
                z.writestr(info, f.read(), compresslevel=6)


if __name__ == "__main__":
    main(sys.argv[1])
