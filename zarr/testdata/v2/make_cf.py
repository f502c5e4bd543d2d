"""Write cf.zarr and cf_expected.json: the CF / Dataset oracle of gohamt's
zarr package (Dataset, ReadDecoded, Sel, Isel) and of `gohamt read --sel
--decode`.

Run from this folder: /usr/bin/python3 make_cf.py
(Debian's python3-xarray 2023.01, python3-zarr 2.13, python3-cftime 1.6,
python3-pandas, python3-numpy).

xarray writes the dataset (Zarr v2, consolidated) with:
  * t2m    packed int16, scale_factor 0.01, add_offset 273.15, _FillValue
           -32768 (in .zarray's fill_value, as xarray writes it), NaNs;
  * sst    float32 with xarray's NaN _FillValue and NaNs;
  * half   packed int16 with scale_factor only (no add_offset);
  * obs    int16 with _FillValue -1 and missing_value [-2, -3] (a list);
  * u8     int8 with _Unsigned "true" and _FillValue -1 (255 unsigned);
  * time   CF times, standard calendar ("hours since ...");
  * t365   CF times, noleap calendar, across 28 February;
  * t360   CF times, 360_day calendar, with 29 and 30 February;
  * valid  CF times with NaT;
  * lead   a timedelta coordinate (units "hours");
  * lat    a decreasing coordinate; lon an increasing one;
  * site   a string dimension coordinate; station a string non-dimension
           coordinate (the "coordinates" attribute).
zarr-python 2 then adds `native` (<M8[s], no CF attributes) beside them.

cf_expected.json holds what xarray decodes (xr.open_zarr): every variable's
dtype, dims, shape and .values (flattened; NaN/NaT as null; times as ISO
8601 text; timedeltas as nanoseconds), the coordinate and data variable
names, and the answers of .sel(method="nearest") and .sel(dim=slice(a, b))
for a set of query labels (as indexes, via an arange along the dimension),
and of a few combined selections of t2m.
"""
import json
import math
import shutil

import cftime
import numpy as np
import pandas as pd
import xarray as xr
import zarr

OUT = "cf.zarr"
shutil.rmtree(OUT, ignore_errors=True)

time = pd.date_range("2019-12-31T18:00", periods=6, freq="6h")
t365 = xr.cftime_range("2000-02-26", periods=6, freq="D", calendar="noleap")
t360 = xr.cftime_range("2000-02-28", periods=6, freq="D", calendar="360_day")
lat = np.array([60.0, 55.0, 50.0, 45.0])
lon = np.array([0.0, 2.5, 5.0, 7.5, 10.0])
site = np.array(["oslo", "bergen", "tromsø", "kiruna"], dtype=object)
station = np.array(["a", "b", "", "d,e", "f\"g"], dtype=object)
lead = pd.to_timedelta([0, 6, 12], unit="h")

t2m = 270 + np.arange(6 * 4 * 5, dtype="f8").reshape(6, 4, 5) * 0.37
t2m[1, 2, 3] = np.nan
t2m[5, 0, 0] = np.nan
sst = np.linspace(-2, 30, 20, dtype="f4").reshape(4, 5)
sst[0, 1] = np.nan
half = np.arange(20, dtype="f8").reshape(4, 5) * 0.1
half[3, 4] = np.nan
valid = time.values.copy()
valid[2] = np.datetime64("NaT")

ds = xr.Dataset(
    {
        "t2m": (("time", "lat", "lon"), t2m, {"units": "K", "long_name": "2 metre temperature"}),
        "sst": (("lat", "lon"), sst, {"units": "degC"}),
        "half": (("lat", "lon"), half),
        "obs": (("site",), np.array([7, -1, -3, -2], dtype="i2"), {"missing_value": [-2, -3]}),
        "u8": (("site",), np.array([-1, -56, 0, 100], dtype="i1"), {"_Unsigned": "true"}),
        "tas365": (("t365",), np.arange(6, dtype="f4") + 0.5),
        "tas360": (("t360",), np.arange(6, dtype="f8") * 2),
        "valid": (("time",), valid),
        "skill": (("lead", "site"), np.arange(12, dtype="f8").reshape(3, 4) / 8),
    },
    coords={
        "time": time, "t365": t365, "t360": t360, "lat": ("lat", lat, {"units": "degrees_north"}),
        "lon": lon, "site": site, "station": ("lon", station), "lead": lead,
    },
    attrs={"title": "gohamt CF fixture"},
)
ds.to_zarr(OUT, mode="w", consolidated=True, encoding={
    "t2m": {"dtype": "int16", "scale_factor": 0.01, "add_offset": 273.15, "_FillValue": -32768, "chunks": (2, 2, 3)},
    "half": {"dtype": "int16", "scale_factor": 0.1, "_FillValue": -1},
    "obs": {"_FillValue": -1},
    "u8": {"_FillValue": -1},
    "time": {"units": "hours since 2020-01-01", "calendar": "standard", "dtype": "int64"},
    "t365": {"units": "days since 2000-01-01", "calendar": "noleap", "dtype": "int32"},
    "t360": {"units": "hours since 2000-01-01 00:00:00", "calendar": "360_day", "dtype": "float64"},
    "valid": {"units": "minutes since 2019-12-31", "dtype": "float64"},
    "lead": {"units": "hours", "dtype": "int32"},
})
# A native datetime64 array, as zarr-python (not xarray) writes one.
g = zarr.open_group(OUT, mode="a")
nat = g.create_dataset("native", shape=(6,), chunks=(4,), dtype="<M8[s]", fill_value=None)
nat[:] = time.values.astype("<M8[s]")
nat.attrs["_ARRAY_DIMENSIONS"] = ["time"]
zarr.consolidate_metadata(OUT)

back = xr.open_zarr(OUT)


def values(v):
    a = v.values
    flat = a.reshape(-1)
    if a.dtype.kind == "M":
        return "time", [None if np.isnat(x) else np.datetime_as_string(x, unit="ns") for x in flat]
    if a.dtype.kind == "m":
        return "duration", [None if np.isnat(x) else int(x.astype("m8[ns]").astype("i8")) for x in flat]
    if a.dtype.kind == "O" and len(flat) and isinstance(flat[0], cftime.datetime):
        return "date", [x.isoformat() for x in flat]
    if a.dtype.kind in "OUS":
        return "string", [str(x) for x in flat]
    return "number", [None if math.isnan(x) else x for x in flat.astype("f8").tolist()]


exp = {"vars": {}, "coords": sorted(back.coords), "data_vars": sorted(back.data_vars)}
for name, v in back.variables.items():
    kind, vals = values(v)
    exp["vars"][name] = {"dtype": str(v.dtype), "dims": list(v.dims), "shape": list(v.shape),
                         "kind": kind, "values": vals,
                         "calendar": getattr(back.indexes.get(name), "calendar", None)}


def label_py(dim, label):
    """A query label as xarray takes it: numbers as floats, times as text
    (datetime64) or cftime dates (CFTimeIndex: xarray 2023.01 compares
    strings with cftime dates in .sel(method="nearest") and fails)."""
    if dim in ("lat", "lon"):
        return float(label)
    if dim in ("t365", "t360"):
        cal = {"t365": "noleap", "t360": "360_day"}[dim]
        d, _, t = label.partition("T")
        y, m, dd = map(int, d.split("-"))
        h, mi = (map(int, t.split(":")) if t else (0, 0))
        return cftime.datetime(y, m, dd, h, mi, calendar=cal)
    if dim == "lead":
        return pd.Timedelta(label)
    return label


def along(dim):
    n = back.sizes[dim]
    return xr.DataArray(np.arange(n), dims=dim, coords={dim: back[dim]})


queries = {
    "lat": ["60", "57.5", "52.5", "51", "47.6", "70", "-10"],
    "lon": ["0", "1.25", "3.74", "3.76", "8.75", "11", "-1"],
    "time": ["2019-12-31T18:00", "2020-01-01T03:00", "2020-01-01T02:59", "2020-01-01T10:00", "2019-01-01", "2021-01-01"],
    "t365": ["2000-02-28", "2000-02-28T13:00", "2000-03-01T11:00", "2000-03-01T12:00", "1999-12-31", "2000-12-31"],
    "t360": ["2000-02-30", "2000-02-30T13:00", "2000-03-01T11:59", "2000-02-29T12:00", "1999-01-01", "2001-01-01"],
}
exp["nearest"] = []
for dim, labels in queries.items():
    for label in labels:
        idx = along(dim).sel({dim: label_py(dim, label)}, method="nearest").item()
        exp["nearest"].append({"dim": dim, "label": label, "index": idx})
for label in ["oslo", "tromsø", "kiruna"]:
    exp["nearest"].append({"dim": "site", "label": label, "index": along("site").sel(site=label).item()})

ranges = [
    ("lat", "57", "46"), ("lat", "60", "50"), ("lat", "", "52"), ("lat", "55", ""),
    ("lon", "1", "7.5"), ("lon", "", "2.5"), ("lon", "5", ""),
    ("time", "2020-01-01", "2020-01-01T12:00"), ("time", "2020-01-01T01:00", ""),
    ("t365", "2000-02-27", "2000-03-01"), ("t360", "2000-02-29", "2000-03-02"),
    # site is not sorted: pandas' slice_locs runs between the two labels.
    ("site", "bergen", "kiruna"), ("site", "tromsø", ""), ("site", "", "bergen"),
]
exp["ranges"] = []
for dim, a, b in ranges:
    sl = slice(label_py(dim, a) if a else None, label_py(dim, b) if b else None)
    if dim in ("time", "t365", "t360"):
        sl = slice(a or None, b or None)  # xarray takes text in slices
    exp["ranges"].append({"dim": dim, "from": a, "to": b, "indexes": along(dim).sel({dim: sl}).values.tolist()})

# Combined selections, as `gohamt read cf.zarr VAR --sel SPEC --decode`.
sels = [
    ("t2m", {"time": "2020-01-01T04:00", "lat": "56", "lon": "6"}, {}),
    ("t2m", {"time": "2020-01-01T01:00", "lat": "52"}, {"lon": ("1", "7.5")}),
    ("t2m", {"lat": "51"}, {"time": ("2019-12-31T18:00", "2020-01-01T00:00")}),
    ("t2m", {"time": "2020-01-01T00:00", "lat": "50", "lon": "7.5"}, {}),
    ("tas360", {"t360": "2000-02-30T13:00"}, {}),
    ("skill", {"site": "tromsø"}, {}),
]
exp["sel"] = []
for var, point, rng in sels:
    r = back[var].sel({d: label_py(d, v) for d, v in point.items() if d != "site"}, method="nearest")
    if "site" in point:  # strings select exactly (no method)
        r = r.sel(site=point["site"])
    if rng:
        r = r.sel({d: slice(label_py(d, a) if d in ("lat", "lon") else a, label_py(d, b) if d in ("lat", "lon") else b)
                   for d, (a, b) in rng.items()})
    spec = ",".join([f"{d}={v}" for d, v in point.items()] + [f"{d}={a}:{b}" for d, (a, b) in rng.items()])
    kind, vals = values(r)
    exp["sel"].append({"var": var, "spec": spec, "dims": list(r.dims), "shape": list(r.shape), "values": vals})

with open("cf_expected.json", "w") as f:
    json.dump(exp, f, indent=0, sort_keys=True, ensure_ascii=False)
    f.write("\n")
print("wrote", OUT, "and cf_expected.json")
