package debezium

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestScannerAgreesWithEncodingJSON: the scanner accepts exactly what json.Valid accepts,
// and calls a valid document cut short "truncated json".
func TestScannerAgreesWithEncodingJSON(t *testing.T) {
	valid := []string{
		`{}`, `[]`, `{"a":[]}`, ` { "a" : [ 1 , 2 ] } `, `[{}]`, `[[[]]]`, `""`, `"a\"b\\c\/d\b\f\n\r\t"`,
		`"\u00e9\uD83D\uDE00"`, `"é 😀"`, `0`, `-0`, `1.5`, `-1.5e10`, `1E+2`, `1e-2`, `123456789012345678901234567890`,
		`true`, `false`, `null`, `{"a":{"b":{"c":[true,false,null,"x",-1.0e-5]}}}`, "{\"a\":\t\n\r1}",
	}
	invalid := []string{
		``, ` `, `{`, `}`, `[`, `]`, `{"a"}`, `{"a":}`, `{"a":1,}`, `[1,]`, `[1 2]`, `{"a" 1}`, `{a:1}`, `{'a':1}`,
		`"abc`, `"\x"`, `"\u12"`, `"\u12G4"`, "\"a\nb\"", `01`, `-`, `1.`, `.5`, `1e`, `1e+`, `+1`, `0x10`, `NaN`,
		`tru`, `trUe`, `nul`, `nulll`, `{"a":1}}`, `{"a":1} x`, `[1]]`, `{"a":[}`, `{"a":1 "b":2}`, `"\`,
	}
	check := func(doc string, want bool) {
		s := scanner{data: []byte(doc)}
		_, r := s.value(0)
		if r == "" {
			r = s.end()
		}
		if got := r == ""; got != want || got != json.Valid([]byte(doc)) {
			t.Errorf("%q: scanner ok=%v (%s), json.Valid=%v", doc, got, r, json.Valid([]byte(doc)))
		}
	}
	for _, doc := range valid {
		check(doc, true)
		// Every proper prefix of a valid document that is not itself valid is truncated.
		for i := 1; i < len(doc); i++ {
			p := doc[:i]
			if json.Valid([]byte(p)) || strings.TrimSpace(p) == "" {
				continue
			}
			s := scanner{data: []byte(p)}
			if _, r := s.value(0); r != reasonTruncated {
				t.Errorf("%q: reason %q, want %q", p, r, reasonTruncated)
			}
		}
	}
	for _, doc := range invalid {
		check(doc, false)
	}
}

func TestDecodeEscapedNames(t *testing.T) {
	ev, err := Decode([]byte(`{"\u0069d":7}`), []byte(`{"o\u0070":"c","source":{"t\u0061ble":"ord\u0065rs","l\u0073n":12,"ts_ms":-5,"txId":null},"after":{"n\u0061me":"x","q\"":1}}`))
	if err != nil {
		t.Fatal(err)
	}
	if ev.Op != OpCreate || ev.Table != "orders" || ev.LSN != 12 || ev.CommitMs != -5 || ev.TxID != 0 ||
		string(ev.After.Get("name")) != `"x"` || string(ev.After.Get(`q"`)) != "1" || string(ev.Key.Get("id")) != "7" {
		t.Errorf("got %+v", ev)
	}
}

func TestParseInt(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "-1": -1, "9223372036854775807": 1<<63 - 1, "-9223372036854775808": -1 << 63} {
		if got, ok := parseInt([]byte(in)); !ok || got != want {
			t.Errorf("parseInt(%s) = %d, %v", in, got, ok)
		}
	}
	for _, in := range []string{"", "-", "9223372036854775808", "-9223372036854775809", "1.0", "1e3", "+1", "18446744073709551616"} {
		if got, ok := parseInt([]byte(in)); ok {
			t.Errorf("parseInt(%s) = %d, want an error", in, got)
		}
	}
}
