#!/usr/bin/env python3
# Adds the String field FIELD with the alias ALIAS to LAYER of the File Geodatabase GDB, through
# GDAL's C API (libgdal, by ctypes): ogr2ogr 3.6 has no source format that gives a field an alias
# (an OGR "alternative name"), and the OpenFileGDB driver writes it when a field is created.
# Usage: scripts/gdal_field_alias.py GDB LAYER FIELD ALIAS
import ctypes, sys
g = ctypes.CDLL("libgdal.so.32")
g.GDALAllRegister()
g.GDALOpenEx.restype = ctypes.c_void_p
g.GDALOpenEx.argtypes = [ctypes.c_char_p, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
g.GDALDatasetGetLayerByName.restype = ctypes.c_void_p
g.GDALDatasetGetLayerByName.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
g.OGR_Fld_Create.restype = ctypes.c_void_p
g.OGR_Fld_Create.argtypes = [ctypes.c_char_p, ctypes.c_int]
g.OGR_Fld_SetAlternativeName.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
g.OGR_L_CreateField.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int]
g.GDALClose.argtypes = [ctypes.c_void_p]
path, layer, field, alias = [a.encode() for a in sys.argv[1:5]]
ds = g.GDALOpenEx(path, 0x04 | 0x01, None, None, None)
assert ds
lyr = g.GDALDatasetGetLayerByName(ds, layer)
assert lyr
f = g.OGR_Fld_Create(field, 4)  # OFTString
g.OGR_Fld_SetAlternativeName(f, alias)
assert g.OGR_L_CreateField(lyr, f, 1) == 0
g.GDALClose(ds)
