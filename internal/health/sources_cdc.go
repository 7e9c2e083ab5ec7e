package health

import (
	"context"
	"errors"
	"fmt"

	"github.com/flavortrend/flavortrend/internal/connect"
)

// connector asks Kafka Connect for the connector's state and its tasks'.
func (c *Collector) connector(ctx context.Context) ConnectorReport {
	r := ConnectorReport{Name: c.cfg.Connector}
	st, err := c.connect.Status(ctx, c.cfg.Connector)
	switch {
	case errors.Is(err, connect.ErrNotFound):
		return r
	case err != nil:
		r.Error = errText(fmt.Errorf("connector %s: %w", c.cfg.Connector, err))
		return r
	}
	r.Registered, r.State, r.Failure = true, st.Connector.State, st.Failure()
	for _, t := range st.Tasks {
		r.Tasks = append(r.Tasks, TaskReport{State: t.State, Worker: t.WorkerID})
	}
	return r
}

// slotsSQL reads the slots' activity and positions; confirmed_flush_lsn is NULL for a
// physical slot, whose lag is then reported as 0.
const slotsSQL = `SELECT slot_name, active,
	COALESCE(pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn), 0)::bigint,
	COALESCE(pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn), 0)::bigint
FROM pg_replication_slots WHERE slot_name = ANY($1)`

// slots reads the configured replication slots from pg_replication_slots.
func (c *Collector) slots(ctx context.Context) PostgresReport {
	rows, err := c.pg.Query(ctx, slotsSQL, c.cfg.Slots)
	if err != nil {
		return PostgresReport{Error: errText(fmt.Errorf("postgres replication slots: %w", err))}
	}
	defer rows.Close()
	found := map[string]Slot{}
	for rows.Next() {
		s := Slot{Found: true}
		if err := rows.Scan(&s.Name, &s.Active, &s.LagBytes, &s.RetainedBytes); err != nil {
			return PostgresReport{Error: errText(fmt.Errorf("postgres replication slots: %w", err))}
		}
		found[s.Name] = s
	}
	if err := rows.Err(); err != nil {
		return PostgresReport{Error: errText(fmt.Errorf("postgres replication slots: %w", err))}
	}
	var r PostgresReport
	for _, name := range c.cfg.Slots {
		s, ok := found[name]
		if !ok {
			s = Slot{Name: name}
		}
		r.Slots = append(r.Slots, s)
	}
	return r
}
