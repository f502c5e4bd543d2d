// Package zarrkey holds the one rule for which Zarr store keys are metadata
// documents. It imports nothing, so that every package that needs the rule
// can have it: zarr re-exports it as zarr.IsMetadataKey, and telemetry,
// which zarr's stores import and which therefore cannot import zarr's
// store layer back, uses it directly.
package zarrkey

import "strings"

// IsMetadata reports whether key names a metadata document: a last
// segment of zarr.json (Zarr v3) or .zarray, .zgroup, .zattrs or
// .zmetadata (Zarr v2 and its consolidated metadata). Only the whole last
// segment counts: "a/zarr.json" is metadata, "a/xzarr.json" is not.
func IsMetadata(key string) bool {
	switch key[strings.LastIndexByte(key, '/')+1:] {
	case "zarr.json", ".zarray", ".zgroup", ".zattrs", ".zmetadata":
		return true
	}
	return false
}
