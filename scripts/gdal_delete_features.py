#!/usr/bin/env python3
# Deletes the features FIRST..LAST (FIDs, inclusive) of LAYER in the vector dataset DATASET through
# GDAL's C API (libgdal, by ctypes): ogrinfo 3.6 cannot delete features of a File Geodatabase
# (its OGR SQL has no DELETE), and tests/filegdb.rs needs a table with deleted rows as GDAL
# leaves them (a 0 offset in the .gdbtablx).
# Usage: scripts/gdal_delete_features.py DATASET LAYER FIRST LAST
import ctypes, sys
g = ctypes.CDLL("libgdal.so.32")
g.GDALAllRegister()
g.GDALOpenEx.restype = ctypes.c_void_p
g.GDALOpenEx.argtypes = [ctypes.c_char_p, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
g.GDALDatasetGetLayerByName.restype = ctypes.c_void_p
g.GDALDatasetGetLayerByName.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
g.OGR_L_DeleteFeature.argtypes = [ctypes.c_void_p, ctypes.c_int64]
g.GDALClose.argtypes = [ctypes.c_void_p]
path, layer, first, last = sys.argv[1].encode(), sys.argv[2].encode(), int(sys.argv[3]), int(sys.argv[4])
ds = g.GDALOpenEx(path, 0x04 | 0x01, None, None, None)
assert ds
lyr = g.GDALDatasetGetLayerByName(ds, layer)
assert lyr
for fid in range(first, last + 1):
    assert g.OGR_L_DeleteFeature(lyr, fid) == 0, fid
g.GDALClose(ds)
