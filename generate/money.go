package generate

import (
	"fmt"
	"math/big"

	"github.com/jackc/pgx/v5/pgtype"
)

// Millimes is an amount of Tunisian dinar in millimes (1 TND = 1000 millimes). All money
// arithmetic is done on integers so that total = Σ qty × unit_price + delivery_fee holds
// exactly; the value is written to numeric(10, 3) columns as an exact decimal.
type Millimes int64

// String formats the amount in TND with three decimals, e.g. "12.500".
func (m Millimes) String() string {
	sign := ""
	v := int64(m)
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%03d", sign, v/1000, v%1000)
}

// NumericValue encodes the amount as the exact decimal m × 10⁻³ (pgtype.NumericValuer).
func (m Millimes) NumericValue() (pgtype.Numeric, error) {
	return pgtype.Numeric{Int: big.NewInt(int64(m)), Exp: -3, Valid: true}, nil
}

// DeliveryFee is what the customer pays for delivery over a great-circle distance:
// 1.500 TND covering the first 2 km, plus 0.500 TND per further km, rounded to 100
// millimes and capped at 6.000 TND. Orders under a promo flag deliver for free.
func DeliveryFee(distanceKm float64, promo bool) Millimes {
	if promo {
		return 0
	}
	fee := 1500 + 500*max(0, distanceKm-2)
	fee = float64(int64(fee/100+0.5)) * 100
	return Millimes(min(fee, 6000))
}
