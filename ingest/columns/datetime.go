package columns

import (
	"fmt"
	"time"
)

// ClickHouse DateTime is a UInt32 of seconds, Date a UInt16 of days, both from the epoch.
const (
	maxDateTime = 1<<32 - 1
	maxDate     = 1<<16 - 1
)

var epoch = time.Unix(0, 0).UTC()

// dateTimeDecoder reads ISO-8601 strings (ZonedTimestamp, isostring mode) and epoch
// integers in unit (MicroTimestamp, Timestamp, NanoTimestamp).
func dateTimeDecoder(unit TimeUnit) decoder[time.Time] {
	const kind = "datetime"
	return decoder[time.Time]{kind: kind, zero: epoch, decode: func(raw []byte) (time.Time, error) {
		var t time.Time
		if raw[0] == '"' {
			c, ok := stringContent(raw)
			if !ok {
				return time.Time{}, fmt.Errorf("%s: %s is not a timestamp", kind, show(raw))
			}
			if t, ok = parseTimestamp(c); !ok {
				return time.Time{}, fmt.Errorf("%s: %s is not an ISO-8601 timestamp", kind, show(raw))
			}
		} else {
			neg, mag, overflow, err := readInteger(kind, raw)
			if err != nil {
				return time.Time{}, fmt.Errorf("%s: %s is neither a timestamp nor an epoch integer", kind, show(raw))
			}
			if overflow || mag > 1<<63-1 {
				return time.Time{}, dateTimeRange(raw)
			}
			v := int64(mag)
			if neg {
				v = -v
			}
			switch unit {
			case Micros:
				t = time.UnixMicro(v)
			case Millis:
				t = time.UnixMilli(v)
			case Nanos:
				t = time.Unix(0, v)
			case Seconds:
				t = time.Unix(v, 0)
			}
		}
		if s := t.Unix(); s < 0 || s > maxDateTime {
			return time.Time{}, dateTimeRange(raw)
		}
		return t.UTC(), nil
	}}
}

func dateTimeRange(raw []byte) error {
	return fmt.Errorf("datetime: %s out of range (1970-01-01 00:00:00 to 2106-02-07 06:28:15 UTC)", show(raw))
}

// dateDecoder reads days since the epoch (io.debezium.time.Date, every time.precision.mode)
// and "YYYY-MM-DD".
func dateDecoder() decoder[time.Time] {
	const kind = "date"
	return decoder[time.Time]{kind: kind, zero: epoch, decode: func(raw []byte) (time.Time, error) {
		var days int64
		if raw[0] == '"' {
			c, ok := stringContent(raw)
			if !ok || len(c) != 10 || c[4] != '-' || c[7] != '-' {
				return time.Time{}, fmt.Errorf("%s: %s is not a date (YYYY-MM-DD)", kind, show(raw))
			}
			y, ok1 := atoi(c[0:4])
			m, ok2 := atoi(c[5:7])
			d, ok3 := atoi(c[8:10])
			if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 || d > daysIn(time.Month(m), y) {
				return time.Time{}, fmt.Errorf("%s: %s is not a date (YYYY-MM-DD)", kind, show(raw))
			}
			days = time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC).Unix() / 86400
			if y < 1970 {
				days = -1
			}
		} else {
			neg, mag, overflow, err := readInteger(kind, raw)
			if err != nil {
				return time.Time{}, fmt.Errorf("%s: %s is neither a date nor a day number", kind, show(raw))
			}
			if overflow || neg && mag != 0 || mag > maxDate {
				days = -1
			} else {
				days = int64(mag)
			}
		}
		if days < 0 || days > maxDate {
			return time.Time{}, fmt.Errorf("%s: %s out of range (1970-01-01 to 2149-06-06)", kind, show(raw))
		}
		return time.Unix(days*86400, 0).UTC(), nil
	}}
}

// parseTimestamp reads YYYY-MM-DD(T| )hh:mm[:ss[.fraction]][Z|±hh[:mm[:ss]]|±hhmm]; a
// fraction has 1 to 9 digits; no zone means UTC.
func parseTimestamp(s []byte) (time.Time, bool) {
	if len(s) < 16 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':' {
		return time.Time{}, false
	}
	year, ok1 := atoi(s[0:4])
	month, ok2 := atoi(s[5:7])
	day, ok3 := atoi(s[8:10])
	hour, ok4 := atoi(s[11:13])
	minute, ok5 := atoi(s[14:16])
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 {
		return time.Time{}, false
	}
	rest := s[16:]
	sec, nsec := 0, 0
	if len(rest) > 0 && rest[0] == ':' {
		if len(rest) < 3 {
			return time.Time{}, false
		}
		var ok bool
		if sec, ok = atoi(rest[1:3]); !ok {
			return time.Time{}, false
		}
		rest = rest[3:]
		if len(rest) > 0 && (rest[0] == '.' || rest[0] == ',') {
			i := 1
			scale := 100000000
			for i < len(rest) && isDigit(rest[i]) {
				if i > 9 {
					return time.Time{}, false
				}
				nsec += int(rest[i]-'0') * scale
				scale /= 10
				i++
			}
			if i == 1 {
				return time.Time{}, false
			}
			rest = rest[i:]
		}
	}
	if month < 1 || month > 12 || day < 1 || day > daysIn(time.Month(month), year) ||
		hour > 23 || minute > 59 || sec > 60 {
		return time.Time{}, false
	}
	offset := 0
	switch {
	case len(rest) == 0:
	case len(rest) == 1 && (rest[0] == 'Z' || rest[0] == 'z'):
	case rest[0] == '+' || rest[0] == '-':
		o, ok := parseOffset(rest[1:])
		if !ok {
			return time.Time{}, false
		}
		if rest[0] == '-' {
			o = -o
		}
		offset = o
	default:
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	return t.Add(-time.Duration(offset) * time.Second), true
}

// parseOffset reads hh, hh:mm, hhmm or hh:mm:ss into seconds.
func parseOffset(s []byte) (int, bool) {
	var h, m, sec int
	var ok bool
	switch {
	case len(s) == 2:
		h, ok = atoi(s)
	case len(s) == 4:
		var ok2 bool
		h, ok = atoi(s[0:2])
		m, ok2 = atoi(s[2:4])
		ok = ok && ok2
	case len(s) == 5 && s[2] == ':':
		var ok2 bool
		h, ok = atoi(s[0:2])
		m, ok2 = atoi(s[3:5])
		ok = ok && ok2
	case len(s) == 8 && s[2] == ':' && s[5] == ':':
		var ok2, ok3 bool
		h, ok = atoi(s[0:2])
		m, ok2 = atoi(s[3:5])
		sec, ok3 = atoi(s[6:8])
		ok = ok && ok2 && ok3
	}
	if !ok || h > 18 || m > 59 || sec > 59 {
		return 0, false
	}
	return h*3600 + m*60 + sec, true
}

// atoi reads a fixed-width run of digits.
func atoi(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if !isDigit(c) {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, len(b) > 0
}

func daysIn(m time.Month, year int) int {
	switch m {
	case time.February:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}
