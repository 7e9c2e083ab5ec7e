-- CDC mirrors of the operator tables of sql/postgres/0002_operator.sql: alert
-- acknowledgements and city mutes, written by the ingester from the Debezium topics
-- <prefix>.public.alert_acks and <prefix>.public.city_mutes like the mirrors of 0001 (same
-- CDC columns, same reading rules: FINAL and _is_deleted = 0), so that a replay of a city
-- shows what the operators did about its alerts. Both are small: read them with FINAL.

-- Alert episodes acknowledged by an operator; mirror of PostgreSQL public.alert_acks.
CREATE TABLE IF NOT EXISTS alert_acks (
    alert_id      String                 COMMENT 'Episode id, as in alerts.id (PostgreSQL primary key).',
    actor         String                 COMMENT 'Operator who acknowledged it.',
    acked_at      DateTime('UTC')        COMMENT 'When it was acknowledged.',
    note          Nullable(String)       COMMENT 'The operator''s note; null when none.',
    _version      UInt64                 COMMENT 'Source LSN of the change that wrote this row; the highest wins.',
    _is_deleted   UInt8                  COMMENT '1 when the row was deleted at the source.',
    _source_ts_ms Int64                  COMMENT 'Commit time at the source, epoch milliseconds.',
    _ingested_at  DateTime DEFAULT now() COMMENT 'When the ingester wrote the row (UTC).'
) ENGINE = ReplacingMergeTree(_version) ORDER BY alert_id;

-- Mutes of a city's alerts, one row per mute; mirror of PostgreSQL public.city_mutes. The
-- mute in force for a city is its latest row (created_at, then id) while until is ahead.
CREATE TABLE IF NOT EXISTS city_mutes (
    id            Int64                  COMMENT 'Mute id (PostgreSQL primary key).',
    city_id       Int32                  COMMENT 'City muted (cities.id).',
    until         DateTime('UTC')        COMMENT 'End of the mute.',
    actor         String                 COMMENT 'Operator who muted the city.',
    created_at    DateTime('UTC')        COMMENT 'When the mute was set; a later mute of the city replaces it.',
    _version      UInt64                 COMMENT 'Source LSN of the change that wrote this row; the highest wins.',
    _is_deleted   UInt8                  COMMENT '1 when the row was deleted at the source.',
    _source_ts_ms Int64                  COMMENT 'Commit time at the source, epoch milliseconds.',
    _ingested_at  DateTime DEFAULT now() COMMENT 'When the ingester wrote the row (UTC).'
) ENGINE = ReplacingMergeTree(_version) ORDER BY id;

-- simulation_flags gained the kind nudge (params {"courier_id": n}).
ALTER TABLE simulation_flags COMMENT COLUMN kind 'rain, promo, courier_outage, surge or nudge.';
ALTER TABLE simulation_flags COMMENT COLUMN params 'Kind-specific parameters, JSON text, e.g. {"factor": 1.5}, {"share": 0.5} or {"courier_id": 17}.';
