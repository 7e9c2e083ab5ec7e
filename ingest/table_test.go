package ingest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/flavortrend/flavortrend/ingest/columns"
	"github.com/flavortrend/flavortrend/ingest/debezium"
)

// testTable is a mirror of (id Int64 key, name String, qty Nullable(Int32)) with the CDC columns.
func testTable(t *testing.T) *table {
	t.Helper()
	tb := &table{db: "db", name: "items", keys: []string{"id"}, cols: []column{
		{name: "id", typ: "Int64", key: true}, {name: "name", typ: "String"}, {name: "qty", typ: "Nullable(Int32)"},
		{name: colVersion, typ: "UInt64", kind: kindVersion}, {name: colDeleted, typ: "UInt8", kind: kindDeleted},
		{name: colSourceTs, typ: "Int64", kind: kindSourceTs},
	}}
	if err := tb.init(columns.Options{}); err != nil {
		t.Fatal(err)
	}
	return tb
}

func image(fields ...string) debezium.Image {
	var im debezium.Image
	for i := 0; i < len(fields); i += 2 {
		im = append(im, debezium.Field{Name: fields[i], Value: []byte(fields[i+1])})
	}
	return im
}

// pendingRows renders the table's pending rows as id/name/qty/version/deleted.
func pendingRows(tb *table) string {
	var rows []string
	vals := make([]any, 3)
	for i := range vals {
		vals[i] = tb.cols[i].b.Values()
	}
	for r := 0; r < tb.rows; r++ {
		qty := "null"
		if p := vals[2].([]*int32)[r]; p != nil {
			qty = fmt.Sprint(*p)
		}
		rows = append(rows, fmt.Sprintf("%d/%s/%s/%d/%d", vals[0].([]int64)[r], vals[1].([]string)[r], qty, tb.versions[r], tb.deleted[r]))
	}
	return strings.Join(rows, " ")
}

// TestTableAdd: columns are matched by name in any order, missing ones get their default,
// unknown ones are ignored, and a bad row leaves every column as it was.
func TestTableAdd(t *testing.T) {
	tb := testTable(t)
	for _, tc := range []struct {
		ev      debezium.Event
		wantErr string
	}{
		{ev: debezium.Event{Op: debezium.OpCreate, LSN: 10, After: image("id", "1", "name", `"a"`, "qty", "3")}},
		{ev: debezium.Event{Op: debezium.OpUpdate, LSN: 20, After: image("qty", "4", "id", "1", "extra", `"x"`, "name", `"b"`)}},
		{ev: debezium.Event{Op: debezium.OpCreate, LSN: 30, After: image("id", "2")}},
		{ev: debezium.Event{Op: debezium.OpCreate, LSN: 40, After: image("name", `"c"`, "qty", "1")}, wantErr: "no value for key column id"},
		{ev: debezium.Event{Op: debezium.OpCreate, LSN: 50, After: image("id", "3", "qty", "1", "qty", "2")}, wantErr: "column qty twice"},
		{ev: debezium.Event{Op: debezium.OpCreate, LSN: 60, After: image("id", "4", "name", `"d"`, "qty", `"many"`)}, wantErr: "items.qty"},
		{ev: debezium.Event{Op: debezium.OpDelete, LSN: 70, Key: image("id", "1"), Before: image("name", `""`)}},
		{ev: debezium.Event{Op: debezium.OpDelete, LSN: 80, Key: image("id", "9"), Before: image("id", "2", "qty", "0")}},
		{ev: debezium.Event{Op: debezium.OpUpdate, LSN: 90, After: image("id", "5", "_version", "1", "name", `"e"`)}},
	} {
		err := tb.add(&tc.ev)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("lsn %d: %v", tc.ev.LSN, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("lsn %d: error %v, want %q", tc.ev.LSN, err, tc.wantErr)
		}
	}
	want := "1/a/3/10/0 1/b/4/20/0 2//null/30/0 1//null/70/1 2//null/80/1 5/e/null/90/0"
	if got := pendingRows(tb); got != want {
		t.Errorf("rows\n%s\nwant\n%s", got, want)
	}
	for _, c := range tb.cols[:3] {
		if c.b.Len() != tb.rows {
			t.Errorf("column %s has %d values for %d rows", c.name, c.b.Len(), tb.rows)
		}
	}
}

// TestTableAddTraceParent: the row's own trace context is kept for the batch span's links.
func TestTableAddTraceParent(t *testing.T) {
	tb := &table{db: "db", name: "orders", keys: []string{"id"}, cols: []column{
		{name: "id", typ: "Int64", key: true}, {name: colTraceParent, typ: "Nullable(String)", trace: true},
		{name: colVersion, typ: "UInt64", kind: kindVersion}, {name: colDeleted, typ: "UInt8", kind: kindDeleted},
		{name: colSourceTs, typ: "Int64", kind: kindSourceTs},
	}}
	if err := tb.init(columns.Options{}); err != nil {
		t.Fatal(err)
	}
	tp := `"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"`
	if err := tb.add(&debezium.Event{Op: debezium.OpCreate, After: image("id", "1", colTraceParent, tp)}); err != nil || string(tb.traceRaw) != tp {
		t.Errorf("traceRaw = %s, %v", tb.traceRaw, err)
	}
	if err := tb.add(&debezium.Event{Op: debezium.OpCreate, After: image("id", "2", colTraceParent, "null")}); err != nil || string(tb.traceRaw) != "null" {
		t.Errorf("traceRaw = %s, %v", tb.traceRaw, err)
	}
	if err := tb.add(&debezium.Event{Op: debezium.OpCreate, After: image("id", "3")}); err != nil || tb.traceRaw != nil {
		t.Errorf("traceRaw = %s, %v", tb.traceRaw, err)
	}
}
