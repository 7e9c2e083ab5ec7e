package debezium

import (
	"sync"
	"sync/atomic"
)

// Column and table names repeat in every record, so they are kept once: a record's keys
// become strings without an allocation after the first time they are seen. The table is
// copy-on-write (lookups take no lock) and bounded, so hostile input cannot grow it.
const (
	internMaxEntries = 4096
	internMaxLen     = 64
)

var (
	internTable atomic.Pointer[map[string]string]
	internMu    sync.Mutex
)

// intern returns b as a string, shared with earlier calls for the same bytes.
func intern(b []byte) string {
	if t := internTable.Load(); t != nil {
		if s, ok := (*t)[string(b)]; ok {
			return s
		}
	}
	s := string(b)
	if len(b) > internMaxLen {
		return s
	}
	internMu.Lock()
	defer internMu.Unlock()
	old := internTable.Load()
	if old == nil {
		t := map[string]string{s: s}
		internTable.Store(&t)
		return s
	}
	if have, ok := (*old)[s]; ok {
		return have
	}
	if len(*old) >= internMaxEntries {
		return s
	}
	t := make(map[string]string, len(*old)+1)
	for k, v := range *old {
		t[k] = v
	}
	t[s] = s
	internTable.Store(&t)
	return s
}
