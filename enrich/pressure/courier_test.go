package pressure

import "testing"

func TestCourierLoadOf(t *testing.T) {
	tests := []struct {
		active int
		want   CourierLoad
	}{
		{0, LoadNormal}, {2, LoadNormal}, {3, LoadBusy}, {4, LoadBusy}, {5, LoadOverloaded}, {9, LoadOverloaded},
	}
	for _, tt := range tests {
		if got := CourierLoadOf(tt.active); got != tt.want {
			t.Errorf("CourierLoadOf(%d) = %q, want %q", tt.active, got, tt.want)
		}
	}
}

func TestCourierAvailable(t *testing.T) {
	tests := []struct {
		status string
		active int
		want   bool
	}{
		{"idle", 0, true},
		{"busy", 1, true},
		{"busy", 2, true},
		{"busy", 3, false},
		{"busy", 5, false},
		{"offline", 0, false},
	}
	for _, tt := range tests {
		if got := CourierAvailable(tt.status, tt.active); got != tt.want {
			t.Errorf("CourierAvailable(%q, %d) = %v, want %v", tt.status, tt.active, got, tt.want)
		}
	}
}
