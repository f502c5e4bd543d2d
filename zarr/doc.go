// Package zarr reads and writes Zarr v3 hierarchies (design document below).
package zarr
