"""Print every array of a Zarr v2 store as JSON, read by zarr-python 2.

Usage: /usr/bin/python3 dump.py STORE_DIR

Output: {"path": {"dtype": numpy str, "shape": [...], "order": "C"|"F",
"values": [C-order flat values]}}. Values: numbers (floats NaN/±inf as
"NaN", "Infinity", "-Infinity"), complex as [re, im], bool as bool, str,
bytes/void as base64, datetime64/timedelta64 as their int64.
Used by make_fixtures.py (expected values) and by the Go test
TestV2OracleReadsWhatWeWrite (zarr-python 2 reading what gohamt wrote).
"""
import base64
import json
import math
import sys

import numpy as np
import zarr


def enc(v, dt):
    if dt.kind in "Mm":
        return int(np.asarray(v).view("i8"))
    if dt.kind == "f":
        f = float(v)
        if math.isnan(f):
            return "NaN"
        if math.isinf(f):
            return "Infinity" if f > 0 else "-Infinity"
        return f
    if dt.kind == "c":
        return [enc(v.real, np.dtype("f8")), enc(v.imag, np.dtype("f8"))]
    if dt.kind == "b":
        return bool(v)
    if dt.kind in "iu":
        return int(v)
    if dt.kind == "U":
        return str(v)
    if dt.kind in "SV":
        return base64.b64encode(bytes(v)).decode()
    if dt.kind == "O":
        if v is None:
            return None
        if isinstance(v, bytes):
            return base64.b64encode(v).decode()
        return str(v)
    raise TypeError(dt)


def dump(path):
    root = zarr.open_group(zarr.DirectoryStore(path), mode="r")
    out = {}

    def visit(name, node):
        if isinstance(node, zarr.Array):
            a = node[...]
            out[name] = {
                "dtype": node.dtype.str,
                "shape": list(node.shape),
                "order": node.order,
                "values": [enc(v, node.dtype) for v in np.asarray(a).reshape(-1)],
            }

    root.visititems(visit)
    return out


if __name__ == "__main__":
    json.dump(dump(sys.argv[1]), sys.stdout, indent=1, sort_keys=True)
