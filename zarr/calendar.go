package zarr

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Date is a date and time of day in a CF calendar: what xarray (through
// cftime) decodes times of the non-standard calendars to — noleap,
// 360_day, all_leap, julian — where 30 February or 29 February 2001 may
// be real dates that a time.Time cannot hold. The zero Date is NaT.
type Date struct {
	Year, Month, Day     int
	Hour, Minute, Second int
	Nanosecond           int
	Calendar             string // its canonical CF name: "noleap", "360_day", …
}

// IsZero tells whether d is NaT (the zero Date).
func (d Date) IsZero() bool { return d.Month == 0 }

// String is ISO 8601 without a zone, as cftime's isoformat
// ("2000-02-30T06:00:00", a fraction of a second only when there is one);
// NaT is "NaT".
func (d Date) String() string {
	if d.IsZero() {
		return "NaT"
	}
	s := fmt.Sprintf("%04d-%02d-%02dT%02d:%02d:%02d", d.Year, d.Month, d.Day, d.Hour, d.Minute, d.Second)
	if d.Nanosecond != 0 {
		s += strings.TrimRight(fmt.Sprintf(".%09d", d.Nanosecond), "0")
	}
	return s
}

// calendar counts days in one CF calendar: days gives the day number of
// a date (0 is 1970-01-01 of that calendar), date the inverse.
type calendar struct {
	name     string
	monthLen func(y, m int) int
	days     func(y, m, d int) int64
	date     func(n int64) (y, m, d int)
}

// calendars by every CF name, with their canonical name.
var calendars = map[string]*calendar{}

var cumDays = [2][13]int{
	{0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365},
	{0, 31, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335, 366},
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// fixedYear is a calendar whose years all have the same months: noleap
// (leap false), all_leap (leap true).
func fixedYear(name string, leap bool) *calendar {
	cum := cumDays[0]
	if leap {
		cum = cumDays[1]
	}
	n := int64(cum[12])
	return &calendar{name: name,
		monthLen: func(_, m int) int { return cum[m] - cum[m-1] },
		days:     func(y, m, d int) int64 { return int64(y-1970)*n + int64(cum[m-1]+d-1) },
		date: func(k int64) (int, int, int) {
			y := floorDiv(k, n)
			r := int(k - y*n)
			m := 1
			for r >= cum[m] {
				m++
			}
			return int(y) + 1970, m, r - cum[m-1] + 1
		}}
}

func gregLeap(y int) bool   { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }
func julianLeap(y int) bool { return floorDiv(int64(y), 4)*4 == int64(y) }

func monthLenOf(leap func(int) bool) func(y, m int) int {
	return func(y, m int) int {
		l := 0
		if leap(y) {
			l = 1
		}
		return cumDays[l][m] - cumDays[l][m-1]
	}
}

// Proleptic Gregorian day numbers (H. Hinnant's days_from_civil).
func gregDays(y, m, d int) int64 {
	yy := int64(y)
	if m <= 2 {
		yy--
	}
	era := floorDiv(yy, 400)
	yoe := yy - era*400
	mp := int64((m + 9) % 12)
	doy := (153*mp+2)/5 + int64(d) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

func gregDate(n int64) (int, int, int) {
	n += 719468
	era := floorDiv(n, 146097)
	doe := n - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := int(doy - (153*mp+2)/5 + 1)
	m := int(mp + 3)
	if m > 12 {
		m -= 12
	}
	y := yoe + era*400
	if m <= 2 {
		y++
	}
	return int(y), m, d
}

// Julian calendar day numbers: 4-year cycles of 1461 days, counted from
// 1 March of year 0 (so that the leap day ends a cycle).
func julianDays(y, m, d int) int64 {
	yy := int64(y)
	if m <= 2 {
		yy--
	}
	mp := int64((m + 9) % 12)
	doy := (153*mp+2)/5 + int64(d) - 1
	// 1970-01-01 Gregorian is 1969-12-19 Julian: day 719470 of this count.
	return floorDiv(yy*1461, 4) + doy - 719470
}

func julianDate(n int64) (int, int, int) {
	n += 719470
	yy := floorDiv(4*n+3, 1461)
	doy := n - floorDiv(yy*1461, 4)
	mp := (5*doy + 2) / 153
	d := int(doy - (153*mp+2)/5 + 1)
	m := int(mp + 3)
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		yy++
	}
	return int(yy), m, d
}

func init() {
	greg := &calendar{name: "proleptic_gregorian", monthLen: monthLenOf(gregLeap), days: gregDays, date: gregDate}
	jul := &calendar{name: "julian", monthLen: monthLenOf(julianLeap), days: julianDays, date: julianDate}
	noleap, allLeap := fixedYear("noleap", false), fixedYear("all_leap", true)
	d360 := &calendar{name: "360_day",
		monthLen: func(_, _ int) int { return 30 },
		days:     func(y, m, d int) int64 { return int64(y-1970)*360 + int64(30*(m-1)+d-1) },
		date: func(k int64) (int, int, int) {
			y := floorDiv(k, 360)
			r := int(k - y*360)
			return int(y) + 1970, r/30 + 1, r%30 + 1
		}}
	for name, c := range map[string]*calendar{"proleptic_gregorian": greg, "julian": jul,
		"noleap": noleap, "365_day": noleap, "all_leap": allLeap, "366_day": allLeap, "360_day": d360} {
		calendars[name] = c
	}
}

// dateFields are a parsed CF date: the fields as written and the zone
// offset in seconds east of UTC.
type dateFields struct {
	y, mo, d, h, mi, s, ns int
	zone                   int
}

// seconds is the count of seconds (and the nanoseconds past it) of f in
// calendar c since 1970-01-01T00:00:00 of that calendar, in UTC. It checks
// the date exists in c.
func (f dateFields) seconds(c *calendar) (int64, int64, error) {
	if f.mo < 1 || f.mo > 12 || f.d < 1 || f.d > c.monthLen(f.y, f.mo) {
		return 0, 0, fmt.Errorf("%04d-%02d-%02d is not a date of the %s calendar", f.y, f.mo, f.d, c.name)
	}
	if f.y < -4000 || f.y > 300000 {
		return 0, 0, fmt.Errorf("year %d is out of range", f.y)
	}
	return c.days(f.y, f.mo, f.d)*86400 + int64(f.h*3600+f.mi*60+f.s-f.zone), int64(f.ns), nil
}

// dateAt is the Date sec seconds and ns nanoseconds after 1970-01-01 of c.
func dateAt(c *calendar, sec, ns int64) Date {
	sec += floorDiv(ns, 1e9)
	ns -= floorDiv(ns, 1e9) * 1e9
	day := floorDiv(sec, 86400)
	r := int(sec - day*86400)
	y, m, d := c.date(day)
	return Date{Year: y, Month: m, Day: d, Hour: r / 3600, Minute: r / 60 % 60, Second: r % 60, Nanosecond: int(ns), Calendar: c.name}
}

// linear maps a Date to a time.Time that keeps its order and its
// distances in its own calendar (the seconds since 1970-01-01 of that
// calendar), for searching a coordinate of dates.
func (d Date) linear() (time.Time, error) {
	c := calendars[d.Calendar]
	if c == nil {
		return time.Time{}, fmt.Errorf("%w: calendar %q is not supported", ErrCF, d.Calendar)
	}
	sec, ns, err := dateFields{y: d.Year, mo: d.Month, d: d.Day, h: d.Hour, mi: d.Minute, s: d.Second, ns: d.Nanosecond}.seconds(c)
	if err != nil {
		return time.Time{}, err
	}
	return time.Unix(sec, ns).UTC(), nil
}

// ParseDate parses an ISO 8601 date ("2000-02-30", "2000-02-30T06:00",
// with an optional zone) as a date of calendar (a CF name). A date the
// calendar does not have ("2001-02-29" in noleap) is an error.
func ParseDate(s, cal string) (Date, error) {
	c := calendars[strings.ToLower(strings.TrimSpace(cal))]
	if c == nil {
		return Date{}, fmt.Errorf("%w: calendar %q is not one of %s", ErrCF, cal, dateCalendars)
	}
	f, err := parseCFFields(strings.TrimSpace(s))
	if err != nil {
		return Date{}, err
	}
	sec, ns, err := f.seconds(c)
	if err != nil {
		return Date{}, err
	}
	return dateAt(c, sec, ns), nil
}

const dateCalendars = "noleap, 365_day, all_leap, 366_day, 360_day, julian, proleptic_gregorian"

// offset turns v units into whole seconds and nanoseconds, exactly for
// integral v; NaN or a value beyond maxSeconds is an error.
func (u *TimeUnits) offset(v float64) (sec, ns int64, err error) {
	switch {
	case u.seconds > 0 && v == math.Trunc(v) && math.Abs(v) < maxSeconds/float64(u.seconds):
		return int64(v) * u.seconds, 0, nil
	case u.perSec > 0 && v == math.Trunc(v) && math.Abs(v) < 1<<53:
		n := int64(v)
		sec, ns = floorDiv(n, u.perSec), n-floorDiv(n, u.perSec)*u.perSec
		return sec, ns * (1e9 / u.perSec), nil
	}
	s := v * float64(u.seconds)
	if u.perSec > 0 {
		s = v / float64(u.perSec)
	}
	if math.IsNaN(s) || math.IsInf(s, 0) || math.Abs(s) >= maxSeconds {
		return 0, 0, fmt.Errorf("%w: %v %s since %s is out of range", ErrCF, v, u.Unit, u.RefDate)
	}
	f := math.Floor(s)
	sec, ns = int64(f), int64(math.Round((s-f)*1e9))
	if ns >= 1e9 {
		sec, ns = sec+1, ns-1e9
	}
	return sec, ns, nil
}

// Date decodes one value in any supported calendar (NaN is NaT, the zero
// Date). Standard-calendar units decode with Time instead.
func (u *TimeUnits) Date(v float64) (Date, error) {
	if math.IsNaN(v) {
		return Date{}, nil
	}
	if u.cal == nil {
		return Date{}, fmt.Errorf("%w: calendar %s decodes to time.Time (use Time)", ErrCF, u.Calendar)
	}
	sec, ns, err := u.offset(v)
	if err != nil {
		return Date{}, err
	}
	return dateAt(u.cal, u.refSec+sec, u.refNs+ns), nil
}

// Dates decodes values with Date.
func (u *TimeUnits) Dates(values []float64) ([]Date, error) {
	out := make([]Date, len(values))
	for i, v := range values {
		d, err := u.Date(v)
		if err != nil {
			return nil, err
		}
		out[i] = d
	}
	return out, nil
}
