package sharded

import (
	"context"
	"time"

	"github.com/gohamt/gohamt/telemetry"
	"github.com/gohamt/gohamt/zarr"
)

// Get reads key's value, or a range of it. Keys outside the only top-level
// group of a grouped store are read from inside it (see the package doc).
// Each get is a gohamt.sharded_store.get span (and metrics) when telemetry
// is on, with the shard load it needed.
func (s *Store) Get(ctx context.Context, key string, r zarr.ByteRange) ([]byte, error) {
	return telemetry.TraceZarrGet(ctx, telemetry.StoreSharded, key, !r.IsAll(), zarr.ErrAbsent, func(ctx context.Context) ([]byte, error) {
		return s.get(ctx, key, r)
	})
}

// shardLoadStart is the start of a shard lookup when telemetry is on (the
// zero time otherwise).
func shardLoadStart() time.Time {
	if telemetry.Enabled() {
		return time.Now()
	}
	return time.Time{}
}

// recordShardLoad reports a shard lookup begun at start (nothing when
// telemetry was off then).
func recordShardLoad(ctx context.Context, start time.Time, idx int, hit bool, entries int) {
	if !start.IsZero() {
		telemetry.RecordShardLoad(ctx, idx, hit, time.Since(start), entries)
	}
}
