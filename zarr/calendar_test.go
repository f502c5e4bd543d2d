package zarr_test

import (
	"errors"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/gohamt/gohamt/zarr"
)

// The non-standard calendars decode as cftime 1.6.2's num2date does (the
// wants are its isoformat()).
func TestDecodeDates(t *testing.T) {
	for _, tc := range []struct {
		units, calendar string
		values          []float64
		want            []string
	}{
		{"days since 2000-01-01", "noleap", []float64{0, 58, 59, 365, -1, -365, 0.25, math.NaN()},
			[]string{"2000-01-01T00:00:00", "2000-02-28T00:00:00", "2000-03-01T00:00:00", "2001-01-01T00:00:00", "1999-12-31T00:00:00", "1999-01-01T00:00:00", "2000-01-01T06:00:00", "NaT"}},
		{"days since 2000-02-28", "365_day", []float64{1, 366}, []string{"2000-03-01T00:00:00", "2001-03-01T00:00:00"}},
		{"hours since 2000-01-01", "360_day", []float64{0, 24 * 59, 24*359 + 6, -24}, []string{"2000-01-01T00:00:00", "2000-02-30T00:00:00", "2000-12-30T06:00:00", "1999-12-30T00:00:00"}},
		{"days since 2000-01-01 06:00", "all_leap", []float64{59, 366, 0.5}, []string{"2000-02-29T06:00:00", "2001-01-01T06:00:00", "2000-01-01T18:00:00"}},
		{"days since 2000-01-01", "julian", []float64{0, 59, -146100}, []string{"2000-01-01T00:00:00", "2000-02-29T00:00:00", "1600-01-01T00:00:00"}},
		{"days since 1582-10-04", "julian", []float64{1}, []string{"1582-10-05T00:00:00"}},
		{"seconds since 1999-12-31T23:00:00-01:00", "noleap", []float64{1.5}, []string{"2000-01-01T00:00:01.5"}},
	} {
		u, err := zarr.ParseTimeUnits(tc.units, tc.calendar)
		if err != nil {
			t.Fatalf("%s %s: %v", tc.units, tc.calendar, err)
		}
		if u.Standard() {
			t.Errorf("%s: Standard() for calendar %s", tc.units, tc.calendar)
		}
		ds, err := u.Dates(tc.values)
		if err != nil {
			t.Fatalf("%s %s: %v", tc.units, tc.calendar, err)
		}
		var got []string
		for _, d := range ds {
			got = append(got, d.String())
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s %s %v: %v, want %v", tc.units, tc.calendar, tc.values, got, tc.want)
		}
	}
	// Every day of 401 years (a Gregorian cycle) round-trips through the day counts of each
	// calendar, and ParseDate knows which dates each has.
	for _, cal := range []string{"noleap", "all_leap", "360_day", "julian"} {
		u, err := zarr.ParseTimeUnits("days since 1601-01-01", cal)
		if err != nil {
			t.Fatal(err)
		}
		prev := zarr.Date{}
		for n := range 401 * 366 {
			d, err := u.Date(float64(n))
			if err != nil {
				t.Fatal(err)
			}
			back, err := zarr.ParseDate(d.String(), cal)
			if err != nil || back != d {
				t.Fatalf("%s day %d: %v parses to %v, %v", cal, n, d, back, err)
			}
			if prev.Month != 0 && d.Day != prev.Day+1 && d.Day != 1 {
				t.Fatalf("%s day %d: %v after %v", cal, n, d, prev)
			}
			prev = d
		}
	}
	for day := time.Date(1601, 1, 1, 0, 0, 0, 0, time.UTC); day.Year() < 2002; day = day.AddDate(0, 0, 1) {
		text := day.Format("2006-01-02T15:04:05")
		if d, err := zarr.ParseDate(text, "proleptic_gregorian"); err != nil || d.String() != text {
			t.Fatalf("ParseDate(%s) = %v, %v", text, d, err)
		}
	}
	for _, tc := range []struct{ date, cal string }{{"2001-02-29", "noleap"}, {"2000-02-31", "360_day"}, {"1900-02-29", "proleptic_gregorian"}, {"2000-01-01", "none"}} {
		if _, err := zarr.ParseDate(tc.date, tc.cal); err == nil {
			t.Errorf("ParseDate(%s, %s) accepted", tc.date, tc.cal)
		}
	}
	if _, err := zarr.ParseDate("1900-02-29", "julian"); err != nil {
		t.Errorf("1900-02-29 is a Julian date: %v", err)
	}
	if _, err := zarr.DecodeTime([]float64{0}, "days since 2000-01-01", "noleap"); !errors.Is(err, zarr.ErrCF) {
		t.Errorf("DecodeTime in noleap: %v, want ErrCF (dates are Date)", err)
	}
}

// _Unsigned: int8 -1 is 255, and _FillValue -1 is cast with it (xarray's
// UnsignedIntegerCoder) while missing_value is not.
func TestCFUnsigned(t *testing.T) {
	cf, err := zarr.ParseCF(map[string]any{"_Unsigned": "true", "_FillValue": -1, "missing_value": -2, "scale_factor": 2}, zarr.Int8)
	if err != nil {
		t.Fatal(err)
	}
	for raw, want := range map[float64]float64{-1: math.NaN(), -56: 400, 0: 0, 100: 200, -2: 508} {
		if got := cf.Value(raw); got != want && !(math.IsNaN(got) && math.IsNaN(want)) {
			t.Errorf("Value(%v) = %v, want %v", raw, got, want)
		}
	}
	cf, err = zarr.ParseCF(map[string]any{"_Unsigned": "false", "_FillValue": 65535}, zarr.Uint16)
	if err != nil {
		t.Fatal(err)
	}
	if got := cf.Value(65535); !math.IsNaN(got) {
		t.Errorf("Value(65535) = %v, want NaN (65535 is -1 signed, as is the fill)", got)
	}
	if got := cf.Value(65534); got != -2 {
		t.Errorf("Value(65534) = %v, want -2", got)
	}
}
