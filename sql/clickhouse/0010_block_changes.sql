-- Changes per block of ids, so that a sealed hour (0007 delivered sums, 0009 placed sums;
-- internal/seal) sees every change of a row it counted, wherever that row went since. Same
-- portability as 0001-0009.
--
-- An hour's seal counted the rows that were in the hour at its T. A later change of such a row
-- can take it out of the hour — a delete (a tombstone carries only the id), a status leaving
-- delivered, a delivered_at or placed_at moved to another hour, a line moved to another order
-- — and the new version names no longer the old hour, so the hour states of 0007 and 0009 miss
-- it. Every row ever in an hour is within the hour's id bounds (id_bounds_state, 0007: its
-- bounds only widen), which is also where the seal read it. So each change is kept by the
-- block of 1024 ids of its row, whatever the row says, and an hour changes when any block
-- that its id bounds overlap changes (internal/delivered, internal/placed): exact, and it
-- over-invalidates only the neighbours of a block.
--
--   source 'orders': every version of an order, tombstones included, and every row of
--     orders_enriched, by intDiv(order id, 1024): the orders of the delivered hours (id bounds
--     'orders.delivered_at') and of the placed hours ('orders.placed_at');
--   source 'order_items': every version of an order line, tombstones included, by
--     intDiv(line id, 1024): the lines of the placed hours (the line id bounds of the blocks of
--     their orders, 'order_items.order_id'). A line moved to another order or deleted is
--     within the old order's line bounds.
--
-- max(_ingested_at), which a replay cannot lower, so the state stays exact under replays,
-- merges and backfills. The backfill below takes each kept version's own _ingested_at, so a
-- seal written before this migration that missed a later change is no longer valid.

-- When each block of ids last changed, per source.
CREATE TABLE IF NOT EXISTS block_changes_state (
    source  String                           COMMENT 'What the blocks are of: orders (order ids: the orders mirror, tombstones included, and orders_enriched) or order_items (order line ids, tombstones included).',
    block   Int64                            COMMENT 'intDiv(id, 1024) of the order, or of the order line.',
    changed AggregateFunction(max, DateTime) COMMENT 'State of max(_ingested_at) of the rows of the block, every version and tombstone.'
) ENGINE = AggregatingMergeTree ORDER BY (source, block);

-- The blocks of each insert into the orders mirror: every version and tombstone.
CREATE MATERIALIZED VIEW IF NOT EXISTS block_changes_orders_mv TO block_changes_state (
    source  String                           COMMENT 'See block_changes_state.',
    block   Int64                            COMMENT 'intDiv(id, 1024).',
    changed AggregateFunction(max, DateTime) COMMENT 'State of max(_ingested_at) over the rows of the inserted block.'
) AS
SELECT 'orders' AS source, intDiv(id, 1024) AS block, maxState(_ingested_at) AS changed
FROM orders
GROUP BY block;

-- The blocks of each insert into orders_enriched (by order id, as the orders mirror).
CREATE MATERIALIZED VIEW IF NOT EXISTS block_changes_enriched_mv TO block_changes_state (
    source  String                           COMMENT 'See block_changes_state.',
    block   Int64                            COMMENT 'intDiv(order_id, 1024).',
    changed AggregateFunction(max, DateTime) COMMENT 'State of max(_ingested_at) over the rows of the inserted block.'
) AS
SELECT 'orders' AS source, intDiv(order_id, 1024) AS block, maxState(_ingested_at) AS changed
FROM orders_enriched
GROUP BY block;

-- The blocks of each insert into order_items: every version and tombstone, by line id.
CREATE MATERIALIZED VIEW IF NOT EXISTS block_changes_order_items_mv TO block_changes_state (
    source  String                           COMMENT 'See block_changes_state.',
    block   Int64                            COMMENT 'intDiv(id, 1024) of the line.',
    changed AggregateFunction(max, DateTime) COMMENT 'State of max(_ingested_at) over the rows of the inserted block.'
) AS
SELECT 'order_items' AS source, intDiv(id, 1024) AS block, maxState(_ingested_at) AS changed
FROM order_items
GROUP BY block;

-- The rows already there. The views above were created first, so a row inserted meanwhile is
-- counted by its view, by this, or by both: max absorbs it, and running this again is harmless.
INSERT INTO block_changes_state
SELECT 'orders', intDiv(id, 1024) AS block, maxState(_ingested_at) FROM orders GROUP BY block;
INSERT INTO block_changes_state
SELECT 'orders', intDiv(order_id, 1024) AS block, maxState(_ingested_at) FROM orders_enriched GROUP BY block;
INSERT INTO block_changes_state
SELECT 'order_items', intDiv(id, 1024) AS block, maxState(_ingested_at) FROM order_items GROUP BY block;

-- The delivered sums sealed per city as well: per hour, one row per city, restaurant and
-- courier with a delivery and per city of its orders, per seal. delivered_per_hour_sealed
-- (0007) keeps one row per key with the city of any of its orders, so a read of one city
-- counted a courier's orders of every city of the hour in one of them (and those without a
-- courier, key 0, are of every city), where the live sum counts that city's only. The sealer
-- writes these from now on; they have their own markers, so every hour is sealed afresh
-- once, and delivered_per_hour_sealed and delivered_sealed_hours are no longer read.
CREATE TABLE IF NOT EXISTS delivered_city_hour_sealed (
    hour             DateTime('UTC') COMMENT 'Hour of delivered_at (UTC).',
    dim              String          COMMENT 'What key is: city, restaurant or courier.',
    key              Int64           COMMENT 'The city, restaurant or courier id (courier 0: delivered without a courier).',
    city_id          Int32           COMMENT 'The city of the orders (orders.city_id).',
    sealed_at        DateTime        COMMENT 'T of the seal that computed the row.',
    delivered_orders UInt64          COMMENT 'Orders of the key and city delivered in the hour (not deleted, newest version).',
    revenue_millimes Int64           COMMENT 'Σ total of those orders, millimes (1/1000 TND).',
    delivery_seconds Int64           COMMENT 'Σ delivered_at − placed_at of those orders, seconds.'
) ENGINE = ReplacingMergeTree(sealed_at) PARTITION BY toYYYYMM(hour) ORDER BY (hour, dim, key, city_id);

-- Their seals: an hour's rows are those of its newest marker's sealed_at.
CREATE TABLE IF NOT EXISTS delivered_city_sealed_hours (
    hour      DateTime('UTC') COMMENT 'Hour of delivered_at (UTC).',
    sealed_at DateTime        COMMENT 'T of the seal.'
) ENGINE = ReplacingMergeTree(sealed_at) PARTITION BY toYYYYMM(hour) ORDER BY hour;
