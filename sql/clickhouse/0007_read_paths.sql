-- Read paths for windows over 10M+ orders (SPEC §7-§8). Same portability as 0001-0006.
--
-- 1. The facts read by time window are rebuilt ordered by their event time: orders_enriched
--    by placed_at, sla_violations by observed_at, sla_dynamic_violations and eta_outcomes by
--    delivered_at, each then by order_id, and partitioned by the month of that time. A window
--    then reads only its own granules (0002 ordered them by (city_id, order_id), so a window
--    scanned every row under FINAL). Each fact is written once per order with a time that
--    never changes, so a replayed row has the same sort key and FINAL still collapses it.
--    The rebuild copies the rows, swaps the names and recreates the two rollup views that read
--    these tables (their _state tables are kept). Run it with the ingesters stopped: rows
--    written during the copy would land in the old table.
--
-- 2. id_bounds_state: the smallest and largest row id per bucket of a time (or of an order
--    id) for the CDC mirrors, which are ordered by their primary key and cannot be ordered by
--    time (a DELETE carries only the key). Ids come from PostgreSQL sequences, so a window of
--    minutes is a narrow id range; a read first takes the bounds of its buckets, then reads
--    the mirror WHERE id BETWEEN lo AND hi AND <the exact condition>, which the primary key
--    prunes. min and max absorb a replayed row, so the bounds stay exact under replays; a
--    version that moved (a changed placed_at) only widens them.
--
-- 3. table_freshness_state: the newest source commit per mirror, without scanning it.
--
-- 4. Delivered orders per hour by city, restaurant and courier (delivered_per_hour_sealed,
--    delivered_sealed_hours, delivered_changes_state): exact sums for finished hours, written
--    by the sealer that runs in the ingester (internal/delivered) and read by the API beside a
--    live sum of the hours not sealed.

-- 1. Facts by event time.
DROP TABLE IF EXISTS orders_per_city_minute_mv;
DROP TABLE IF EXISTS sla_breaches_per_city_minute_mv;

-- orders_enriched (0002) ordered by placed_at, then order_id; it takes the name orders_enriched below.
CREATE TABLE IF NOT EXISTS orders_enriched_by_time (
    order_id                    Int64 COMMENT 'Order id.',
    customer_id                 Int64 COMMENT 'Customer id.',
    restaurant_id               Int64 COMMENT 'Restaurant id.',
    city_id                     Int64 COMMENT 'City id.',
    placed_at                   DateTime('UTC') COMMENT 'When the order was placed (UTC).',
    items_count                 Int64 COMMENT 'Number of items ordered.',
    total                       Decimal(10, 3) COMMENT 'Order total, TND.',
    promised_minutes            Int64 COMMENT 'Delivery time promised to the customer, minutes.',
    weather_observation_id      Int64 COMMENT 'weather_observations.id joined as of placed_at; 0 when the city had none yet.',
    distance_km                 Float64 COMMENT 'Haversine distance restaurant → drop-off, km (SPEC §4.2).',
    hour_of_day                 Int32 COMMENT 'Hour of placed_at in local time (Africa/Tunis), 0-23.',
    day_of_week                 Int32 COMMENT 'Local day of week of placed_at, ISO: 1 = Monday … 7 = Sunday.',
    is_weekend                  UInt8 COMMENT '1 on Saturday and Sunday, local time.',
    is_rush_hour                UInt8 COMMENT '1 from 12:00 to 14:00 and from 19:00 to 21:00 local time.',
    is_holiday                  UInt8 COMMENT '1 on a fixed-date public holiday, local date.',
    restaurant_avg_prep_minutes Float64 COMMENT 'Average preparation minutes of the restaurant at placement.',
    has_courier                 UInt8 COMMENT '1 when a courier was assigned at placement (the courier columns are 0/empty otherwise).',
    courier_vehicle             String COMMENT 'Vehicle of the assigned courier: bicycle, scooter, motorcycle or car; empty when none.',
    courier_speed_factor        Float64 COMMENT 'Speed factor of the assigned courier; 0 when none.',
    courier_active_deliveries   Int32 COMMENT 'Active deliveries of the assigned courier; 0 when none.',
    weather_condition           String COMMENT 'Condition of the weather observation in force at placement; empty when the city had none.',
    temperature_c               Float64 COMMENT 'Temperature of that observation, °C.',
    precipitation_mm            Float64 COMMENT 'Precipitation of that observation, mm.',
    is_rain                     UInt8 COMMENT '1 when that condition is rainy or stormy (SPEC §4.1).',
    city_pressure               Float64 COMMENT 'City pressure (0-100, SPEC §4.7) at placement.',
    _version                    UInt64 COMMENT 'Kafka offset of the record that wrote this row; a replay writes the same offset, and the highest wins.',
    _is_deleted                 UInt8 COMMENT 'Always 0: derived facts are not deleted.',
    _source_ts_ms               Int64 COMMENT 'Kafka timestamp of the record, epoch milliseconds (when the enricher produced it).',
    _ingested_at                DateTime DEFAULT now() COMMENT 'When the ingester wrote the row (UTC).'
) ENGINE = ReplacingMergeTree(_version) PARTITION BY toYYYYMM(placed_at) ORDER BY (placed_at, order_id);

-- sla_violations (0002) ordered by observed_at, then order_id; it takes the name sla_violations below.
CREATE TABLE IF NOT EXISTS sla_violations_by_time (
    order_id          Int64 COMMENT 'Order id.',
    city_id           Int32 COMMENT 'City id.',
    kind              String COMMENT 'at_risk or breach.',
    placed_at         DateTime('UTC') COMMENT 'When the order was placed (UTC).',
    deadline          DateTime('UTC') COMMENT 'placed_at + the SLA threshold of the city (UTC).',
    observed_at       DateTime('UTC') COMMENT 'When the violation happened in event time: the deadline (at_risk) or delivered_at (breach).',
    threshold_minutes Float64 COMMENT 'SLA threshold of the city, minutes (45 by default).',
    actual_minutes    Float64 COMMENT 'observed_at − placed_at, minutes.',
    delay_minutes     Float64 COMMENT 'actual_minutes − threshold_minutes.',
    _version          UInt64 COMMENT 'Kafka offset of the record that wrote this row; a replay writes the same offset, and the highest wins.',
    _is_deleted       UInt8 COMMENT 'Always 0: derived facts are not deleted.',
    _source_ts_ms     Int64 COMMENT 'Kafka timestamp of the record, epoch milliseconds (when the enricher produced it).',
    _ingested_at      DateTime DEFAULT now() COMMENT 'When the ingester wrote the row (UTC).'
) ENGINE = ReplacingMergeTree(_version) PARTITION BY toYYYYMM(observed_at) ORDER BY (observed_at, order_id);

-- sla_dynamic_violations (0002) ordered by delivered_at, then order_id; it takes the name sla_dynamic_violations below.
CREATE TABLE IF NOT EXISTS sla_dynamic_violations_by_time (
    order_id          Int64 COMMENT 'Order id.',
    city_id           Int32 COMMENT 'City id.',
    model_version     String COMMENT 'Model that made the prediction.',
    placed_at         DateTime('UTC') COMMENT 'When the order was placed (UTC).',
    delivered_at      DateTime('UTC') COMMENT 'When it was delivered (UTC).',
    predicted_minutes Float64 COMMENT 'Minutes predicted at placement.',
    actual_minutes    Float64 COMMENT 'delivered_at − placed_at, minutes.',
    overrun_minutes   Float64 COMMENT 'actual − predicted, minutes.',
    overrun_ratio     Float64 COMMENT 'actual / predicted (a ratio, not a percent).',
    abs_error_minutes Float64 COMMENT '|actual − predicted|, minutes.',
    _version          UInt64 COMMENT 'Kafka offset of the record that wrote this row; a replay writes the same offset, and the highest wins.',
    _is_deleted       UInt8 COMMENT 'Always 0: derived facts are not deleted.',
    _source_ts_ms     Int64 COMMENT 'Kafka timestamp of the record, epoch milliseconds (when the enricher produced it).',
    _ingested_at      DateTime DEFAULT now() COMMENT 'When the ingester wrote the row (UTC).'
) ENGINE = ReplacingMergeTree(_version) PARTITION BY toYYYYMM(delivered_at) ORDER BY (delivered_at, order_id);

-- eta_outcomes (0002) ordered by delivered_at, then order_id; it takes the name eta_outcomes below.
CREATE TABLE IF NOT EXISTS eta_outcomes_by_time (
    order_id          Int64 COMMENT 'Order id.',
    city_id           Int64 COMMENT 'City id.',
    model_version     String COMMENT 'Model that made the prediction.',
    placed_at         DateTime('UTC') COMMENT 'When the order was placed (UTC).',
    delivered_at      DateTime('UTC') COMMENT 'When it was delivered (UTC).',
    predicted_minutes Float64 COMMENT 'Minutes predicted at placement.',
    actual_minutes    Float64 COMMENT 'delivered_at − placed_at, minutes.',
    overrun_minutes   Float64 COMMENT 'actual − predicted, minutes.',
    overrun_ratio     Float64 COMMENT 'actual / predicted (a ratio, not a percent).',
    abs_error_minutes Float64 COMMENT '|actual − predicted|, minutes.',
    _version          UInt64 COMMENT 'Kafka offset of the record that wrote this row; a replay writes the same offset, and the highest wins.',
    _is_deleted       UInt8 COMMENT 'Always 0: derived facts are not deleted.',
    _source_ts_ms     Int64 COMMENT 'Kafka timestamp of the record, epoch milliseconds (when the enricher produced it).',
    _ingested_at      DateTime DEFAULT now() COMMENT 'When the ingester wrote the row (UTC).'
) ENGINE = ReplacingMergeTree(_version) PARTITION BY toYYYYMM(delivered_at) ORDER BY (delivered_at, order_id);

INSERT INTO orders_enriched_by_time SELECT * FROM orders_enriched;
RENAME TABLE orders_enriched TO orders_enriched_by_city, orders_enriched_by_time TO orders_enriched;
DROP TABLE orders_enriched_by_city;

INSERT INTO sla_violations_by_time SELECT * FROM sla_violations;
RENAME TABLE sla_violations TO sla_violations_by_city, sla_violations_by_time TO sla_violations;
DROP TABLE sla_violations_by_city;

INSERT INTO sla_dynamic_violations_by_time SELECT * FROM sla_dynamic_violations;
RENAME TABLE sla_dynamic_violations TO sla_dynamic_violations_by_city, sla_dynamic_violations_by_time TO sla_dynamic_violations;
DROP TABLE sla_dynamic_violations_by_city;

INSERT INTO eta_outcomes_by_time SELECT * FROM eta_outcomes;
RENAME TABLE eta_outcomes TO eta_outcomes_by_city, eta_outcomes_by_time TO eta_outcomes;
DROP TABLE eta_outcomes_by_city;

-- The rollup views of 0004 that read these facts, as they were: orders_per_city_minute_mv.
CREATE MATERIALIZED VIEW IF NOT EXISTS orders_per_city_minute_mv TO orders_per_city_minute_state (
    city_id Int64                               COMMENT 'City id (orders_enriched.city_id).',
    minute  DateTime('UTC')                     COMMENT 'Minute of placed_at (UTC), start of the bucket.',
    orders  AggregateFunction(uniqExact, Int64) COMMENT 'State of uniqExact(order_id) over the inserted block.'
) AS
SELECT city_id, toStartOfMinute(placed_at) AS minute, uniqExactState(order_id) AS orders
FROM orders_enriched
GROUP BY city_id, minute;

-- sla_breaches_per_city_minute_mv, as in 0004.
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

-- 2. Id bounds of the CDC mirrors, aggregate states; written by the id_bounds_*_mv views, read
-- with minMerge(min_id), maxMerge(max_id) over the buckets of a window (internal/idbounds).
CREATE TABLE IF NOT EXISTS id_bounds_state (
    source String                          COMMENT 'What is bucketed: orders.placed_at, orders.delivered_at, order_items.order_id, courier_positions.recorded_at or courier_positions.order_id.',
    bucket Int64                           COMMENT 'For a time, the epoch second of its minute (UTC); for an order id, intDiv(order_id, 1024).',
    min_id AggregateFunction(min, Int64)   COMMENT 'State of min(id) of the rows in the bucket.',
    max_id AggregateFunction(max, Int64)   COMMENT 'State of max(id) of the rows in the bucket.'
) ENGINE = AggregatingMergeTree ORDER BY (source, bucket);

-- Orders by the minute of placed_at (every version, tombstones aside: they carry only the id).
CREATE MATERIALIZED VIEW IF NOT EXISTS id_bounds_orders_placed_mv TO id_bounds_state (
    source String                        COMMENT 'See id_bounds_state.',
    bucket Int64                         COMMENT 'See id_bounds_state.',
    min_id AggregateFunction(min, Int64) COMMENT 'State of min(id) over the inserted block.',
    max_id AggregateFunction(max, Int64) COMMENT 'State of max(id) over the inserted block.'
) AS
SELECT 'orders.placed_at' AS source, toInt64(toUInt32(toStartOfMinute(placed_at))) AS bucket,
       minState(id) AS min_id, maxState(id) AS max_id
FROM orders WHERE _is_deleted = 0
GROUP BY bucket;

-- Orders by the minute of delivered_at (the delivered versions).
CREATE MATERIALIZED VIEW IF NOT EXISTS id_bounds_orders_delivered_mv TO id_bounds_state (
    source String                        COMMENT 'See id_bounds_state.',
    bucket Int64                         COMMENT 'See id_bounds_state.',
    min_id AggregateFunction(min, Int64) COMMENT 'State of min(id) over the inserted block.',
    max_id AggregateFunction(max, Int64) COMMENT 'State of max(id) over the inserted block.'
) AS
SELECT 'orders.delivered_at' AS source, toInt64(toUInt32(toStartOfMinute(assumeNotNull(delivered_at)))) AS bucket,
       minState(id) AS min_id, maxState(id) AS max_id
FROM orders WHERE _is_deleted = 0 AND status = 'delivered' AND delivered_at IS NOT NULL
GROUP BY bucket;

-- Order lines by block of 1024 order ids.
CREATE MATERIALIZED VIEW IF NOT EXISTS id_bounds_order_items_mv TO id_bounds_state (
    source String                        COMMENT 'See id_bounds_state.',
    bucket Int64                         COMMENT 'See id_bounds_state.',
    min_id AggregateFunction(min, Int64) COMMENT 'State of min(id) over the inserted block.',
    max_id AggregateFunction(max, Int64) COMMENT 'State of max(id) over the inserted block.'
) AS
SELECT 'order_items.order_id' AS source, intDiv(order_id, 1024) AS bucket, minState(id) AS min_id, maxState(id) AS max_id
FROM order_items WHERE _is_deleted = 0
GROUP BY bucket;

-- GPS fixes by the minute of recorded_at.
CREATE MATERIALIZED VIEW IF NOT EXISTS id_bounds_positions_time_mv TO id_bounds_state (
    source String                        COMMENT 'See id_bounds_state.',
    bucket Int64                         COMMENT 'See id_bounds_state.',
    min_id AggregateFunction(min, Int64) COMMENT 'State of min(id) over the inserted block.',
    max_id AggregateFunction(max, Int64) COMMENT 'State of max(id) over the inserted block.'
) AS
SELECT 'courier_positions.recorded_at' AS source, toInt64(toUInt32(toStartOfMinute(recorded_at))) AS bucket,
       minState(id) AS min_id, maxState(id) AS max_id
FROM courier_positions WHERE _is_deleted = 0
GROUP BY bucket;

-- GPS fixes by block of 1024 order ids (fixes between deliveries have none).
CREATE MATERIALIZED VIEW IF NOT EXISTS id_bounds_positions_order_mv TO id_bounds_state (
    source String                        COMMENT 'See id_bounds_state.',
    bucket Int64                         COMMENT 'See id_bounds_state.',
    min_id AggregateFunction(min, Int64) COMMENT 'State of min(id) over the inserted block.',
    max_id AggregateFunction(max, Int64) COMMENT 'State of max(id) over the inserted block.'
) AS
SELECT 'courier_positions.order_id' AS source, intDiv(assumeNotNull(order_id), 1024) AS bucket,
       minState(id) AS min_id, maxState(id) AS max_id
FROM courier_positions WHERE _is_deleted = 0 AND order_id IS NOT NULL
GROUP BY bucket;

-- The rows already in the mirrors.
INSERT INTO id_bounds_state
SELECT 'orders.placed_at', toInt64(toUInt32(toStartOfMinute(placed_at))) AS bucket, minState(id), maxState(id)
FROM orders WHERE _is_deleted = 0 GROUP BY bucket;
INSERT INTO id_bounds_state
SELECT 'orders.delivered_at', toInt64(toUInt32(toStartOfMinute(assumeNotNull(delivered_at)))) AS bucket, minState(id), maxState(id)
FROM orders WHERE _is_deleted = 0 AND status = 'delivered' AND delivered_at IS NOT NULL GROUP BY bucket;
INSERT INTO id_bounds_state
SELECT 'order_items.order_id', intDiv(order_id, 1024) AS bucket, minState(id), maxState(id)
FROM order_items WHERE _is_deleted = 0 GROUP BY bucket;
INSERT INTO id_bounds_state
SELECT 'courier_positions.recorded_at', toInt64(toUInt32(toStartOfMinute(recorded_at))) AS bucket, minState(id), maxState(id)
FROM courier_positions WHERE _is_deleted = 0 GROUP BY bucket;
INSERT INTO id_bounds_state
SELECT 'courier_positions.order_id', intDiv(assumeNotNull(order_id), 1024) AS bucket, minState(id), maxState(id)
FROM courier_positions WHERE _is_deleted = 0 AND order_id IS NOT NULL GROUP BY bucket;

-- 3. The newest source commit per mirror, aggregate states (so far the orders mirror):
--   SELECT maxMerge(newest) FROM table_freshness_state WHERE table = 'orders'
CREATE TABLE IF NOT EXISTS table_freshness_state (
    table  String                         COMMENT 'Mirror table.',
    newest AggregateFunction(max, Int64)  COMMENT 'State of max(_source_ts_ms): the newest source commit written, every version and tombstone included.'
) ENGINE = AggregatingMergeTree ORDER BY table;

-- The newest source commit of each insert into the orders mirror.
CREATE MATERIALIZED VIEW IF NOT EXISTS table_freshness_orders_mv TO table_freshness_state (
    table  String                        COMMENT 'Mirror table.',
    newest AggregateFunction(max, Int64) COMMENT 'State of max(_source_ts_ms) over the inserted block.'
) AS
SELECT 'orders' AS table, maxState(_source_ts_ms) AS newest FROM orders;

INSERT INTO table_freshness_state SELECT 'orders', maxState(_source_ts_ms) FROM orders;

-- 4. Delivered orders per hour of delivered_at, by city, restaurant and courier, sealed. The
-- sealer (internal/delivered) takes a time T from the server, computes each finished hour that
-- changed since its last seal exactly from the orders mirror (FINAL, within the hour's id
-- bounds), writes its rows stamped T, then the hour's marker stamped T. An hour's sealed rows
-- are valid while no delivered version of the hour was ingested at or after T − 120 s (an
-- insert started before T may become visible after the read); the API reads valid hours from
-- here and sums the others live. A delete of a delivered order (a tombstone carries no hour)
-- is not seen until the hour changes again.

-- When each hour last changed: the newest _ingested_at of its delivered versions.
CREATE TABLE IF NOT EXISTS delivered_changes_state (
    hour    DateTime('UTC')                  COMMENT 'Hour of delivered_at (UTC).',
    changed AggregateFunction(max, DateTime) COMMENT 'State of max(_ingested_at) of the delivered versions of the hour.'
) ENGINE = AggregatingMergeTree PARTITION BY toYYYYMM(hour) ORDER BY hour;

-- The hours of each insert's delivered versions, with when they were ingested.
CREATE MATERIALIZED VIEW IF NOT EXISTS delivered_changes_mv TO delivered_changes_state (
    hour    DateTime('UTC')                  COMMENT 'Hour of delivered_at (UTC).',
    changed AggregateFunction(max, DateTime) COMMENT 'State of max(_ingested_at) over the delivered versions of the inserted block.'
) AS
SELECT toStartOfHour(assumeNotNull(delivered_at)) AS hour, maxState(_ingested_at) AS changed
FROM orders WHERE status = 'delivered' AND delivered_at IS NOT NULL
GROUP BY hour;

INSERT INTO delivered_changes_state
SELECT toStartOfHour(assumeNotNull(delivered_at)) AS hour, maxState(_ingested_at)
FROM orders WHERE status = 'delivered' AND delivered_at IS NOT NULL GROUP BY hour;

-- The sealed sums: per hour, one row per city, per restaurant and per courier with a
-- delivery, per seal.
CREATE TABLE IF NOT EXISTS delivered_per_hour_sealed (
    hour             DateTime('UTC') COMMENT 'Hour of delivered_at (UTC).',
    dim              String          COMMENT 'What key is: city, restaurant or courier.',
    key              Int64           COMMENT 'The city, restaurant or courier id (courier 0: delivered without a courier).',
    city_id          Int32           COMMENT 'The city of the orders (for a restaurant or courier, of any of them).',
    sealed_at        DateTime        COMMENT 'T of the seal that computed the row.',
    delivered_orders UInt64          COMMENT 'Orders delivered in the hour (not deleted, newest version).',
    revenue_millimes Int64           COMMENT 'Σ total of those orders, millimes (1/1000 TND).',
    delivery_seconds Int64           COMMENT 'Σ delivered_at − placed_at of those orders, seconds.'
) ENGINE = ReplacingMergeTree(sealed_at) PARTITION BY toYYYYMM(hour) ORDER BY (hour, dim, key);

-- The seals: an hour's rows are those of its newest marker's sealed_at.
CREATE TABLE IF NOT EXISTS delivered_sealed_hours (
    hour      DateTime('UTC') COMMENT 'Hour of delivered_at (UTC).',
    sealed_at DateTime        COMMENT 'T of the seal.'
) ENGINE = ReplacingMergeTree(sealed_at) PARTITION BY toYYYYMM(hour) ORDER BY hour;
