package generate

import (
	"testing"

	"github.com/jackc/pgx/v5/pgtype"
)

func TestMillimesString(t *testing.T) {
	tests := []struct {
		m    Millimes
		want string
	}{
		{0, "0.000"}, {5, "0.005"}, {12500, "12.500"}, {1000, "1.000"}, {-2050, "-2.050"},
	}
	for _, tt := range tests {
		if got := tt.m.String(); got != tt.want {
			t.Errorf("Millimes(%d) = %q, want %q", int64(tt.m), got, tt.want)
		}
	}
}

func TestMillimesNumericValue(t *testing.T) {
	n, err := Millimes(12345).NumericValue()
	if err != nil {
		t.Fatal(err)
	}
	var want pgtype.Numeric
	if err := want.Scan("12.345"); err != nil {
		t.Fatal(err)
	}
	gotF, _ := n.Float64Value()
	wantF, _ := want.Float64Value()
	if gotF != wantF || n.Exp != -3 || n.Int.Int64() != 12345 {
		t.Fatalf("NumericValue = %+v, want 12.345", n)
	}
}

func TestDeliveryFee(t *testing.T) {
	tests := []struct {
		km    float64
		promo bool
		want  Millimes
	}{
		{0.5, false, 1500},
		{2, false, 1500},
		{3, false, 2000},
		{3.33, false, 2200}, // 1500 + 665 = 2165 → 2200
		{20, false, 6000},   // capped
		{3, true, 0},        // promo: free delivery
	}
	for _, tt := range tests {
		if got := DeliveryFee(tt.km, tt.promo); got != tt.want {
			t.Errorf("DeliveryFee(%v, %v) = %v, want %v", tt.km, tt.promo, got, tt.want)
		}
	}
}
