package eta

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// blockRows is how many standardised rows Fit accumulates into the normal equations at
// once: enough for BLAS to work in blocks, small enough to stay in cache.
const blockRows = 256

// Fit fits the ridge model of the package comment on the training examples, whose
// vectors follow names. Every column (feature or derived term) is standardised with its
// training mean and standard deviation (a constant column gets scale 1, hence a zero
// coefficient); the coefficients β solve
//
//	(ZᵀZ + n·λ·I) β = Zᵀ(y − ȳ)
//
// by Cholesky factorisation, where Z holds the standardised columns, y the delivery
// minutes and the intercept is ȳ. The result does not depend on the order of train.
func Fit(names []string, train []Example, cfg Config) (*Model, error) {
	if err := checkFit(names, train, cfg); err != nil {
		return nil, fmt.Errorf("eta: fit: %w", err)
	}
	terms, err := bindTerms(names, cfg.Terms)
	if err != nil {
		return nil, fmt.Errorf("eta: fit: %w", err)
	}
	nf, p, n := len(names), len(names)+len(terms), len(train)
	order := canonicalOrder(train)
	fill := func(row, x []float64) {
		copy(row, x)
		for k, t := range terms {
			row[nf+k] = t.eval(x)
		}
	}
	row := make([]float64, p)

	// Means, then standard deviations, in two passes for accuracy.
	mean := make([]float64, p)
	var yMean float64
	for _, i := range order {
		fill(row, train[i].Vector)
		for j, v := range row {
			mean[j] += v
		}
		yMean += train[i].Minutes
	}
	for j := range mean {
		mean[j] /= float64(n)
	}
	yMean /= float64(n)
	scale := make([]float64, p)
	for _, i := range order {
		fill(row, train[i].Vector)
		for j, v := range row {
			d := v - mean[j]
			scale[j] += d * d
		}
	}
	for j, ss := range scale {
		scale[j] = math.Sqrt(ss / float64(n))
		if !finite(mean[j]) || !finite(scale[j]) {
			return nil, fmt.Errorf("eta: fit: column %d overflows", j)
		}
		if scale[j] == 0 {
			scale[j] = 1
		}
	}

	// Normal equations ZᵀZ and Zᵀ(y − ȳ), accumulated block by block.
	ztz := blas64.Symmetric{Uplo: blas.Upper, N: p, Stride: p, Data: make([]float64, p*p)}
	zty := blas64.Vector{N: p, Inc: 1, Data: make([]float64, p)}
	block := make([]float64, blockRows*p)
	yBlock := make([]float64, blockRows)
	rows := 0
	flush := func() {
		z := blas64.General{Rows: rows, Cols: p, Stride: p, Data: block[:rows*p]}
		blas64.Syrk(blas.Trans, 1, z, 1, ztz)
		blas64.Gemv(blas.Trans, 1, z, blas64.Vector{N: rows, Inc: 1, Data: yBlock[:rows]}, 1, zty)
		rows = 0
	}
	for _, i := range order {
		r := block[rows*p : (rows+1)*p]
		fill(r, train[i].Vector)
		for j := range r {
			r[j] = (r[j] - mean[j]) / scale[j]
		}
		yBlock[rows] = train[i].Minutes - yMean
		if rows++; rows == blockRows {
			flush()
		}
	}
	if rows > 0 {
		flush()
	}
	for j := range p {
		ztz.Data[j*p+j] += float64(n) * cfg.Lambda
	}

	var chol mat.Cholesky
	if !chol.Factorize(mat.NewSymDense(p, ztz.Data)) {
		return nil, errors.New("eta: fit: normal equations are not positive definite")
	}
	beta := mat.NewVecDense(p, nil)
	if err := chol.SolveVecTo(beta, mat.NewVecDense(p, zty.Data)); err != nil {
		return nil, fmt.Errorf("eta: fit: solve: %w", err)
	}

	m, err := newModel(artefact{
		Format:       artefactFormat,
		Kind:         kindRidge,
		Features:     slices.Clone(names),
		Terms:        append([]Term{}, cfg.Terms...), // [] rather than null in the JSON
		Means:        mean,
		Scales:       scale,
		Coefficients: slices.Clone(beta.RawVector().Data),
		Intercept:    yMean,
		Lambda:       cfg.Lambda,
		FloorMinutes: Floor,
	})
	if err != nil {
		return nil, fmt.Errorf("eta: fit: %w", err)
	}
	return m, nil
}

// checkFit rejects inputs Fit cannot learn from.
func checkFit(names []string, train []Example, cfg Config) error {
	if len(names) == 0 {
		return errors.New("no features")
	}
	if i := firstDuplicate(names); i >= 0 {
		return fmt.Errorf("duplicate feature %q", names[i])
	}
	if !(cfg.Lambda > 0) || math.IsInf(cfg.Lambda, 0) {
		return fmt.Errorf("lambda %v: must be positive", cfg.Lambda)
	}
	if len(train) == 0 {
		return errors.New("no training examples")
	}
	for i, e := range train {
		if len(e.Vector) != len(names) {
			return fmt.Errorf("example %d: %d values for %d features", i, len(e.Vector), len(names))
		}
		if !finite(e.Minutes) {
			return fmt.Errorf("example %d: minutes %v", i, e.Minutes)
		}
		for j, v := range e.Vector {
			if !finite(v) {
				return fmt.Errorf("example %d: feature %s is %v", i, names[j], v)
			}
		}
	}
	return nil
}

// canonicalOrder is the permutation of examples that sorts them by compareExamples.
func canonicalOrder(examples []Example) []int {
	order := make([]int, len(examples))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return compareExamples(examples[a], examples[b]) })
	return order
}
