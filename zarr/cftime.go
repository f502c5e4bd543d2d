package zarr

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// TimeUnits are CF time units, "<unit> since <date>", with a calendar.
type TimeUnits struct {
	Unit string // as written: "days", "hours", …
	// Ref is the reference date in UTC, for the standard calendars
	// (standard, gregorian, proleptic_gregorian); zero for the others.
	Ref time.Time
	// RefDate is the reference date in the calendar (UTC).
	RefDate Date
	// Calendar is the canonical CF name: "standard" (for "", standard
	// and gregorian), "proleptic_gregorian", "noleap" (also 365_day),
	// "all_leap" (also 366_day), "360_day", "julian".
	Calendar string

	seconds int64 // seconds per unit (0 for units below a second)
	perSec  int64 // units per second (for milliseconds, …)
	// cal is set for the calendars that decode to Date (not time.Time);
	// refSec, refNs are RefDate in its seconds since 1970-01-01.
	cal           *calendar
	refSec, refNs int64
}

// Standard tells whether the calendar decodes to time.Time (Time, Times)
// rather than Date (Date, Dates): standard, gregorian, proleptic_gregorian.
func (u *TimeUnits) Standard() bool { return u.cal == nil }

// gregorianStart is the first day of the Gregorian calendar: in CF's
// standard (= gregorian) calendar earlier dates are Julian.
var gregorianStart = time.Date(1582, 10, 15, 0, 0, 0, 0, time.UTC)

var unitNames = map[string][2]int64{ // seconds per unit, units per second
	"days": {86400, 0}, "day": {86400, 0}, "d": {86400, 0},
	"hours": {3600, 0}, "hour": {3600, 0}, "hr": {3600, 0}, "hrs": {3600, 0}, "h": {3600, 0},
	"minutes": {60, 0}, "minute": {60, 0}, "min": {60, 0}, "mins": {60, 0},
	"seconds": {1, 0}, "second": {1, 0}, "sec": {1, 0}, "secs": {1, 0}, "s": {1, 0},
	"milliseconds": {0, 1e3}, "millisecond": {0, 1e3}, "msec": {0, 1e3}, "msecs": {0, 1e3}, "ms": {0, 1e3},
	"microseconds": {0, 1e6}, "microsecond": {0, 1e6}, "usec": {0, 1e6}, "usecs": {0, 1e6}, "us": {0, 1e6},
	"nanoseconds": {0, 1e9}, "nanosecond": {0, 1e9}, "nsec": {0, 1e9}, "ns": {0, 1e9},
}

// ParseTimeUnits parses CF time units ("days since 2000-01-01",
// "hours since 1900-01-01 00:00:00", "seconds since 1970-01-01T00:00:00Z",
// "minutes since 1992-10-8 15:15:42.5 -6:00") and a calendar ("" is
// standard). Units: days, hours, minutes, seconds, milliseconds,
// microseconds, nanoseconds (and their singulars and abbreviations);
// months and years are refused, since CF defines them as fixed fractions
// of a tropical year that nobody means.
//
// Calendars: standard (= gregorian) and proleptic_gregorian decode to
// time.Time (Time); noleap (= 365_day), all_leap (= 366_day), 360_day and
// julian decode to Date (Date), as xarray decodes them to cftime dates.
// Others ("none", user-defined) are refused. Go's time is proleptic
// Gregorian, which equals standard from 1582-10-15 on; standard dates
// before it are Julian (xarray then uses cftime), so a standard reference
// date or time before 1582-10-15 is refused rather than decoded wrongly.
func ParseTimeUnits(units, calName string) (*TimeUnits, error) {
	cal := strings.ToLower(strings.TrimSpace(calName))
	var dc *calendar
	switch cal {
	case "", "standard", "gregorian":
		cal = "standard"
	case "proleptic_gregorian":
	default:
		if dc = calendars[cal]; dc == nil {
			return nil, fmt.Errorf("%w: calendar %s is not supported (standard, gregorian, proleptic_gregorian, %s are)", ErrCF, calName, dateCalendars)
		}
		cal = dc.name
	}
	i := strings.LastIndex(units, " since ")
	if i < 0 {
		return nil, fmt.Errorf("%w: time units %q are not \"<unit> since <date>\"", ErrCF, units)
	}
	unit := strings.ToLower(strings.TrimSpace(units[:i]))
	u, ok := unitNames[unit]
	if !ok {
		return nil, fmt.Errorf("%w: time units %q: unit %q is not supported (days, hours, minutes, seconds, milliseconds, microseconds are)", ErrCF, units, unit)
	}
	tu := &TimeUnits{Unit: unit, Calendar: cal, seconds: u[0], perSec: u[1], cal: dc}
	refText := strings.TrimSpace(units[i+len(" since "):])
	f, err := parseCFFields(refText)
	if err != nil {
		return nil, fmt.Errorf("%w: time units %q: %v", ErrCF, units, err)
	}
	if dc != nil {
		if tu.refSec, tu.refNs, err = f.seconds(dc); err != nil {
			return nil, fmt.Errorf("%w: time units %q: %v", ErrCF, units, err)
		}
		tu.RefDate = dateAt(dc, tu.refSec, tu.refNs)
		return tu, nil
	}
	if tu.Ref, err = f.time(refText); err != nil {
		return nil, fmt.Errorf("%w: time units %q: %v", ErrCF, units, err)
	}
	tu.RefDate = dateAt(calendars["proleptic_gregorian"], tu.Ref.Unix(), int64(tu.Ref.Nanosecond()))
	tu.RefDate.Calendar = cal
	if err := tu.checkCalendar(tu.Ref); err != nil {
		return nil, err
	}
	return tu, nil
}

func (u *TimeUnits) checkCalendar(t time.Time) error {
	if u.Calendar == "standard" && t.Before(gregorianStart) {
		return fmt.Errorf("%w: %s in calendar %s is before 1582-10-15, where that calendar is Julian and this package decodes it only from 1582-10-15 on (set calendar to proleptic_gregorian or julian if that is what the data means)", ErrCF, FormatTime(t), u.Calendar)
	}
	return nil
}

// maxSeconds bounds decoded times to about ±300,000 years around the
// reference, far inside what time.Time holds.
const maxSeconds = 1e13

// Time decodes one value of a standard calendar (see Standard); NaN is
// NaT, the zero time.Time. A value is rounded to the nearest nanosecond
// (xarray truncates; they differ by at most 1 ns).
func (u *TimeUnits) Time(v float64) (time.Time, error) {
	if math.IsNaN(v) {
		return time.Time{}, nil
	}
	if u.cal != nil {
		return time.Time{}, fmt.Errorf("%w: calendar %s has dates a time.Time cannot hold; decode them with Date", ErrCF, u.Calendar)
	}
	sec, ns, err := u.offset(v)
	if err != nil {
		return time.Time{}, err
	}
	t := time.Unix(u.Ref.Unix()+sec, int64(u.Ref.Nanosecond())+ns).UTC()
	if err := u.checkCalendar(t); err != nil {
		return time.Time{}, err
	}
	return t, nil
}

// Times decodes values (NaN to NaT, the zero time.Time).
func (u *TimeUnits) Times(values []float64) ([]time.Time, error) {
	out := make([]time.Time, len(values))
	for i, v := range values {
		t, err := u.Time(v)
		if err != nil {
			return nil, err
		}
		out[i] = t
	}
	return out, nil
}

// DecodeTime decodes CF time values with units "<unit> since <date>" and
// a calendar (see ParseTimeUnits) to times in UTC; NaN is NaT, the zero
// time.Time.
func DecodeTime(values []float64, units, calendar string) ([]time.Time, error) {
	u, err := ParseTimeUnits(units, calendar)
	if err != nil {
		return nil, err
	}
	return u.Times(values)
}

// cfDate is the date of CF time units (UDUNITS' forms, which include
// ISO 8601): year-month-day with one or two digit month and day, then an
// optional time after "T" or spaces (hours:minutes, optional seconds and
// fraction), then an optional zone: Z, UTC, GMT or an offset ±h, ±hh:mm,
// ±hhmm.
var cfDate = regexp.MustCompile(`^([+-]?\d{1,4})-(\d{1,2})-(\d{1,2})(?:(?:T|\s+)(\d{1,2}):(\d{1,2})(?::(\d{1,2})(\.\d+)?)?)?\s*(Z|UTC|GMT|[+-]\d{1,2}(?::?\d{2})?)?$`)

// parseCFFields parses a date as cfDate describes.
func parseCFFields(s string) (dateFields, error) {
	m := cfDate.FindStringSubmatch(s)
	if m == nil {
		return dateFields{}, fmt.Errorf("date %q is not year-month-day[Thh:mm[:ss[.fff]]][zone]", s)
	}
	n := func(i int) int {
		x, _ := strconv.Atoi(strings.TrimPrefix(m[i], "+"))
		return x
	}
	f := dateFields{y: n(1), mo: n(2), d: n(3), h: n(4), mi: n(5), s: n(6)}
	if f.mo < 1 || f.mo > 12 || f.d < 1 || f.d > 31 || f.h > 24 || f.mi > 59 || f.s > 60 {
		return dateFields{}, fmt.Errorf("date %q is not a valid date", s)
	}
	if m[7] != "" {
		x, _ := strconv.ParseFloat("0"+m[7], 64)
		f.ns = int(math.Round(x * 1e9))
	}
	if z := m[8]; z != "" && z != "Z" && z != "UTC" && z != "GMT" {
		sign := 1
		if z[0] == '-' {
			sign = -1
		}
		z = strings.ReplaceAll(z[1:], ":", "")
		var oh, om int
		switch len(z) {
		case 1, 2:
			oh, _ = strconv.Atoi(z)
		case 3, 4:
			oh, _ = strconv.Atoi(z[:len(z)-2])
			om, _ = strconv.Atoi(z[len(z)-2:])
		}
		if oh > 23 || om > 59 {
			return dateFields{}, fmt.Errorf("date %q has a zone offset out of range", s)
		}
		f.zone = sign * (oh*3600 + om*60)
	}
	return f, nil
}

// time is f in the proleptic Gregorian calendar, in UTC.
func (f dateFields) time(s string) (time.Time, error) {
	t := time.Date(f.y, time.Month(f.mo), f.d, f.h, f.mi, f.s, f.ns, time.UTC)
	if t.Day() != f.d && f.h < 24 {
		return time.Time{}, fmt.Errorf("date %q is not a valid date", s)
	}
	return t.Add(-time.Duration(f.zone) * time.Second), nil
}

// parseCFDate parses a date as cfDate describes, into UTC.
func parseCFDate(s string) (time.Time, error) {
	f, err := parseCFFields(s)
	if err != nil {
		return time.Time{}, err
	}
	return f.time(s)
}

// ParseTime parses a time label as written to select by time: ISO 8601,
// "2020-01-03", "2020-01-03T06:00", "2020-01-03T06:00:00.5Z",
// "2020-01-03 06:00+01:00". Without a zone it is UTC, as xarray's
// times are zone-less and CF-decoded times here are UTC.
func ParseTime(s string) (time.Time, error) {
	if !regexp.MustCompile(`^[+-]?\d{4}-`).MatchString(s) {
		return time.Time{}, fmt.Errorf("%q is not an ISO 8601 date (YYYY-MM-DD[Thh:mm[:ss]])", s)
	}
	return parseCFDate(s)
}

// FormatTime writes t as ISO 8601 in UTC with the fraction of a second
// only when there is one ("2020-01-03T06:00:00Z"); NaT (the zero
// time.Time) is "NaT", as numpy prints it.
func FormatTime(t time.Time) string {
	if t.IsZero() {
		return "NaT"
	}
	return t.UTC().Format(time.RFC3339Nano)
}
