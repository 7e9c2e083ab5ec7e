// Package frames turns the API's typed answers into Grafana data frames: one field per JSON
// member of a struct, typed after the Go field (time.Time a time field, *float64 a nullable
// number, …), nested structs flattened with "_" (last_fix.lat → last_fix_lat).
//
// Written by hand because the SDK's data package converts from rows of values, not from
// structs, and the answers are many: one converter keeps every frame's names and types in
// step with api/openapi.json.
package frames

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
)

var timeType = reflect.TypeOf(time.Time{})

// column is one field of a frame and how to read it from a struct value.
type column struct {
	name  string
	path  []int        // field indexes from the row struct down to the value
	typ   reflect.Type // the Go type of the frame field: a pointer when nullable
	field *data.Field
}

// FromSlice is a frame with a row per element of rows, a slice of structs.
func FromSlice(name string, rows any) (*data.Frame, error) {
	return fromSlice(name, rows, false)
}

// FromStruct is a frame with one row: the fields of the struct one.
func FromStruct(name string, one any) (*data.Frame, error) {
	return fromSlice(name, sliceOf(one), false)
}

// Scalars is FromStruct without the lists and maps: the one-row summary beside a list.
func Scalars(name string, one any) (*data.Frame, error) {
	return fromSlice(name, sliceOf(one), true)
}

func sliceOf(one any) any {
	v := reflect.ValueOf(one)
	s := reflect.MakeSlice(reflect.SliceOf(v.Type()), 1, 1)
	s.Index(0).Set(v)
	return s.Interface()
}

func fromSlice(name string, rows any, scalars bool) (*data.Frame, error) {
	v := reflect.ValueOf(rows)
	if v.Kind() != reflect.Slice || v.Type().Elem().Kind() != reflect.Struct {
		return nil, fmt.Errorf("frames: %s: want a slice of structs, got %T", name, rows)
	}
	cols, err := columns(v.Type().Elem(), nil, "", false)
	if err != nil {
		return nil, fmt.Errorf("frames: %s: %w", name, err)
	}
	frame := data.NewFrame(name)
	for _, c := range cols {
		if scalars && (fieldType(c.typ) == data.FieldTypeJSON || fieldType(c.typ) == data.FieldTypeNullableJSON) {
			continue
		}
		c.field = data.NewFieldFromFieldType(fieldType(c.typ), v.Len())
		c.field.Name = c.name
		frame.Fields = append(frame.Fields, c.field)
	}
	for i := range v.Len() {
		row := v.Index(i)
		for _, c := range cols {
			if c.field != nil {
				c.field.Set(i, value(row, c))
			}
		}
	}
	return frame, nil
}

// columns lists the frame fields of a struct type, flattening embedded and nested structs;
// under a pointer to a nested struct every field is nullable.
func columns(t reflect.Type, path []int, prefix string, nullable bool) ([]*column, error) {
	var out []*column
	for i := range t.NumField() {
		f := t.Field(i)
		ft := f.Type
		inner, ptr := ft, ft.Kind() == reflect.Pointer
		if ptr {
			inner = ft.Elem()
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		// An embedded struct's fields are promoted (and encoded) even when its type is not
		// exported.
		if name == "-" || !f.IsExported() && !(f.Anonymous && inner.Kind() == reflect.Struct) {
			continue
		}
		p := append(append([]int(nil), path...), i)
		if inner.Kind() == reflect.Struct && inner != timeType {
			if !f.Anonymous {
				if name == "" {
					name = f.Name
				}
				prefix += name + "_"
			}
			sub, err := columns(inner, p, prefix, nullable || ptr)
			if err != nil {
				return nil, err
			}
			out = append(out, sub...)
			if !f.Anonymous {
				prefix = strings.TrimSuffix(prefix, name+"_")
			}
			continue
		}
		if name == "" {
			name = f.Name
		}
		if nullable && !ptr {
			ft = reflect.PointerTo(ft)
		}
		if fieldType(ft) == data.FieldTypeUnknown {
			return nil, fmt.Errorf("field %s: type %s has no frame field type", f.Name, ft)
		}
		out = append(out, &column{name: prefix + name, path: p, typ: ft})
	}
	return out, nil
}

// fieldType is the frame field type of a Go type: pointers are nullable, slices, maps and
// interfaces become JSON.
func fieldType(t reflect.Type) data.FieldType {
	nullable := t.Kind() == reflect.Pointer
	if nullable {
		t = t.Elem()
	}
	var ft data.FieldType
	switch {
	case t == timeType:
		ft = data.FieldTypeTime
	case t.Kind() == reflect.Slice || t.Kind() == reflect.Map || t.Kind() == reflect.Interface:
		ft = data.FieldTypeJSON
	case t.Kind() == reflect.Int:
		ft = data.FieldTypeInt64 // frames have no int: values are widened (value)
	case t.Kind() == reflect.Uint:
		ft = data.FieldTypeUint64
	default:
		ft = data.FieldTypeFor(reflect.Zero(t).Interface())
	}
	if nullable && ft != data.FieldTypeUnknown {
		return ft.NullableType()
	}
	return ft
}

// wide is int64 for int and uint64 for uint (and pointers to them).
func wide(t reflect.Type) reflect.Type {
	if t.Kind() == reflect.Pointer {
		return reflect.PointerTo(wide(t.Elem()))
	}
	switch t.Kind() {
	case reflect.Int:
		return reflect.TypeFor[int64]()
	case reflect.Uint:
		return reflect.TypeFor[uint64]()
	}
	return t
}

// value reads a column's value from a row as its field stores it: nil through a nil pointer.
func value(row reflect.Value, c *column) any {
	v := row
	for _, i := range c.path {
		if v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return reflect.Zero(wide(c.typ)).Interface()
			}
			v = v.Elem()
		}
		v = v.Field(i)
	}
	if w := wide(c.typ); w != c.typ && v.Kind() == reflect.Pointer && v.IsNil() {
		return reflect.Zero(w).Interface()
	}
	switch k := reflect.Indirect(v).Kind(); k {
	case reflect.Int, reflect.Uint:
		w := reflect.Indirect(v).Convert(wide(reflect.Indirect(v).Type()))
		if c.typ.Kind() != reflect.Pointer {
			return w.Interface()
		}
		v = w
	}
	if c.typ.Kind() == reflect.Pointer && v.Kind() != reflect.Pointer {
		p := reflect.New(v.Type())
		p.Elem().Set(v)
		v = p
	}
	switch fieldType(c.typ) {
	case data.FieldTypeJSON:
		raw, _ := json.Marshal(v.Interface())
		return json.RawMessage(raw)
	case data.FieldTypeNullableJSON:
		if v.IsNil() {
			return (*json.RawMessage)(nil)
		}
		raw, _ := json.Marshal(v.Elem().Interface())
		m := json.RawMessage(raw)
		return &m
	}
	return v.Interface()
}
