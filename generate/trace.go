package generate

import (
	"fmt"
	"math/rand/v2"
)

// TraceParent returns a W3C traceparent header value (https://www.w3.org/TR/trace-context/):
// version 00, a 16-byte trace id and an 8-byte parent span id drawn from rng (so a seeded
// run is reproducible; neither may be all zeros), flags 01 (sampled).
func TraceParent(rng *rand.Rand) string {
	hi, lo := rng.Uint64(), rng.Uint64()
	for hi == 0 && lo == 0 {
		hi, lo = rng.Uint64(), rng.Uint64()
	}
	span := rng.Uint64()
	for span == 0 {
		span = rng.Uint64()
	}
	return fmt.Sprintf("00-%016x%016x-%016x-01", hi, lo, span)
}
