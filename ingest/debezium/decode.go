package debezium

import (
	"encoding/json"
	"strconv"
	"unsafe"

	"github.com/twmb/franz-go/pkg/kgo"
)

// TraceParentHeader is the record header carrying the W3C trace context.
const TraceParentHeader = "traceparent"

// Decoder decodes records into events whose images share one buffer, which the next
// Decode reuses: a decoder that is kept decodes without allocating. An event is valid until
// the next call on its Decoder. The zero Decoder is ready to use; it is not safe for
// concurrent use.
type Decoder struct {
	fields []Field
}

// maxKeptFields bounds the buffer a Decoder keeps between records.
const maxKeptFields = 1024

// DecodeRecord decodes a Kafka record of a Debezium topic, with TraceParent taken from its
// "traceparent" header when present.
func (d *Decoder) DecodeRecord(r *kgo.Record) (Event, error) {
	e, err := d.Decode(r.Key, r.Value)
	if err != nil {
		return Event{}, err
	}
	for i := range r.Headers {
		if r.Headers[i].Key == TraceParentHeader {
			e.TraceParent = string(r.Headers[i].Value)
		}
	}
	return e, nil
}

// Decode decodes the key and value of a Kafka record of a Debezium topic. A nil, empty or
// JSON null value is a tombstone. Errors are *DecodeError.
//
// The images of the event hold sub-slices of key and value, not copies.
func (d *Decoder) Decode(key, value []byte) (Event, error) {
	if cap(d.fields) > maxKeptFields {
		d.fields = nil // a huge record's buffer is not kept
	}
	clear(d.fields) // drop the previous record's bytes
	d.fields = d.fields[:0]
	var e Event
	k, err := d.decodeKey(key)
	if err != nil {
		return Event{}, err
	}
	e.Key = k
	if isNull(value) {
		e.Tombstone = true
		return e, nil
	}
	if err := d.decodeValue(&e, value, false); err != nil {
		return Event{}, err
	}
	return e, nil
}

// DecodeObject decodes a flat JSON object — the value of a derived topic written by the
// enrichers — into an Image, with the same scanner and the same guarantees as Decode. The
// image is valid until the next call on d.
func (d *Decoder) DecodeObject(value []byte) (Image, error) {
	if cap(d.fields) > maxKeptFields {
		d.fields = nil
	}
	clear(d.fields)
	d.fields = d.fields[:0]
	s := scanner{data: value, fields: &d.fields}
	s.skipSpace()
	if s.pos >= len(value) {
		return nil, fail(reasonTruncated, s.pos)
	}
	if value[s.pos] != '{' {
		return nil, fail(notObject(value[s.pos]), s.pos)
	}
	im, r := s.imageObject(1)
	if r == "" {
		r = s.end()
	}
	if r != "" {
		return nil, fail(r, s.pos)
	}
	return im, nil
}

// Decode decodes one record with a Decoder of its own; see Decoder.Decode.
func Decode(key, value []byte) (Event, error) {
	var d Decoder
	return d.Decode(key, value)
}

// DecodeRecord decodes one Kafka record with a Decoder of its own; see Decoder.DecodeRecord.
func DecodeRecord(r *kgo.Record) (Event, error) {
	var d Decoder
	return d.DecodeRecord(r)
}

func fail(reason string, offset int) *DecodeError {
	return &DecodeError{Reason: reason, Offset: offset}
}

// isNull reports whether b is empty, blank or the JSON literal null.
func isNull(b []byte) bool {
	s := scanner{data: b}
	s.skipSpace()
	if s.pos == len(b) {
		return true
	}
	if s.literal("null") != "" {
		return false
	}
	s.skipSpace()
	return s.pos == len(b)
}

func (d *Decoder) decodeKey(key []byte) (Image, error) {
	if isNull(key) {
		return nil, nil
	}
	s := scanner{data: key, fields: &d.fields}
	s.skipSpace()
	if key[s.pos] != '{' {
		return nil, fail("key: "+notObject(key[s.pos]), s.pos)
	}
	m, r := s.imageObject(1)
	if r == "" {
		r = s.end()
	}
	if r != "" {
		return nil, fail("key: "+r, s.pos)
	}
	// A key written with schemas: {"schema": {…}, "payload": {…}}.
	if len(m) == 2 {
		sch, pay := m.Get("schema"), m.Get("payload")
		if sch != nil && pay != nil && (sch[0] == '{' || sch[0] == 'n') && (pay[0] == '{' || pay[0] == 'n') {
			if pay[0] == 'n' {
				return nil, nil
			}
			p := scanner{data: pay, fields: &d.fields}
			m, r = p.imageObject(1)
			if r != "" {
				return nil, fail("key: "+r, p.pos)
			}
		}
	}
	return m, nil
}

// notObject names a top-level value that is valid JSON but not an object.
func notObject(c byte) string {
	switch c {
	case '[', '"', '-', 't', 'f', 'n', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return "not an object"
	}
	return reasonSyntax
}

// end checks that only white space follows the value.
func (s *scanner) end() string {
	s.skipSpace()
	if s.pos != len(s.data) {
		return "trailing data"
	}
	return ""
}

// emptyImage is the image of a present, empty object (a nil Image means absent).
var emptyImage = Image{}

// imageObject reads the object at s.pos into an Image appended to the decoder's buffer.
func (s *scanner) imageObject(depth int) (Image, string) {
	start := len(*s.fields)
	it := s.members()
	for {
		k, esc, ok, r := it.next()
		if r != "" {
			return nil, r
		}
		if !ok {
			break
		}
		v, r := s.value(depth)
		if r != "" {
			return nil, r
		}
		*s.fields = append(*s.fields, Field{Name: keyName(k, esc), Value: v})
	}
	end := len(*s.fields)
	if end == start {
		return emptyImage, ""
	}
	return (*s.fields)[start:end:end], ""
}

// keyName returns an object key as a string; raw is the key without its quotes. A key
// without escapes is a view of the record's bytes, not a copy: names repeat in every record
// and copying them was a measurable part of decoding.
func keyName(raw []byte, esc bool) string {
	if esc {
		return unescape(raw)
	}
	if len(raw) == 0 {
		return ""
	}
	return unsafe.String(&raw[0], len(raw))
}

// unescape decodes a JSON string's content (already validated by the scanner).
func unescape(raw []byte) string {
	q := make([]byte, 0, len(raw)+2)
	q = append(q, '"')
	q = append(q, raw...)
	q = append(q, '"')
	var s string
	_ = json.Unmarshal(q, &s)
	return s
}

// envelope is what decodeValue saw of the top-level object, beyond what went into Event.
type envelope struct {
	op                 []byte // raw JSON value, nil when absent
	source             bool   // a source object was present
	hasLSN, hasTs      bool   // source.lsn, source.ts_ms present
	before, after      bool   // present and not null
	schema             bool   // a "schema" member (schemas.enable=true)
	payload            []byte // raw "payload" member
	tsMs               []byte // raw top-level ts_ms
	sourceTableMissing bool
}

func (d *Decoder) decodeValue(e *Event, value []byte, unwrapped bool) error {
	s := scanner{data: value, fields: &d.fields}
	s.skipSpace()
	if value[s.pos] != '{' {
		return fail(notObject(value[s.pos]), s.pos)
	}
	var env envelope
	env.sourceTableMissing = true
	it := s.members()
	for {
		k, esc, ok, r := it.next()
		if r != "" {
			return fail(r, s.pos)
		}
		if !ok {
			break
		}
		if esc {
			k = []byte(unescape(k))
		}
		if r := s.envelopeMember(e, &env, k); r != "" {
			return fail(r, s.pos)
		}
	}
	if r := s.end(); r != "" {
		return fail(r, s.pos)
	}

	// A value written with schemas: {"schema": {…}, "payload": <envelope>}.
	if env.op == nil && env.schema && env.payload != nil && !env.source && !unwrapped {
		key := e.Key
		*e = Event{Key: key}
		if isNull(env.payload) {
			e.Tombstone = true
			return nil
		}
		return d.decodeValue(e, env.payload, true)
	}

	if env.op == nil || env.op[0] == 'n' {
		// The connector's heartbeat topic: key {"serverName": …}, value {"ts_ms": …}.
		if !env.source && !env.before && !env.after && env.tsMs != nil && e.Key.Get("serverName") != nil {
			ts, ok := parseInt(env.tsMs)
			if !ok {
				return fail("bad ts_ms", -1)
			}
			*e = Event{Key: e.Key, Table: HeartbeatTopicTable, Heartbeat: true, CommitMs: ts}
			return nil
		}
		return fail("missing op", -1)
	}
	if env.op[0] != '"' {
		return fail("op not a string", -1)
	}
	op := env.op[1 : len(env.op)-1]
	if len(op) != 1 || !knownOp(Op(op[0])) {
		return fail("unknown op "+printable(op), -1)
	}
	e.Op = Op(op[0])
	switch {
	case !env.source:
		return fail("no source", -1)
	case env.sourceTableMissing:
		return fail("missing source.table", -1)
	case !env.hasLSN:
		return fail("missing source.lsn", -1)
	case !env.hasTs:
		return fail("missing source.ts_ms", -1)
	}
	if e.Op != OpDelete && e.After == nil {
		return fail("missing after", -1)
	}
	return nil
}

func knownOp(o Op) bool {
	return o == OpCreate || o == OpRead || o == OpUpdate || o == OpDelete
}

// printable renders an unknown op for a reason: plain when it is a short lowercase word,
// quoted and clipped otherwise.
func printable(op []byte) string {
	plain := len(op) > 0 && len(op) <= 16
	for _, c := range op {
		if c < 'a' || c > 'z' {
			plain = false
		}
	}
	if plain {
		return string(op)
	}
	if len(op) > 16 {
		op = op[:16]
	}
	return strconv.Quote(string(op))
}

// envelopeMember reads one top-level member, the scanner being on its value.
func (s *scanner) envelopeMember(e *Event, env *envelope, name []byte) string {
	switch string(name) {
	case "op":
		v, r := s.value(1)
		if r != "" {
			return r
		}
		env.op = v
	case "before", "after":
		m, present, r := s.image(name[0] == 'a')
		if r != "" {
			return r
		}
		if name[0] == 'a' {
			e.After, env.after = m, present
		} else {
			e.Before, env.before = m, present
		}
	case "source":
		s.skipSpace()
		if s.pos < len(s.data) && s.data[s.pos] == '{' {
			env.source = true
			return s.source(e, env)
		}
		v, r := s.value(1)
		if r != "" {
			return r
		}
		if v[0] != 'n' {
			return "source not an object"
		}
	case "ts_ms":
		v, r := s.value(1)
		if r != "" {
			return r
		}
		env.tsMs = v
	case "schema":
		if _, r := s.value(1); r != "" {
			return r
		}
		env.schema = true
	case "payload":
		v, r := s.value(1)
		if r != "" {
			return r
		}
		env.payload = v
	default:
		if _, r := s.value(1); r != "" {
			return r
		}
	}
	return ""
}

// image reads a before or after image: an object or null.
func (s *scanner) image(after bool) (Image, bool, string) {
	s.skipSpace()
	if s.pos < len(s.data) && s.data[s.pos] == '{' {
		m, r := s.imageObject(2)
		return m, r == "", r
	}
	v, r := s.value(1)
	if r != "" {
		return nil, false, r
	}
	if v[0] != 'n' {
		if after {
			return nil, false, "after not an object"
		}
		return nil, false, "before not an object"
	}
	return nil, false, ""
}

// source reads the source block.
func (s *scanner) source(e *Event, env *envelope) string {
	it := s.members()
	for {
		k, esc, ok, r := it.next()
		if r != "" {
			return r
		}
		if !ok {
			return ""
		}
		if esc {
			k = []byte(unescape(k))
		}
		v, r := s.value(2)
		if r != "" {
			return r
		}
		switch string(k) {
		case "table":
			switch {
			case v[0] == 'n':
			case v[0] != '"' || len(v) == 2:
				return "bad source.table"
			default:
				inner := v[1 : len(v)-1]
				if esc := containsByte(inner, '\\'); esc {
					e.Table = unescape(inner)
				} else {
					e.Table = intern(inner)
				}
				env.sourceTableMissing = false
			}
		case "lsn":
			if v[0] == 'n' {
				continue
			}
			lsn, ok := parseUint(v)
			if !ok {
				return "bad source.lsn"
			}
			e.LSN, env.hasLSN = lsn, true
		case "txId":
			if v[0] == 'n' {
				e.TxID = 0
				continue
			}
			tx, ok := parseInt(v)
			if !ok {
				return "bad source.txId"
			}
			e.TxID = tx
		case "ts_ms":
			if v[0] == 'n' {
				continue
			}
			ts, ok := parseInt(v)
			if !ok {
				return "bad source.ts_ms"
			}
			e.CommitMs, env.hasTs = ts, true
		case "snapshot":
			// "true", "first", "last", "incremental", … or "false"; booleans in old versions.
			e.Snapshot = !(string(v) == `"false"` || string(v) == "false" || string(v) == "null")
		}
	}
}

func containsByte(b []byte, c byte) bool {
	for _, x := range b {
		if x == c {
			return true
		}
	}
	return false
}

// parseUint parses a JSON integer without sign, fraction or exponent.
func parseUint(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if n > (1<<64-1-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

// parseInt parses a JSON integer, possibly negative, without fraction or exponent.
func parseInt(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	u, ok := parseUint(b)
	if !ok {
		return 0, false
	}
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return -int64(u), true
	}
	if u > 1<<63-1 {
		return 0, false
	}
	return int64(u), true
}
