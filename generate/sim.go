package generate

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Stats counts what a run wrote.
type Stats struct {
	Placed, Delivered, Cancelled int64
	Reviews, Weather, Positions  int64
	Open                         int       // orders still open when the run stopped
	SimulatedUntil               time.Time // simulated clock at the end
	Elapsed                      time.Duration
}

// Random streams: each kind of decision draws from its own generator seeded from
// Config.Seed, so that, e.g., the weather does not change when the order volume does.
const (
	streamDemand uint64 = iota + 1
	streamOrders
	streamWeather
	streamMoves
	streamReviews
	streamPlan
)

// Pacing of the main loop.
const (
	wallTick     = 200 * time.Millisecond // at Speed > 0: a batch every 200 ms of wall time
	fastTick     = time.Minute            // at Speed 0: a batch per simulated minute
	flagPoll     = 2 * time.Second        // wall time between reads of simulation_flags
	progressTick = 2 * time.Second        // wall time between progress lines
	flushTimeout = 30 * time.Second       // bound on the last flush after cancellation
)

// sim is one simulation run.
type sim struct {
	cfg    Config
	pool   *pgxpool.Pool
	w      *world
	now    time.Time // simulated clock
	agenda agenda
	seq    uint64

	demand, orders, weather, moves, reviews, plan *rand.Rand

	nextID   struct{ order, item, review, weather, position int64 }
	observed bool // the first weather observation has been written
	b        batch
	stats    Stats
	tel      *instruments
}

func newSim(cfg Config, pool *pgxpool.Pool, w *world) (*sim, error) {
	tel, err := newInstruments(cfg.Telemetry)
	if err != nil {
		return nil, err
	}
	stream := func(k uint64) *rand.Rand { return rand.New(rand.NewPCG(uint64(cfg.Seed), k)) }
	return &sim{
		cfg: cfg, pool: pool, w: w, now: cfg.Start, tel: tel,
		demand: stream(streamDemand), orders: stream(streamOrders), weather: stream(streamWeather),
		moves: stream(streamMoves), reviews: stream(streamReviews), plan: stream(streamPlan),
	}, nil
}

// Run simulates orders on a simulated clock (SPEC §6) and writes them to PostgreSQL until
// cfg.Duration of simulated time has passed or ctx is cancelled. On cancellation the
// current batch is still committed and ctx's error is returned with the stats.
//
// Run assumes it is the only simulator writing to the database: at start it cancels
// orders left open by an earlier run (cancel_reason "system") and sets every courier's
// status from its own shift plan. Progress lines go to progress (nil for none).
func Run(ctx context.Context, pool *pgxpool.Pool, cfg Config, progress io.Writer) (Stats, error) {
	if err := cfg.Validate(); err != nil {
		return Stats{}, fmt.Errorf("generate: %w", err)
	}
	cfg = cfg.withDefaults(time.Now())
	w, err := loadWorld(ctx, pool)
	if err != nil {
		return Stats{}, fmt.Errorf("generate: %w", err)
	}
	s, err := newSim(cfg, pool, w)
	if err != nil {
		return Stats{}, err
	}
	if err := s.prepare(ctx); err != nil {
		return Stats{}, fmt.Errorf("generate: %w", err)
	}
	err = s.loop(ctx, newProgress(progress))
	s.stats.SimulatedUntil = s.now
	for _, c := range w.cities {
		s.stats.Open += c.open
	}
	return s.stats, err
}

// prepare reads the id high-water marks, closes what an earlier run left open, starts the
// shift plan and puts the first demand and weather events on the agenda.
func (s *sim) prepare(ctx context.Context) error {
	err := s.pool.QueryRow(ctx, `SELECT
		(SELECT coalesce(max(id), 0) FROM orders),
		(SELECT coalesce(max(id), 0) FROM order_items),
		(SELECT coalesce(max(id), 0) FROM order_reviews),
		(SELECT coalesce(max(id), 0) FROM weather_observations),
		(SELECT coalesce(max(id), 0) FROM courier_positions)`).Scan(
		&s.nextID.order, &s.nextID.item, &s.nextID.review, &s.nextID.weather, &s.nextID.position)
	if err != nil {
		return fmt.Errorf("read max ids: %w", err)
	}
	// Orders of an earlier run that stopped midway can never finish: close them so they
	// do not count as open forever, at a time not before any of their timestamps.
	if _, err := s.pool.Exec(ctx, `UPDATE orders SET status = 'cancelled', cancel_reason = 'system',
		cancelled_at = greatest(placed_at, accepted_at, picked_up_at, $1::timestamptz)
		WHERE status IN ('placed', 'accepted', 'picked_up')`, s.now); err != nil {
		return fmt.Errorf("close orders of an earlier run: %w", err)
	}
	s.startShifts()
	if err := s.pollFlags(ctx); err != nil {
		return err
	}
	s.schedule(&event{at: s.now, kind: evWeather})
	s.schedule(&event{at: s.now, kind: evDemand})
	return nil
}

// loop advances the simulated clock batch by batch.
func (s *sim) loop(ctx context.Context, p *progress) error {
	wallStart := time.Now()
	var end time.Time
	if s.cfg.Duration > 0 {
		end = s.cfg.Start.Add(s.cfg.Duration)
	}
	lastPoll := time.Now()
	var ticker *time.Ticker
	if s.cfg.Speed > 0 {
		ticker = time.NewTicker(wallTick)
		defer ticker.Stop()
	}
	defer func() { s.stats.Elapsed = time.Since(wallStart); p.done(s) }()
	for {
		var horizon time.Time
		if ticker != nil {
			select {
			case <-ctx.Done():
			case <-ticker.C:
			}
			elapsed := time.Since(wallStart)
			horizon = s.cfg.Start.Add(time.Duration(float64(elapsed) * s.cfg.Speed))
		} else {
			horizon = s.now.Add(fastTick)
		}
		if !end.IsZero() && horizon.After(end) {
			horizon = end
		}
		if ctx.Err() == nil {
			s.advance(horizon)
		}
		// The batch is committed even when ctx was cancelled meanwhile.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), flushTimeout)
		events := s.b.events()
		err := s.b.flush(fctx, s.pool)
		cancel()
		s.tel.written(fctx, events, err)
		if err != nil {
			return fmt.Errorf("generate: write batch at %s: %w", s.now.Format(time.RFC3339), err)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !end.IsZero() && !s.now.Before(end) {
			return nil
		}
		if time.Since(lastPoll) >= flagPoll {
			lastPoll = time.Now()
			if err := s.pollFlags(ctx); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return err
			}
		}
		p.tick(s)
	}
}

// advance runs every event due up to horizon and moves the clock there.
func (s *sim) advance(horizon time.Time) {
	for {
		e, ok := s.next(horizon)
		if !ok {
			break
		}
		s.now = e.at
		s.handle(e)
	}
	if horizon.After(s.now) {
		s.now = horizon
	}
}

func (s *sim) handle(e *event) {
	switch e.kind {
	case evDemand:
		s.onDemand()
	case evWeather:
		s.onWeather()
	case evPlace:
		s.onPlace(e.city)
	case evAccept:
		s.onAccept(e.order)
	case evDispatch:
		s.onDispatch(e.order)
	case evReady:
		s.onReady(e.order)
	case evArrive:
		s.onArrive(e.order, e.gen)
	case evDeliver:
		s.onDeliver(e.order)
	case evPosition:
		s.onPosition(e.order)
	case evCancel:
		s.onCancel(e.order, e.reason)
	case evPatience:
		s.onPatience(e.order)
	case evReview:
		s.onReview(e.order)
	}
}
