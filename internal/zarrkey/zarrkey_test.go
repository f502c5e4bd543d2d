package zarrkey

import "testing"

func TestIsMetadata(t *testing.T) {
	for key, want := range map[string]bool{
		"zarr.json": true, "a/b/zarr.json": true, ".zarray": true, "a/.zarray": true,
		"a/.zgroup": true, "a/.zattrs": true, ".zmetadata": true, "g/.zmetadata": true,
		"": false, "a": false, "a/c/0/1": false, "xzarr.json": false, "a/xzarr.json": false,
		"a/b.zarray": false, "zarr.json/c/0": false, "a/zarr.json.bak": false,
	} {
		if got := IsMetadata(key); got != want {
			t.Errorf("IsMetadata(%q) = %v, want %v", key, got, want)
		}
	}
}
