"""Write the Zarr v2 fixtures of gohamt's zarr package with zarr-python 2.

Run from this folder: /usr/bin/python3 make_fixtures.py
(Debian's python3-zarr 2.13, python3-numcodecs 0.11, python3-numpy).

It writes fixtures.zarr (one group, consolidated, one small array per
dtype / compressor / filter / order / separator / fill spelling) and
expected.json (every array read back by zarr-python 2, as dump.py prints
it). TestV2Fixtures reads every array with gohamt and compares.
"""
import json
import math
import os
import shutil

import numcodecs
import numpy as np
import zarr

import dump

OUT = "fixtures.zarr"
shutil.rmtree(OUT, ignore_errors=True)
store = zarr.DirectoryStore(OUT)
root = zarr.group(store=store)
root.attrs["title"] = "gohamt v2 fixtures"

SHAPE, CHUNKS = (5, 7), (2, 3)


def arr(name, data, **kw):
    kw.setdefault("chunks", CHUNKS if np.ndim(data) == 2 else None)
    a = root.create_dataset(name, data=data, **kw)
    return a


rng = np.random.default_rng(22)
ints = np.arange(35).reshape(SHAPE)
flt = (np.arange(35).reshape(SHAPE) * 0.37 - 3).astype("f8")

# every numeric dtype, little endian, plus big endian ones
for dt in ["|i1", "<i2", "<i4", "<i8", "|u1", "<u2", "<u4", "<u8", "<f2", "<f4", "<f8", ">i4", ">f8", ">u2"]:
    arr("dtype_" + dt.replace("<", "le_").replace(">", "be_").replace("|", ""), (ints - (10 if dt[1] in "if" else 0)).astype(dt))
arr("dtype_c8", (flt + 1j * flt[::-1]).astype("<c8"))
arr("dtype_c16", (flt - 2j * flt).astype("<c16"))
arr("dtype_b1", ints % 3 == 0)
t0 = np.datetime64("2020-01-01T00:00:00", "ns")
arr("dtype_M8ns", (t0 + np.arange(35).reshape(SHAPE) * np.timedelta64(3600, "s")).astype("<M8[ns]"))
arr("dtype_M8s", (np.datetime64("1969-12-31T23:59:50", "s") + np.arange(35).reshape(SHAPE)).astype("<M8[s]"))
arr("dtype_M8D", (np.datetime64("2000-02-28", "D") + np.arange(7)).astype("<M8[D]"))
arr("dtype_m8s", (np.arange(35).reshape(SHAPE) - 5).astype("<m8[s]"))
nat = np.array(["2021-06-01T12:00", "NaT", "1900-01-01T00:00"], dtype="<M8[m]")
arr("dtype_M8m_nat", nat)
words = np.array([["α", "bé", "", "ddd", "e"] * 7][0][:35], dtype="<U3").reshape(SHAPE)
arr("dtype_U3", words)
arr("dtype_S4", np.array([b"ab", b"", b"abcd", b"\x00x", b"z"] * 7, dtype="|S4").reshape(SHAPE))
arr("dtype_V3", np.array([b"\x01\x02\x03", b"\x00\x00\x00"] * 3, dtype="|V3"), chunks=(4,))
strs = np.array(["", "hello", "Grüße", "日本", "x" * 40, "a\x00b", "z"] * 5, dtype=object).reshape(SHAPE)
arr("obj_vlen_utf8", strs, dtype=object, object_codec=numcodecs.VLenUTF8())
arr("obj_vlen_utf8_F_zstd", strs, dtype=object, object_codec=numcodecs.VLenUTF8(), order="F", compressor=numcodecs.Zstd(3))
byts = np.array([b"", b"\x00\xff", b"bytes", b"\x01" * 9, b"q"] * 7, dtype=object).reshape(SHAPE)
arr("obj_vlen_bytes", byts, dtype=object, object_codec=numcodecs.VLenBytes())

# compressors
for cname in ["lz4", "lz4hc", "blosclz", "zlib", "zstd"]:
    for sh in [0, 1, 2, -1]:
        arr(f"blosc_{cname}_{sh}".replace("-1", "auto"), flt.astype("<f4"), compressor=numcodecs.Blosc(cname=cname, clevel=5, shuffle=sh))
arr("blosc_u1_auto", ints.astype("|u1"), compressor=numcodecs.Blosc(cname="zstd", shuffle=-1))
arr("blosc_blocksize", np.arange(4000, dtype="<i4"), chunks=(1500,), compressor=numcodecs.Blosc(cname="lz4", blocksize=256))
arr("zstd", flt, compressor=numcodecs.Zstd(level=1))
arr("gzip", flt, compressor=numcodecs.GZip(level=6))
arr("zlib", flt, compressor=numcodecs.Zlib(level=1))
arr("lz4", flt, compressor=numcodecs.LZ4(acceleration=1))
arr("lz4_big", np.arange(5000, dtype="<i8"), chunks=(3000,), compressor=numcodecs.LZ4(acceleration=3))
arr("bz2", flt, compressor=numcodecs.BZ2(level=9))
arr("none", ints.astype("<i4"), compressor=None)

# filters
arr("delta_i4", (ints * 7).astype("<i4"), filters=[numcodecs.Delta(dtype="<i4")], compressor=numcodecs.Zstd(1))
arr("delta_astype", (ints * 3).astype("<i8"), filters=[numcodecs.Delta(dtype="<i8", astype="<i2")])
arr("delta_f8", flt, filters=[numcodecs.Delta(dtype="<f8")])
arr("fixedscaleoffset", flt, filters=[numcodecs.FixedScaleOffset(offset=-3, scale=10, dtype="<f8", astype="<i2")], compressor=numcodecs.Blosc("lz4"))
arr("fixedscaleoffset_f4_u1", flt.astype("<f4") + 4, filters=[numcodecs.FixedScaleOffset(offset=0, scale=5, dtype="<f4", astype="|u1")])
arr("quantize", flt * 1.2345, filters=[numcodecs.Quantize(digits=2, dtype="<f8")])
arr("quantize_f4", (flt * 1.2345).astype("<f4"), filters=[numcodecs.Quantize(digits=1, dtype="<f4", astype="<f4")])
arr("delta_then_fso", (flt * 10).astype("<f8"), filters=[numcodecs.FixedScaleOffset(offset=0, scale=1, dtype="<f8", astype="<i4"), numcodecs.Delta(dtype="<i4")])

# order, separators, shapes
arr("order_F", flt, order="F", compressor=numcodecs.Zstd(1))
arr("order_F_3d", np.arange(60, dtype="<i2").reshape(3, 4, 5), chunks=(2, 3, 2), order="F")
arr("order_F_delta", ints.astype("<i4"), order="F", filters=[numcodecs.Delta(dtype="<i4")])
arr("sep_slash", flt, dimension_separator="/")
arr("sep_slash_3d", np.arange(24, dtype="<u2").reshape(2, 3, 4), chunks=(1, 2, 3), dimension_separator="/")
arr("scalar", np.array(7.5, dtype="<f8"), chunks=())
arr("empty", np.zeros((0, 3), dtype="<i4"), chunks=(2, 2))
arr("one_d", np.arange(10, dtype="<i4"), chunks=(4,))

# fill values and never-written chunks
def filled(name, dtype, fill, part, shape=(6, 4), chunks=(2, 2), **kw):
    a = root.create_dataset(name, shape=shape, chunks=chunks, dtype=dtype, fill_value=fill, **kw)
    a[0:2, 0:3] = part
    return a

filled("fill_nan", "<f8", np.nan, 1.5)
filled("fill_inf", "<f4", np.inf, 2.5)
filled("fill_neginf", "<f8", -np.inf, 3.5)
filled("fill_42", "<i2", 42, 7)
# fill_value null: zarr-python 2 leaves never-written chunks uninitialized,
# so this one is written whole.
filled("fill_null_i4", "<i4", None, 9)[...] = 9
filled("fill_neg", "<i8", -1, 8)
filled("fill_true", "|b1", True, False)
filled("fill_U", "<U4", "nada", "si")
filled("fill_S", "|S3", b"xyz", b"a")
filled("fill_M8", "<M8[s]", np.datetime64("NaT"), np.datetime64("2022-02-02T02:02:02", "s"))
filled("fill_c8", "<c8", 1 - 2j, 3j)
filled("fill_vlen", object, "missing", "here", object_codec=numcodecs.VLenUTF8())
filled("fill_f2", "<f2", 0.5, -1.25)

sub = root.create_group("sub")
sub.attrs["kind"] = "nested"
x = sub.create_dataset("x", data=np.arange(6, dtype="<f8").reshape(2, 3), chunks=(1, 3))
x.attrs["_ARRAY_DIMENSIONS"] = ["a", "b"]
x.attrs["units"] = "m"

zarr.consolidate_metadata(store)

with open("expected.json", "w") as f:
    json.dump(dump.dump(OUT), f, indent=0, sort_keys=True)
    f.write("\n")
print("wrote", OUT, "and expected.json")

# An xarray dataset as xarray writes one (zarr v2, consolidated): packed
# int16 with scale_factor/add_offset and a _FillValue, CF times, a string
# coordinate. xarray_expected.json holds what xarray decodes.
import pandas as pd
import xarray as xr

XOUT = "xarray.zarr"
shutil.rmtree(XOUT, ignore_errors=True)
times = pd.date_range("2020-01-01", periods=4, freq="6h")
lat = np.array([60.0, 55.0, 50.0])
lon = np.array([0.0, 2.5, 5.0, 7.5, 10.0])
t2m = 270 + np.arange(60, dtype="f8").reshape(4, 3, 5) * 0.5
t2m[1, 2, 3] = np.nan
ds = xr.Dataset(
    {"t2m": (("time", "lat", "lon"), t2m, {"units": "K", "long_name": "2 metre temperature"})},
    coords={"time": times, "lat": ("lat", lat, {"units": "degrees_north"}), "lon": lon,
            "station": ("lon", np.array(["oslo", "bergen", "tromsø", "", "x"], dtype=object))},
    attrs={"title": "gohamt xarray fixture"},
)
ds.to_zarr(XOUT, mode="w", consolidated=True, encoding={
    "t2m": {"dtype": "int16", "scale_factor": 0.5, "add_offset": 270.0, "_FillValue": -32768, "chunks": (2, 2, 3)},
    "time": {"units": "hours since 2020-01-01", "calendar": "proleptic_gregorian", "dtype": "int64"},
})
back = xr.open_zarr(XOUT)
exp = {
    "t2m": [None if math.isnan(v) else v for v in back["t2m"].values.reshape(-1).tolist()],
    "time": [str(t) for t in back["time"].values.astype("datetime64[s]")],
    "lat": back["lat"].values.tolist(),
    "lon": back["lon"].values.tolist(),
    "station": back["station"].values.tolist(),
    "sel_t2m_nearest": float(back["t2m"].sel(time="2020-01-01T07:00", lat=56, lon=3, method="nearest").values),
}
with open("xarray_expected.json", "w") as f:
    json.dump(exp, f, indent=0, sort_keys=True, ensure_ascii=False)
    f.write("\n")
print("wrote", XOUT, "and xarray_expected.json")
