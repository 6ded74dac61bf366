package importer

import (
	"math/big"
	"time"

	"github.com/securemig/securemig/parser"
)

// escalationScale is the number of decimals of escalations (numeric(6,5)).
const escalationScale = 5

// contractYear is one derived re_contract_years row.
type contractYear struct {
	Name       string
	Start, End time.Time
	Escalation parser.Decimal // 5 decimals
	Compounded parser.Decimal // 5 decimals
	Src        parser.Cell
}

// deriveYears turns the 5b rows, in sheet order, into contract years: year i
// starts i years after start and ends the day before year i+1 starts; its
// compounded escalation is the exact product of the escalations of years
// 0…i, rounded half away from zero to 5 decimals once.
func deriveYears(rows []parser.PriceEscalationDiscount, start time.Time) []contractYear {
	years := make([]contractYear, 0, len(rows))
	product := big.NewInt(1)
	scale := 0
	for i, r := range rows {
		esc := rescale(r.PriceEscalation.Value, escalationScale)
		product.Mul(product, big.NewInt(r.PriceEscalation.Value.Unscaled))
		scale += r.PriceEscalation.Value.Scale
		years = append(years, contractYear{
			Name:       r.ContractYear,
			Start:      addYears(start, i),
			End:        addYears(start, i+1).AddDate(0, 0, -1),
			Escalation: esc,
			Compounded: roundBig(product, scale, escalationScale),
			Src:        r.Key,
		})
	}
	return years
}

// addYears adds n years keeping month and day; 29 February in a non-leap
// year becomes 1 March.
func addYears(t time.Time, n int) time.Time { return t.AddDate(n, 0, 0) }

// rescale returns d with exactly scale decimals, rounding half away from
// zero when it has more.
func rescale(d parser.Decimal, scale int) parser.Decimal {
	return roundBig(big.NewInt(d.Unscaled), d.Scale, scale)
}

// roundBig rounds the exact decimal unscaled × 10^-from to `to` decimals,
// half away from zero. The result must fit an int64 (escalations do).
func roundBig(unscaled *big.Int, from, to int) parser.Decimal {
	v := new(big.Int).Set(unscaled)
	if from <= to {
		v.Mul(v, pow10(to-from))
		return parser.Decimal{Unscaled: v.Int64(), Scale: to}
	}
	div := pow10(from - to)
	q, r := new(big.Int).QuoRem(v, div, new(big.Int))
	r.Abs(r).Mul(r, big.NewInt(2))
	if r.Cmp(div) >= 0 {
		if v.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return parser.Decimal{Unscaled: q.Int64(), Scale: to}
}

// pow10 returns 10^n.
func pow10(n int) *big.Int {
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
}
