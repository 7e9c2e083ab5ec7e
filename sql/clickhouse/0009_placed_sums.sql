-- Sums of the orders per hour of placed_at, sealed (SPEC §7-§8): what the top dishes and the
-- two weather reads add up, so that a day or a week reads a few rows per hour instead of
-- joining every order line or enriched order with the orders mirror under FINAL. Same
-- portability as 0001-0007, and the mechanism of the delivered sums of 0007 (internal/seal):
--
-- The sealer (internal/placed on internal/seal, run by the ingester every -seal-interval and
-- by flavortrend seal) takes a time T from the server, computes each finished hour that changed since its
-- last seal exactly from the sources (FINAL, within the hour's id bounds), writes the hour's
-- rows to placed_dishes_sealed and placed_weather_sealed stamped T, then its marker to
-- placed_sealed_hours. A seal is valid while no input of its hour was ingested at or after
-- T − 120 s (an insert started before T may become visible after the seal's read); the API
-- reads the valid sealed hours wholly inside its window and sums the rest live, so an answer
-- never depends on whether the sealer ran. Rows whose sealed_at is not their hour's marker's
-- (a seal half written) are not read.
--
-- The inputs of an hour, and how their changes are kept (max(_ingested_at), which a replayed
-- row cannot lower, so the states stay exact under replays and backfills):
--   - the orders mirror: every version, by the hour of its placed_at (placed_changes_state);
--     placed_at is set once at placement, so an order stays in one hour. A delete carries
--     only the id: it is kept by block of 1024 order ids (placed_block_changes_state);
--   - orders_enriched, by the hour of its placed_at (placed_changes_state); the enricher
--     copies placed_at from the order, so both sides of the weather join agree on the hour;
--   - the order lines, which have no placed_at: by block of 1024 order ids
--     (placed_block_changes_state). An hour's blocks are those of its order-id range, from
--     id_bounds_state 'orders.placed_at' (0007): a line of one of its orders is in that range,
--     and an order that widens the range is itself a change of the hour.
-- Limit: a deleted order line carries only its own id, so a sealed hour keeps counting it
-- until the hour changes again (the simulator never deletes lines).

-- When each hour of placed_at last changed, through the orders mirror or orders_enriched.
CREATE TABLE IF NOT EXISTS placed_changes_state (
    hour    DateTime('UTC')                  COMMENT 'Hour of placed_at (UTC).',
    changed AggregateFunction(max, DateTime) COMMENT 'State of max(_ingested_at) of the orders versions (not deleted) and orders_enriched rows placed in the hour.'
) ENGINE = AggregatingMergeTree PARTITION BY toYYYYMM(hour) ORDER BY hour;

-- The hours of each insert's orders versions (tombstones carry no placed_at: see below).
CREATE MATERIALIZED VIEW IF NOT EXISTS placed_changes_orders_mv TO placed_changes_state (
    hour    DateTime('UTC')                  COMMENT 'Hour of placed_at (UTC).',
    changed AggregateFunction(max, DateTime) COMMENT 'State of max(_ingested_at) over the versions of the inserted block.'
) AS
SELECT toStartOfHour(placed_at) AS hour, maxState(_ingested_at) AS changed
FROM orders WHERE _is_deleted = 0
GROUP BY hour;

-- The hours of each insert into orders_enriched.
CREATE MATERIALIZED VIEW IF NOT EXISTS placed_changes_enriched_mv TO placed_changes_state (
    hour    DateTime('UTC')                  COMMENT 'Hour of placed_at (UTC).',
    changed AggregateFunction(max, DateTime) COMMENT 'State of max(_ingested_at) over the rows of the inserted block.'
) AS
SELECT toStartOfHour(placed_at) AS hour, maxState(_ingested_at) AS changed
FROM orders_enriched
GROUP BY hour;

-- When each block of 1024 order ids last changed, through its order lines or a delete of one of
-- its orders.
CREATE TABLE IF NOT EXISTS placed_block_changes_state (
    block   Int64                            COMMENT 'intDiv(order id, 1024).',
    changed AggregateFunction(max, DateTime) COMMENT 'State of max(_ingested_at) of the order lines (not deleted) of the block''s orders and of its orders'' tombstones.'
) ENGINE = AggregatingMergeTree ORDER BY block;

-- The blocks of each insert's order lines.
CREATE MATERIALIZED VIEW IF NOT EXISTS placed_block_changes_items_mv TO placed_block_changes_state (
    block   Int64                            COMMENT 'intDiv(order_id, 1024).',
    changed AggregateFunction(max, DateTime) COMMENT 'State of max(_ingested_at) over the lines of the inserted block.'
) AS
SELECT intDiv(order_id, 1024) AS block, maxState(_ingested_at) AS changed
FROM order_items WHERE _is_deleted = 0
GROUP BY block;

-- The blocks of each insert's orders tombstones.
CREATE MATERIALIZED VIEW IF NOT EXISTS placed_block_changes_deletes_mv TO placed_block_changes_state (
    block   Int64                            COMMENT 'intDiv(id, 1024) of the deleted order.',
    changed AggregateFunction(max, DateTime) COMMENT 'State of max(_ingested_at) over the tombstones of the inserted block.'
) AS
SELECT intDiv(id, 1024) AS block, maxState(_ingested_at) AS changed
FROM orders WHERE _is_deleted = 1
GROUP BY block;

-- The rows already there. The views above were created first, so a row inserted meanwhile is
-- counted by its view, by this, or by both: max absorbs it, and running this again is harmless.
INSERT INTO placed_changes_state
SELECT toStartOfHour(placed_at) AS hour, maxState(_ingested_at) FROM orders WHERE _is_deleted = 0 GROUP BY hour;
INSERT INTO placed_changes_state
SELECT toStartOfHour(placed_at) AS hour, maxState(_ingested_at) FROM orders_enriched GROUP BY hour;
INSERT INTO placed_block_changes_state
SELECT intDiv(order_id, 1024) AS block, maxState(_ingested_at) FROM order_items WHERE _is_deleted = 0 GROUP BY block;
INSERT INTO placed_block_changes_state
SELECT intDiv(id, 1024) AS block, maxState(_ingested_at) FROM orders WHERE _is_deleted = 1 GROUP BY block;

-- The sealed sums of the top dishes: per hour, one row per dish and city sold, and one per dish
-- of all cities (city 0), per seal. An order is in one city, so its dishes add up over the
-- cities; the all-cities rows spare a read of every city one row per dish and city and hour.
-- Ordered by city first, so that a read of one city (or of all, 0) is one range of the key.
CREATE TABLE IF NOT EXISTS placed_dishes_sealed (
    hour           DateTime('UTC') COMMENT 'Hour of placed_at (UTC).',
    city_id        Int32           COMMENT 'The city of the orders (orders.city_id); 0: all cities.',
    menu_item_id   Int32           COMMENT 'The dish (order_items.menu_item_id).',
    sealed_at      DateTime        COMMENT 'T of the seal that computed the row.',
    units          Int64           COMMENT 'Σ qty of the dish''s lines (order_items, newest version, not deleted) of the orders placed in the hour in the city, not cancelled (orders, newest version, not deleted).',
    orders         UInt64          COMMENT 'Those orders that have the dish.',
    sales_millimes Int64           COMMENT 'Σ qty × unit_price of those lines, millimes (1/1000 TND).'
) ENGINE = ReplacingMergeTree(sealed_at) PARTITION BY toYYYYMM(hour) ORDER BY (city_id, hour, menu_item_id);

-- The sealed sums of the weather reads: per hour, one row per city and weather at placement,
-- per seal.
CREATE TABLE IF NOT EXISTS placed_weather_sealed (
    hour              DateTime('UTC') COMMENT 'Hour of placed_at (UTC).',
    city_id           Int64           COMMENT 'orders_enriched.city_id.',
    weather_condition String          COMMENT 'orders_enriched.weather_condition: in force at placement; empty when the city had no observation yet.',
    is_rain           UInt8           COMMENT 'orders_enriched.is_rain.',
    is_rush_hour      UInt8           COMMENT 'orders_enriched.is_rush_hour.',
    sealed_at         DateTime        COMMENT 'T of the seal that computed the row.',
    placed_orders     UInt64          COMMENT 'Orders placed in the hour with these values (orders_enriched FINAL).',
    delivered_orders  UInt64          COMMENT 'Those of them delivered (orders mirror, newest version, not deleted, status delivered).',
    delivery_seconds  Int64           COMMENT 'Σ delivered_at − placed_at of the delivered ones, seconds.'
) ENGINE = ReplacingMergeTree(sealed_at) PARTITION BY toYYYYMM(hour) ORDER BY (hour, city_id, weather_condition, is_rain, is_rush_hour);

-- The seals of both: an hour's rows are those of its newest marker's sealed_at.
CREATE TABLE IF NOT EXISTS placed_sealed_hours (
    hour      DateTime('UTC') COMMENT 'Hour of placed_at (UTC).',
    sealed_at DateTime        COMMENT 'T of the seal.'
) ENGINE = ReplacingMergeTree(sealed_at) PARTITION BY toYYYYMM(hour) ORDER BY hour;
