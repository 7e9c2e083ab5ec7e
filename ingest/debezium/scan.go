package debezium

// A small validating JSON scanner over one record. It never copies: values come back as
// sub-slices of the input, which is what lets Decode build an event with a handful of
// allocations. Anything encoding/json would reject is rejected here too.

import "encoding/binary"

const maxDepth = 10000 // nesting limit, as encoding/json's

// Reasons for malformed input, used as DecodeError.Reason.
const (
	reasonTruncated = "truncated json"
	reasonSyntax    = "invalid json"
	reasonDepth     = "json nested too deep"
)

type scanner struct {
	data   []byte
	pos    int
	fields *[]Field // where imageObject appends; the Decoder's buffer
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (s *scanner) skipSpace() {
	for s.pos < len(s.data) && isSpace(s.data[s.pos]) {
		s.pos++
	}
}

// bad is the reason for an unexpected byte at s.pos: the input ended or was malformed.
func (s *scanner) bad() string {
	if s.pos >= len(s.data) {
		return reasonTruncated
	}
	return reasonSyntax
}

// value skips one JSON value and returns its bytes.
func (s *scanner) value(depth int) ([]byte, string) {
	s.skipSpace()
	if s.pos >= len(s.data) {
		return nil, reasonTruncated
	}
	start := s.pos
	var r string
	switch c := s.data[s.pos]; {
	case c == '{':
		r = s.object(depth + 1)
	case c == '[':
		r = s.array(depth + 1)
	case c == '"':
		_, r = s.str()
	case c == '-' || '0' <= c && c <= '9':
		r = s.number()
	case c == 't':
		r = s.literal("true")
	case c == 'f':
		r = s.literal("false")
	case c == 'n':
		r = s.literal("null")
	default:
		r = reasonSyntax
	}
	if r != "" {
		return nil, r
	}
	return s.data[start:s.pos:s.pos], ""
}

func (s *scanner) literal(lit string) string {
	rest := s.data[s.pos:]
	for i := 0; i < len(lit); i++ {
		if i >= len(rest) {
			s.pos += i
			return reasonTruncated
		}
		if rest[i] != lit[i] {
			s.pos += i
			return reasonSyntax
		}
	}
	s.pos += len(lit)
	return ""
}

// number skips a number of the JSON grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) number() string {
	d := s.data
	if d[s.pos] == '-' {
		s.pos++
	}
	switch {
	case s.pos >= len(d):
		return reasonTruncated
	case d[s.pos] == '0':
		s.pos++
	case '1' <= d[s.pos] && d[s.pos] <= '9':
		s.digits()
	default:
		return reasonSyntax
	}
	if s.pos < len(d) && d[s.pos] == '.' {
		s.pos++
		if r := s.someDigits(); r != "" {
			return r
		}
	}
	if s.pos < len(d) && (d[s.pos] == 'e' || d[s.pos] == 'E') {
		s.pos++
		if s.pos < len(d) && (d[s.pos] == '+' || d[s.pos] == '-') {
			s.pos++
		}
		if r := s.someDigits(); r != "" {
			return r
		}
	}
	return ""
}

func (s *scanner) digits() {
	for s.pos < len(s.data) && '0' <= s.data[s.pos] && s.data[s.pos] <= '9' {
		s.pos++
	}
}

func (s *scanner) someDigits() string {
	start := s.pos
	s.digits()
	if s.pos == start {
		return s.bad()
	}
	return ""
}

// str skips a string starting at its opening quote; esc reports backslash escapes.
func (s *scanner) str() (esc bool, reason string) {
	d := s.data
	s.pos++ // opening quote
	for s.pos < len(d) {
		// Eight plain bytes at a time: strings are most of a record's bytes.
		for s.pos+8 <= len(d) && !hasSpecial(binary.LittleEndian.Uint64(d[s.pos:])) {
			s.pos += 8
		}
		if s.pos >= len(d) {
			break
		}
		c := d[s.pos]
		if !special[c] {
			s.pos++
			continue
		}
		switch {
		case c == '"':
			s.pos++
			return esc, ""
		case c < 0x20:
			return esc, reasonSyntax
		case c == '\\':
			esc = true
			s.pos++
			if s.pos >= len(d) {
				return esc, reasonTruncated
			}
			switch d[s.pos] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.pos++
			case 'u':
				s.pos++
				for i := 0; i < 4; i++ {
					if s.pos >= len(d) {
						return esc, reasonTruncated
					}
					if !isHex(d[s.pos]) {
						return esc, reasonSyntax
					}
					s.pos++
				}
			default:
				return esc, reasonSyntax
			}
		default:
			s.pos++
		}
	}
	return esc, reasonTruncated
}

// special marks the bytes that end the plain run of a string: quote, backslash, controls.
var special = func() (t [256]bool) {
	for c := 0; c < 0x20; c++ {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

// hasSpecial reports whether any of the eight bytes in w is special: a quote, a backslash
// or a control character (the classic SWAR zero-byte and less-than tests, exact as booleans).
func hasSpecial(w uint64) bool {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	q, b := w^(lo*'"'), w^(lo*'\\')
	return ((w-lo*0x20)&^w|(q-lo)&^q|(b-lo)&^b)&hi != 0
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func (s *scanner) object(depth int) string {
	if depth > maxDepth {
		return reasonDepth
	}
	it := s.members()
	for {
		_, _, ok, r := it.next()
		if r != "" {
			return r
		}
		if !ok {
			return ""
		}
		if _, r := s.value(depth); r != "" {
			return r
		}
	}
}

func (s *scanner) array(depth int) string {
	if depth > maxDepth {
		return reasonDepth
	}
	s.pos++ // '['
	s.skipSpace()
	if s.pos < len(s.data) && s.data[s.pos] == ']' {
		s.pos++
		return ""
	}
	for {
		if _, r := s.value(depth); r != "" {
			return r
		}
		s.skipSpace()
		if s.pos >= len(s.data) {
			return reasonTruncated
		}
		switch s.data[s.pos] {
		case ',':
			s.pos++
		case ']':
			s.pos++
			return ""
		default:
			return reasonSyntax
		}
	}
}

// memberIter walks the members of an object. The caller must consume each member's
// value (scanner.value or a nested walk) before calling next again.
type memberIter struct {
	s     *scanner
	first bool
}

// members starts walking the object whose '{' is at s.pos.
func (s *scanner) members() memberIter {
	s.pos++ // '{'
	return memberIter{s: s, first: true}
}

// next returns the next member's key (raw, without quotes; esc when it holds escapes)
// with the scanner on its value, or ok=false after the closing brace.
func (it *memberIter) next() (key []byte, esc, ok bool, reason string) {
	s := it.s
	s.skipSpace()
	if s.pos >= len(s.data) {
		return nil, false, false, reasonTruncated
	}
	c := s.data[s.pos]
	if c == '}' { // an empty object, or the end after a member
		s.pos++
		return nil, false, false, ""
	}
	if !it.first {
		if c != ',' {
			return nil, false, false, reasonSyntax
		}
		s.pos++
		s.skipSpace()
		if s.pos >= len(s.data) {
			return nil, false, false, reasonTruncated
		}
	}
	it.first = false
	if s.data[s.pos] != '"' {
		return nil, false, false, reasonSyntax
	}
	start := s.pos + 1
	esc, r := s.str()
	if r != "" {
		return nil, false, false, r
	}
	key = s.data[start : s.pos-1]
	s.skipSpace()
	if s.pos >= len(s.data) {
		return nil, false, false, reasonTruncated
	}
	if s.data[s.pos] != ':' {
		return nil, false, false, reasonSyntax
	}
	s.pos++
	return key, esc, true, ""
}
