package stream

import (
	"fmt"

	json "github.com/goccy/go-json"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Table is keyed state of one kind (orders, courier features, …) for the input partitions
// this instance owns, kept like a Kafka Streams state store: every change of a transaction is
// also written to the table's compacted changelog topic — into the partition of the same
// number as the input partition — in that transaction, and a partition's state is read back
// from its changelog partition when the partition is assigned.
//
// Changes are staged until the transaction ends: Commit applies them, Abort drops them, so the
// state always equals what the committed changelog holds, whatever happened to the
// transaction. Values are stored as JSON in the changelog; V must round-trip through
// encoding/json. The enrichers encode with github.com/goccy/go-json, encoding/json's API and
// behaviour with its reflection cached: encoding/json was the largest item of their profile,
// and the swap saves a fifth of their CPU (docs/benchmarks.md). A Table is used by one
// goroutine at a time (the runner's loop and its assignment callbacks, which the runner
// serialises).
//
// A change whose changelog record cannot be written — its value does not encode, or the
// record is over MaxRecordBytes — is not applied: the key keeps its value from before the
// transaction, so the state still equals the changelog, and the input record that last
// changed the key goes to the dead-letter topic with the reason (see changelog).
type Table[V any] struct {
	topic     string
	committed map[int32]map[string]V
	pending   map[int32]map[string]*V // nil: deleted in this transaction
	// source is, for each pending key, the input record whose processing last changed it:
	// the one to blame when the change cannot be written.
	source map[int32]map[string]*kgo.Record
	cur    *kgo.Record // the input record being processed; nil in Advance
	err    error       // the first committed value Edit could not copy, since setSource
}

// NewTable is a table whose changelog topic is topic.
func NewTable[V any](topic string) *Table[V] {
	return &Table[V]{topic: topic, committed: map[int32]map[string]V{}, pending: map[int32]map[string]*V{},
		source: map[int32]map[string]*kgo.Record{}}
}

// Topic is the changelog topic.
func (t *Table[V]) Topic() string { return t.topic }

// Get returns the value of key in partition p as this transaction sees it.
func (t *Table[V]) Get(p int32, key string) (V, bool) {
	if v, ok := t.pending[p][key]; ok {
		if v == nil {
			var zero V
			return zero, false
		}
		return *v, true
	}
	v, ok := t.committed[p][key]
	return v, ok
}

// Edit returns key's value in partition p for changing in place, and false when the key
// is absent. The first Edit of a key in a transaction stages a deep copy of the committed
// value (through its JSON form), so that values holding maps, slices or pointers can be
// changed without touching the committed state an abort must return to; later Gets and
// Edits in the transaction see the changes.
//
// A committed value that does not survive the copy (its type's UnmarshalJSON refuses what
// its MarshalJSON wrote) is reported absent, and the runner sends the record being
// processed to the dead-letter topic, rolling back whatever the processor did with it.
func (t *Table[V]) Edit(p int32, key string) (*V, bool) {
	if v, ok := t.pending[p][key]; ok {
		return v, v != nil
	}
	c, ok := t.committed[p][key]
	if !ok {
		return nil, false
	}
	v := new(V)
	b, err := json.Marshal(c)
	if err == nil {
		err = json.Unmarshal(b, v)
	}
	if err != nil {
		if t.err == nil {
			t.err = fmt.Errorf("stream: state %s %q does not round-trip: %w", t.topic, key, err)
		}
		return nil, false
	}
	t.set(p, key, v)
	return v, true
}

// Put sets key in partition p.
func (t *Table[V]) Put(p int32, key string, v V) {
	t.set(p, key, &v)
}

// Delete removes key from partition p.
func (t *Table[V]) Delete(p int32, key string) {
	if _, ok := t.Get(p, key); ok {
		t.set(p, key, nil)
	}
}

// set stages v (nil: a delete) as key's value in partition p, changed by the current
// input record.
func (t *Table[V]) set(p int32, key string, v *V) {
	m := t.pending[p]
	if m == nil {
		m = map[string]*V{}
		t.pending[p] = m
	}
	m[key] = v
	if t.cur == nil {
		return // a timer's change: the key keeps the last record that changed it, if any
	}
	src := t.source[p]
	if src == nil {
		src = map[string]*kgo.Record{}
		t.source[p] = src
	}
	src[key] = t.cur
}

// Range calls fn for every key of partition p as this transaction sees it, in no order,
// until fn returns false. fn may Put or Delete the key it is given.
func (t *Table[V]) Range(p int32, fn func(key string, v V) bool) {
	pending := t.pending[p]
	for k, v := range pending {
		if v != nil && !fn(k, *v) {
			return
		}
	}
	for k, v := range t.committed[p] {
		if _, staged := pending[k]; !staged && !fn(k, v) {
			return
		}
	}
}

// Len is the number of keys of partition p as this transaction sees them.
func (t *Table[V]) Len(p int32) int {
	n := len(t.committed[p])
	for k, v := range t.pending[p] {
		_, had := t.committed[p][k]
		switch {
		case v != nil && !had:
			n++
		case v == nil && had:
			n--
		}
	}
	return n
}

// change is a changelog record and the input record that last changed its key (nil when
// only timers did).
type change struct {
	rec, source *kgo.Record
	err         error // why rec cannot be written; rec is nil then
}

// changelog returns the records of this transaction's changes: the new value, or a
// tombstone for a delete, into the changelog partition of the input partition. A change
// that does not encode, or whose record is over MaxRecordBytes, comes back with its error
// instead of a record, and is dropped: the key keeps its committed value.
func (t *Table[V]) changelog() []change {
	var out []change
	for p, m := range t.pending {
		for k, v := range m {
			c := change{rec: &kgo.Record{Topic: t.topic, Partition: p, Key: []byte(k)}, source: t.source[p][k]}
			if v != nil {
				b, err := json.Marshal(v)
				switch n := len(k) + len(b); {
				case err != nil:
					c.err = fmt.Errorf("stream: state %s %q does not encode: %w", t.topic, k, err)
				case n > MaxRecordBytes:
					c.err = fmt.Errorf("stream: state %s %q of %d bytes is over the record limit of %d bytes; the key keeps its state from before", t.topic, k, n, MaxRecordBytes)
				}
				c.rec.Value = b
			}
			if c.err != nil {
				c.rec = nil
				delete(m, k)
			}
			out = append(out, c)
		}
	}
	return out
}

// setSource names the input record being processed (nil: none) and clears the Edit error.
func (t *Table[V]) setSource(r *kgo.Record) {
	t.cur, t.err = r, nil
}

// editErr is the first committed value Edit could not copy since setSource.
func (t *Table[V]) editErr() error { return t.err }

// commit applies the transaction's changes.
func (t *Table[V]) commit() {
	for p, m := range t.pending {
		c := t.committed[p]
		if c == nil {
			c = map[string]V{}
			t.committed[p] = c
		}
		for k, v := range m {
			if v == nil {
				delete(c, k)
			} else {
				c[k] = *v
			}
		}
	}
	clear(t.pending)
	clear(t.source)
}

// abort drops the transaction's changes.
func (t *Table[V]) abort() {
	clear(t.pending)
	clear(t.source)
}

// restore applies one changelog record of partition p. A value that does not decode
// leaves the key absent — not at an older value, which would be stale without a word —
// and comes back as the error to log; the restore goes on.
func (t *Table[V]) restore(p int32, r *kgo.Record) error {
	c := t.committed[p]
	if c == nil {
		c = map[string]V{}
		t.committed[p] = c
	}
	if r.Value == nil {
		delete(c, string(r.Key))
		return nil
	}
	var v V
	if err := json.Unmarshal(r.Value, &v); err != nil {
		delete(c, string(r.Key))
		return fmt.Errorf("restore %s/%d offset %d key %q: %w", t.topic, p, r.Offset, r.Key, err)
	}
	c[string(r.Key)] = v
	return nil
}

// forget drops partition p, which moved to another instance.
func (t *Table[V]) forget(p int32) {
	delete(t.committed, p)
	delete(t.pending, p)
	delete(t.source, p)
}

// Store is a Table of any value type, as the Runner takes it.
type Store interface {
	Topic() string
	changelog() []change
	setSource(r *kgo.Record)
	editErr() error
	commit()
	abort()
	restore(p int32, r *kgo.Record) error
	forget(p int32)
}
