-- Operator decisions on the surge recommendations of the enricher (SPEC §4.10). The
-- recommendations themselves are facts in ClickHouse (recommendations, 0005_city_facts.sql);
-- this table holds what an operator decided about each, written by the API
-- (POST /v1/recommendations/{id}/approve or /dismiss) in the transaction that records the
-- operator action and, for an approval, creates the surge flag the simulator obeys.
-- A recommendation without a row here is pending until its expires_at, expired after.

CREATE TABLE recommendation_decisions (
    recommendation_id text PRIMARY KEY,
    decision          text NOT NULL CHECK (decision IN ('approved', 'dismissed')),
    actor             text NOT NULL,
    decided_at        timestamptz NOT NULL,
    flag_id           bigint REFERENCES simulation_flags (id),
    CHECK ((decision = 'approved') = (flag_id IS NOT NULL))
);
COMMENT ON TABLE recommendation_decisions IS 'One operator decision per surge recommendation (approved or dismissed); at most one, so a recommendation is decided once.';
COMMENT ON COLUMN recommendation_decisions.recommendation_id IS 'The recommendation (ClickHouse recommendations.id, e.g. surge-15-20261120T122000.000000Z).';
COMMENT ON COLUMN recommendation_decisions.decision IS 'approved (a surge flag was created) or dismissed (nothing else changed).';
COMMENT ON COLUMN recommendation_decisions.actor IS 'Authenticated operator who decided.';
COMMENT ON COLUMN recommendation_decisions.decided_at IS 'When the decision was made (UTC).';
COMMENT ON COLUMN recommendation_decisions.flag_id IS 'The surge flag an approval created (simulation_flags.id); null for a dismissal.';
