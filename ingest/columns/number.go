package columns

import (
	"math/big"
)

// number is a decimal number in text form, read without allocating: its value is
// ±(intPart ‖ fracPart) × 10^(exp − len(fracPart)).
type number struct {
	neg               bool
	intPart, fracPart []byte
	exp               int // explicit exponent, saturated at ±expLimit
}

const expLimit = 1 << 20

// parseNumber reads -?digits(.digits)?([eE][+-]?digits)? — the JSON grammar, also with
// leading zeros, as Java's BigDecimal prints it. ok is false for anything else.
func parseNumber(b []byte) (n number, ok bool) {
	i := 0
	if i < len(b) && b[i] == '-' {
		n.neg = true
		i++
	}
	start := i
	for i < len(b) && isDigit(b[i]) {
		i++
	}
	n.intPart = b[start:i]
	if len(n.intPart) == 0 {
		return number{}, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		start = i
		for i < len(b) && isDigit(b[i]) {
			i++
		}
		n.fracPart = b[start:i]
		if len(n.fracPart) == 0 {
			return number{}, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		expNeg := false
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			expNeg = b[i] == '-'
			i++
		}
		start = i
		for i < len(b) && isDigit(b[i]) {
			if n.exp < expLimit {
				n.exp = n.exp*10 + int(b[i]-'0')
			}
			i++
		}
		if i == start {
			return number{}, false
		}
		n.exp = min(n.exp, expLimit)
		if expNeg {
			n.exp = -n.exp
		}
	}
	return n, i == len(b)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// digits returns the number of digits of the mantissa and its i-th digit.
func (n *number) digits() int { return len(n.intPart) + len(n.fracPart) }

func (n *number) digit(i int) byte {
	if i < len(n.intPart) {
		return n.intPart[i] - '0'
	}
	return n.fracPart[i-len(n.intPart)] - '0'
}

// Results of number.unscaled.
type unscaledStatus int

const (
	unscaledOK       unscaledStatus = iota
	unscaledFraction                // digits would be lost and rounding was not allowed
	unscaledTooLong                 // more than maxDigits digits
)

// unscaled returns |n| × 10^scale as an integer of at most maxDigits digits: in u when it
// has at most 19 digits, else in b. A fractional part is rounded half away from zero
// when round is set, else reported as unscaledFraction.
func (n *number) unscaled(scale, maxDigits int, round bool) (u uint64, b *big.Int, st unscaledStatus) {
	// Skip leading zeros: [first, last) are the significant digits.
	first, last := 0, n.digits()
	for first < last && n.digit(first) == 0 {
		first++
	}
	if first == last {
		return 0, nil, unscaledOK
	}
	shift := n.exp - len(n.fracPart) + scale // result = digits[first:last] × 10^shift
	roundUp := false
	if shift < 0 {
		drop := -shift
		keep := last - first - drop // digits that stay before the point
		dropStart := max(first, last-drop)
		lost := false
		for i := dropStart; i < last; i++ {
			if n.digit(i) != 0 {
				lost = true
				break
			}
		}
		if lost && !round {
			return 0, nil, unscaledFraction
		}
		// Half away from zero: the first dropped digit decides (an implied leading zero
		// when every digit is dropped with room to spare).
		roundUp = lost && keep >= 0 && n.digit(dropStart) >= 5
		if keep <= 0 {
			if roundUp {
				return 1, nil, unscaledOK
			}
			return 0, nil, unscaledOK
		}
		last = first + keep
		shift = 0
	}
	total := last - first + shift
	if total > maxDigits {
		return 0, nil, unscaledTooLong
	}
	if total <= 19 {
		for i := first; i < last; i++ {
			u = u*10 + uint64(n.digit(i))
		}
		for range shift {
			u *= 10
		}
		if roundUp {
			u++ // at most 10^19, still within uint64
		}
		if numDigits(u) > maxDigits {
			return 0, nil, unscaledTooLong
		}
		return u, nil, unscaledOK
	}
	text := make([]byte, 0, total)
	for i := first; i < last; i++ {
		text = append(text, '0'+n.digit(i))
	}
	for range shift {
		text = append(text, '0')
	}
	b, _ = new(big.Int).SetString(string(text), 10)
	if roundUp {
		b.Add(b, big.NewInt(1))
	}
	if len(b.String()) > maxDigits {
		return 0, nil, unscaledTooLong
	}
	return 0, b, unscaledOK
}

func numDigits(u uint64) int {
	d := 1
	for u >= 10 {
		u /= 10
		d++
	}
	return d
}
