-- Rollups of SPEC §7 that panels read often: orders per city per minute, static SLA breaches
-- per city per minute, revenue per city per hour. Same portability as 0001-0003: runs on
-- ClickHouse 18.16 and on current releases.
--
-- Each rollup <name> is three objects:
--   <name>_state  an AggregatingMergeTree of aggregate states, one row per (city, bucket) once
--                 merged; partitioned by month, so that old months can be dropped (no TTL);
--   <name>_mv     the materialized view that adds the states of every block inserted into the
--                 source table to <name>_state;
--   <name>        a plain view that merges the states and is the query to use, e.g.
--                 SELECT minute, orders FROM orders_per_city_minute WHERE city_id = 3
-- (on 18.16 add SETTINGS enable_optimize_predicate_expression = 1, so that the WHERE reaches
-- <name>_state instead of filtering the merged whole; current releases do it by default).
--
-- Exact under replays. The ingester may write a row twice after a crash (same key, same
-- _version), and the orders mirror gets one row per change of an order. A materialized view
-- sees every inserted row, duplicates included, before any merge, so sum or count states
-- would count a replayed row twice. These states are sets instead (uniqExact of the order id,
-- groupUniqArray of the order's delivered versions), and a set absorbs an element it already
-- holds: a replay changes nothing, whichever insert or part the copies land in.
--
-- A view counts the rows inserted into its source table after it was created, not the rows
-- already there. No POPULATE (it misses the rows inserted while it runs): the backfill given
-- above each view adds them, and since its states are the same sets it can run at any time
-- after the view exists, and more than once (TestClickHouseRollups runs each twice).
--
-- Buckets are in UTC, like the source columns (toStartOfMinute and toStartOfHour keep the
-- time zone of a DateTime('UTC')).

-- Orders per city per minute of placed_at, aggregate states; written by
-- orders_per_city_minute_mv, read through the view orders_per_city_minute.
CREATE TABLE IF NOT EXISTS orders_per_city_minute_state (
    city_id Int64                               COMMENT 'City id (orders_enriched.city_id).',
    minute  DateTime('UTC')                     COMMENT 'Minute of placed_at (UTC), start of the bucket.',
    orders  AggregateFunction(uniqExact, Int64) COMMENT 'State of uniqExact(order_id): the set of orders placed in the minute.'
) ENGINE = AggregatingMergeTree PARTITION BY toYYYYMM(minute) ORDER BY (city_id, minute);

-- Fills orders_per_city_minute_state from each insert into orders_enriched (one row per order).
-- Backfill (rows of orders_enriched written before this view):
--   INSERT INTO orders_per_city_minute_state
--   SELECT city_id, toStartOfMinute(placed_at) AS minute, uniqExactState(order_id)
--   FROM orders_enriched GROUP BY city_id, minute
CREATE MATERIALIZED VIEW IF NOT EXISTS orders_per_city_minute_mv TO orders_per_city_minute_state (
    city_id Int64                               COMMENT 'City id (orders_enriched.city_id).',
    minute  DateTime('UTC')                     COMMENT 'Minute of placed_at (UTC), start of the bucket.',
    orders  AggregateFunction(uniqExact, Int64) COMMENT 'State of uniqExact(order_id) over the inserted block.'
) AS
SELECT city_id, toStartOfMinute(placed_at) AS minute, uniqExactState(order_id) AS orders
FROM orders_enriched
GROUP BY city_id, minute;

-- Orders placed per city per minute: the read query of the rollup (only the minutes with
-- orders have a row).
CREATE VIEW IF NOT EXISTS orders_per_city_minute (
    city_id Int64           COMMENT 'City id.',
    minute  DateTime('UTC') COMMENT 'Minute of placed_at (UTC), start of the bucket.',
    orders  UInt64          COMMENT 'Orders placed in the city in that minute, each counted once.'
) AS
SELECT city_id, minute, uniqExactMerge(orders) AS orders
FROM orders_per_city_minute_state
GROUP BY city_id, minute;

-- Static SLA violations per city per minute of observed_at, aggregate states; written by
-- sla_breaches_per_city_minute_mv, read through the view sla_breaches_per_city_minute.
CREATE TABLE IF NOT EXISTS sla_breaches_per_city_minute_state (
    city_id  Int32                                        COMMENT 'City id (sla_violations.city_id).',
    minute   DateTime('UTC')                              COMMENT 'Minute of observed_at (UTC), start of the bucket.',
    at_risk  AggregateFunction(uniqExactIf, Int64, UInt8) COMMENT 'State of uniqExactIf(order_id, kind = at_risk): the orders still open at their deadline in the minute.',
    breaches AggregateFunction(uniqExactIf, Int64, UInt8) COMMENT 'State of uniqExactIf(order_id, kind = breach): the orders delivered late in the minute.'
) ENGINE = AggregatingMergeTree PARTITION BY toYYYYMM(minute) ORDER BY (city_id, minute);

-- Fills sla_breaches_per_city_minute_state from each insert into sla_violations (at most one
-- row per order, of one kind).
-- Backfill (rows of sla_violations written before this view):
--   INSERT INTO sla_breaches_per_city_minute_state
--   SELECT city_id, toStartOfMinute(observed_at) AS minute,
--          uniqExactIfState(order_id, kind = 'at_risk'), uniqExactIfState(order_id, kind = 'breach')
--   FROM sla_violations GROUP BY city_id, minute
CREATE MATERIALIZED VIEW IF NOT EXISTS sla_breaches_per_city_minute_mv TO sla_breaches_per_city_minute_state (
    city_id  Int32                                        COMMENT 'City id (sla_violations.city_id).',
    minute   DateTime('UTC')                              COMMENT 'Minute of observed_at (UTC), start of the bucket.',
    at_risk  AggregateFunction(uniqExactIf, Int64, UInt8) COMMENT 'State of uniqExactIf(order_id, kind = at_risk) over the inserted block.',
    breaches AggregateFunction(uniqExactIf, Int64, UInt8) COMMENT 'State of uniqExactIf(order_id, kind = breach) over the inserted block.'
) AS
SELECT city_id, toStartOfMinute(observed_at) AS minute,
       uniqExactIfState(order_id, kind = 'at_risk') AS at_risk,
       uniqExactIfState(order_id, kind = 'breach') AS breaches
FROM sla_violations
GROUP BY city_id, minute;

-- Static SLA violations per city per minute of observed_at: the read query of the rollup
-- (only the minutes with a violation have a row).
CREATE VIEW IF NOT EXISTS sla_breaches_per_city_minute (
    city_id    Int32           COMMENT 'City id.',
    minute     DateTime('UTC') COMMENT 'Minute of observed_at (UTC), start of the bucket.',
    violations UInt64          COMMENT 'Orders with a static SLA violation in that minute: at_risk + breaches.',
    at_risk    UInt64          COMMENT 'Orders still open when their deadline passed in that minute.',
    breaches   UInt64          COMMENT 'Orders delivered after their deadline in that minute.'
) AS
SELECT city_id, minute, at_risk + breaches AS violations, at_risk, breaches
FROM (
    SELECT city_id, minute, uniqExactIfMerge(at_risk) AS at_risk, uniqExactIfMerge(breaches) AS breaches
    FROM sla_breaches_per_city_minute_state
    GROUP BY city_id, minute
);

-- Delivered orders per city per hour of delivered_at, aggregate states; written by
-- revenue_per_city_hour_mv, read through the view revenue_per_city_hour.
CREATE TABLE IF NOT EXISTS revenue_per_city_hour_state (
    city_id   Int32                                                                COMMENT 'City id (orders.city_id).',
    hour      DateTime('UTC')                                                      COMMENT 'Hour of delivered_at (UTC), start of the bucket.',
    delivered AggregateFunction(groupUniqArray, Tuple(Int64, UInt64, Decimal(10, 3))) COMMENT 'State of groupUniqArray((id, _version, total)): the delivered versions of the orders delivered in the hour.'
) ENGINE = AggregatingMergeTree PARTITION BY toYYYYMM(hour) ORDER BY (city_id, hour);

-- Fills revenue_per_city_hour_state from each insert into the orders mirror: the versions
-- with status delivered. An order has one, written again by a replay (same _version) or a new
-- snapshot (a higher one); a change to a delivered order adds another. delivered is final in
-- the order lifecycle and delivered_at is set once, so an order stays in one hour; a delete
-- of a delivered order is not subtracted.
-- Backfill (rows of orders written before this view):
--   INSERT INTO revenue_per_city_hour_state
--   SELECT city_id, toStartOfHour(assumeNotNull(delivered_at)) AS hour,
--          groupUniqArrayState(tuple(id, _version, total))
--   FROM orders WHERE status = 'delivered' AND _is_deleted = 0 AND delivered_at IS NOT NULL
--   GROUP BY city_id, hour
CREATE MATERIALIZED VIEW IF NOT EXISTS revenue_per_city_hour_mv TO revenue_per_city_hour_state (
    city_id   Int32                                                                COMMENT 'City id (orders.city_id).',
    hour      DateTime('UTC')                                                      COMMENT 'Hour of delivered_at (UTC), start of the bucket.',
    delivered AggregateFunction(groupUniqArray, Tuple(Int64, UInt64, Decimal(10, 3))) COMMENT 'State of groupUniqArray((id, _version, total)) over the delivered rows of the inserted block.'
) AS
SELECT city_id, toStartOfHour(assumeNotNull(delivered_at)) AS hour,
       groupUniqArrayState(tuple(id, _version, total)) AS delivered
FROM orders
WHERE status = 'delivered' AND _is_deleted = 0 AND delivered_at IS NOT NULL
GROUP BY city_id, hour;

-- Revenue per city per hour of delivered_at: the read query of the rollup (only the hours
-- with a delivery have a row). An order counts once, with the total of its newest delivered
-- version.
CREATE VIEW IF NOT EXISTS revenue_per_city_hour (
    city_id          Int32           COMMENT 'City id.',
    hour             DateTime('UTC') COMMENT 'Hour of delivered_at (UTC), start of the bucket.',
    delivered_orders UInt64          COMMENT 'Orders delivered in the city in that hour.',
    revenue          Decimal(38, 3)  COMMENT 'Σ total of those orders, TND.'
) AS
SELECT city_id, hour, count() AS delivered_orders, sum(total) AS revenue
FROM (
    SELECT city_id, hour, d.1 AS order_id, argMax(d.3, d.2) AS total
    FROM (
        SELECT city_id, hour, groupUniqArrayMerge(delivered) AS versions
        FROM revenue_per_city_hour_state
        GROUP BY city_id, hour
    )
    ARRAY JOIN versions AS d
    GROUP BY city_id, hour, order_id
)
GROUP BY city_id, hour;
