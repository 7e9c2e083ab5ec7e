-- CDC mirrors (SPEC §7): one table per captured PostgreSQL table, written by the ingester
-- from the Debezium topics <prefix>.public.<table>.
--
-- Portable SQL: runs on ClickHouse 18.16 (Debian) and on current releases. Hence no
-- LowCardinality (experimental in 18.16), no DateTime64 (timestamps are DateTime in UTC;
-- sub-second source times are kept as epoch milliseconds where they matter), no TTL, no
-- table-level COMMENT (each table is described in the comment above it; columns carry
-- COMMENT).
--
-- Every mirror is a ReplacingMergeTree keyed by the PostgreSQL primary key, with:
--   _version      UInt64  the change's source LSN (the snapshot LSN for snapshot rows), so the
--                         newest change of a row wins whatever order replays arrive in;
--   _is_deleted   UInt8   1 when the change was a DELETE: the row is kept as a tombstone so a
--                         replayed older version cannot resurrect it;
--   _source_ts_ms Int64   commit time at the source, epoch milliseconds (freshness);
--   _ingested_at  DateTime when the ingester wrote the row.
-- Mirrors are not partitioned: a DELETE event carries only the primary key, so a partition
-- key on any other column would put the tombstone in another partition than the row it
-- replaces, and ReplacingMergeTree only collapses rows within one partition.
--
-- Reading without duplicates: `SELECT … FROM t FINAL WHERE _is_deleted = 0`, or the latest
-- row as one tuple: `argMax(tuple(col1, col2, …, _is_deleted), _version)` grouped by the key
-- (per-column argMax would skip NULLs and return stale values). The pattern per table is
-- documented in docs/clickhouse.md.

-- Cities served (reference data); mirror of PostgreSQL public.cities.
CREATE TABLE IF NOT EXISTS cities (
    id            Int32    COMMENT 'City id (PostgreSQL primary key).',
    name          String   COMMENT 'City name.',
    governorate   String   COMMENT 'Governorate of which the city is the capital.',
    lat           Float64  COMMENT 'Latitude of the city centre, WGS84 degrees.',
    lon           Float64  COMMENT 'Longitude of the city centre, WGS84 degrees.',
    population    Int32    COMMENT 'Approximate population.',
    _version      UInt64   COMMENT 'Source LSN of the change that wrote this row; the highest wins.',
    _is_deleted   UInt8    COMMENT '1 when the row was deleted at the source.',
    _source_ts_ms Int64    COMMENT 'Commit time at the source, epoch milliseconds.',
    _ingested_at  DateTime DEFAULT now() COMMENT 'When the ingester wrote the row (UTC).'
) ENGINE = ReplacingMergeTree(_version) ORDER BY id;

-- Restaurants; mirror of PostgreSQL public.restaurants.
CREATE TABLE IF NOT EXISTS restaurants (
    id               Int32                       COMMENT 'Restaurant id (PostgreSQL primary key).',
    city_id          Int32                       COMMENT 'City (cities.id).',
    name             String                      COMMENT 'Display name.',
    cuisine          String                      COMMENT 'Cuisine.',
    lat              Float64                     COMMENT 'Latitude, WGS84 degrees.',
    lon              Float64                     COMMENT 'Longitude, WGS84 degrees.',
    rating           Decimal(3, 2)               COMMENT 'Average customer rating, 1 to 5.',
    avg_prep_minutes Decimal(5, 2)               COMMENT 'Typical preparation time, minutes.',
    paused_until     Nullable(DateTime('UTC'))   COMMENT 'Paused by an operator until then; null when taking orders.',
    _version         UInt64                      COMMENT 'Source LSN of the change that wrote this row; the highest wins.',
    _is_deleted      UInt8                       COMMENT '1 when the row was deleted at the source.',
    _source_ts_ms    Int64                       COMMENT 'Commit time at the source, epoch milliseconds.',
    _ingested_at     DateTime DEFAULT now()      COMMENT 'When the ingester wrote the row (UTC).'
) ENGINE = ReplacingMergeTree(_version) ORDER BY id;

-- Menu items; mirror of PostgreSQL public.menu_items.
CREATE TABLE IF NOT EXISTS menu_items (
    id            Int32          COMMENT 'Menu item id (PostgreSQL primary key).',
    restaurant_id Int32          COMMENT 'Restaurant (restaurants.id).',
    name          String         COMMENT 'Dish name.',
    category      String         COMMENT 'starter, main, dessert or drink.',
    price         Decimal(10, 3) COMMENT 'Unit price, TND.',
    _version      UInt64         COMMENT 'Source LSN of the change that wrote this row; the highest wins.',
    _is_deleted   UInt8          COMMENT '1 when the row was deleted at the source.',
    _source_ts_ms Int64          COMMENT 'Commit time at the source, epoch milliseconds.',
    _ingested_at  DateTime DEFAULT now() COMMENT 'When the ingester wrote the row (UTC).'
) ENGINE = ReplacingMergeTree(_version) ORDER BY id;

-- Couriers; mirror of PostgreSQL public.couriers (status changes arrive as updates).
CREATE TABLE IF NOT EXISTS couriers (
    id                Int32         COMMENT 'Courier id (PostgreSQL primary key).',
    city_id           Int32         COMMENT 'City (cities.id).',
    name              String        COMMENT 'Display name.',
    vehicle           String        COMMENT 'bicycle, scooter, motorcycle or car.',
    vehicle_condition Int16         COMMENT 'Vehicle condition, 1 (poor) to 5 (new).',
    speed_factor      Decimal(4, 2) COMMENT 'Personal speed multiplier (1.00 = typical).',
    rating            Decimal(3, 2) COMMENT 'Average customer rating, 1 to 5.',
    status            String        COMMENT 'offline, idle or busy.',
    _version          UInt64        COMMENT 'Source LSN of the change that wrote this row; the highest wins.',
    _is_deleted       UInt8         COMMENT '1 when the row was deleted at the source.',
    _source_ts_ms     Int64         COMMENT 'Commit time at the source, epoch milliseconds.',
    _ingested_at      DateTime DEFAULT now() COMMENT 'When the ingester wrote the row (UTC).'
) ENGINE = ReplacingMergeTree(_version) ORDER BY id;

-- Orders; mirror of PostgreSQL public.orders. Every lifecycle transition is a new version.
CREATE TABLE IF NOT EXISTS orders (
    id               Int64                     COMMENT 'Order id (PostgreSQL primary key).',
    customer_id      Int32                     COMMENT 'Customer (customers.id in PostgreSQL).',
    restaurant_id    Int32                     COMMENT 'Restaurant (restaurants.id).',
    courier_id       Nullable(Int32)           COMMENT 'Courier (couriers.id); null until assigned.',
    city_id          Int32                     COMMENT 'City (cities.id).',
    status           String                    COMMENT 'placed, accepted, picked_up, delivered or cancelled.',
    placed_at        DateTime('UTC')           COMMENT 'When the order was placed.',
    accepted_at      Nullable(DateTime('UTC')) COMMENT 'When the restaurant accepted it.',
    picked_up_at     Nullable(DateTime('UTC')) COMMENT 'When the courier picked it up.',
    delivered_at     Nullable(DateTime('UTC')) COMMENT 'When it was delivered.',
    cancelled_at     Nullable(DateTime('UTC')) COMMENT 'When it was cancelled.',
    cancel_reason    Nullable(String)          COMMENT 'Why it was cancelled.',
    items_count      Int32                     COMMENT 'Units ordered, Σ order_items.qty.',
    subtotal         Decimal(10, 3)            COMMENT 'Σ qty × unit_price, TND.',
    delivery_fee     Decimal(10, 3)            COMMENT 'Delivery fee, TND.',
    total            Decimal(10, 3)            COMMENT 'subtotal + delivery_fee, TND.',
    distance_km      Decimal(7, 3)             COMMENT 'Great-circle distance restaurant → drop-off, km.',
    promised_minutes Int32                     COMMENT 'Delivery time promised at placement, minutes.',
    is_promo         UInt8                     COMMENT '1 when placed under an active promo flag.',
    drop_lat         Float64                   COMMENT 'Drop-off latitude.',
    drop_lon         Float64                   COMMENT 'Drop-off longitude.',
    trace_parent     Nullable(String)          COMMENT 'W3C traceparent of the trace that created the order.',
    _version         UInt64                    COMMENT 'Source LSN of the change that wrote this row; the highest wins.',
    _is_deleted      UInt8                     COMMENT '1 when the row was deleted at the source.',
    _source_ts_ms    Int64                     COMMENT 'Commit time at the source, epoch milliseconds.',
    _ingested_at     DateTime DEFAULT now()    COMMENT 'When the ingester wrote the row (UTC).'
) ENGINE = ReplacingMergeTree(_version) ORDER BY id;

-- Order lines; mirror of PostgreSQL public.order_items.
CREATE TABLE IF NOT EXISTS order_items (
    id            Int64          COMMENT 'Order line id (PostgreSQL primary key).',
    order_id      Int64          COMMENT 'Order (orders.id).',
    menu_item_id  Int32          COMMENT 'Dish (menu_items.id).',
    qty           Int32          COMMENT 'Units ordered.',
    unit_price    Decimal(10, 3) COMMENT 'Price per unit at order time, TND.',
    _version      UInt64         COMMENT 'Source LSN of the change that wrote this row; the highest wins.',
    _is_deleted   UInt8          COMMENT '1 when the row was deleted at the source.',
    _source_ts_ms Int64          COMMENT 'Commit time at the source, epoch milliseconds.',
    _ingested_at  DateTime DEFAULT now() COMMENT 'When the ingester wrote the row (UTC).'
) ENGINE = ReplacingMergeTree(_version) ORDER BY id;

-- Reviews of delivered orders; mirror of PostgreSQL public.order_reviews.
CREATE TABLE IF NOT EXISTS order_reviews (
    id            Int64            COMMENT 'Review id (PostgreSQL primary key).',
    order_id      Int64            COMMENT 'Reviewed order (orders.id).',
    rating        Int16            COMMENT 'Stars, 1 to 5.',
    sentiment     String           COMMENT 'positive, neutral or negative.',
    comment       Nullable(String) COMMENT 'Free text.',
    created_at    DateTime('UTC')  COMMENT 'When the review was written.',
    _version      UInt64           COMMENT 'Source LSN of the change that wrote this row; the highest wins.',
    _is_deleted   UInt8            COMMENT '1 when the row was deleted at the source.',
    _source_ts_ms Int64            COMMENT 'Commit time at the source, epoch milliseconds.',
    _ingested_at  DateTime DEFAULT now() COMMENT 'When the ingester wrote the row (UTC).'
) ENGINE = ReplacingMergeTree(_version) ORDER BY id;

-- Weather observations per city; mirror of PostgreSQL public.weather_observations.
CREATE TABLE IF NOT EXISTS weather_observations (
    id               Int64           COMMENT 'Observation id (PostgreSQL primary key).',
    city_id          Int32           COMMENT 'City (cities.id).',
    observed_at      DateTime('UTC') COMMENT 'Observation time; in force until the next one of the city.',
    condition        String          COMMENT 'sunny, cloudy, rainy, stormy, windy, fog, hot or sandstorm.',
    temperature_c    Decimal(4, 1)   COMMENT 'Air temperature, °C.',
    precipitation_mm Decimal(5, 1)   COMMENT 'Precipitation over the last hour, mm.',
    wind_kmh         Decimal(5, 1)   COMMENT 'Wind speed, km/h.',
    _version         UInt64          COMMENT 'Source LSN of the change that wrote this row; the highest wins.',
    _is_deleted      UInt8           COMMENT '1 when the row was deleted at the source.',
    _source_ts_ms    Int64           COMMENT 'Commit time at the source, epoch milliseconds.',
    _ingested_at     DateTime DEFAULT now() COMMENT 'When the ingester wrote the row (UTC).'
) ENGINE = ReplacingMergeTree(_version) ORDER BY id;

-- Courier GPS fixes along deliveries; mirror of PostgreSQL public.courier_positions.
CREATE TABLE IF NOT EXISTS courier_positions (
    id            Int64           COMMENT 'Fix id (PostgreSQL primary key).',
    courier_id    Int32           COMMENT 'Courier (couriers.id).',
    order_id      Nullable(Int64) COMMENT 'Order being delivered (orders.id); null between deliveries.',
    recorded_at   DateTime('UTC') COMMENT 'Fix time.',
    lat           Float64         COMMENT 'Latitude.',
    lon           Float64         COMMENT 'Longitude.',
    speed_kmh     Decimal(5, 1)   COMMENT 'Speed at the fix, km/h.',
    _version      UInt64          COMMENT 'Source LSN of the change that wrote this row; the highest wins.',
    _is_deleted   UInt8           COMMENT '1 when the row was deleted at the source.',
    _source_ts_ms Int64           COMMENT 'Commit time at the source, epoch milliseconds.',
    _ingested_at  DateTime DEFAULT now() COMMENT 'When the ingester wrote the row (UTC).'
) ENGINE = ReplacingMergeTree(_version) ORDER BY id;

-- Scenario flags the simulator obeys; mirror of PostgreSQL public.simulation_flags.
CREATE TABLE IF NOT EXISTS simulation_flags (
    id            Int64                     COMMENT 'Flag id (PostgreSQL primary key).',
    kind          String                    COMMENT 'rain, promo, courier_outage or surge.',
    city_id       Nullable(Int32)           COMMENT 'City affected; null means every city.',
    params        String                    COMMENT 'Kind-specific parameters, JSON text.',
    starts_at     DateTime('UTC')           COMMENT 'When the flag takes effect.',
    ends_at       DateTime('UTC')           COMMENT 'When it expires.',
    created_by    String                    COMMENT 'Who created it.',
    cancelled_at  Nullable(DateTime('UTC')) COMMENT 'When it was cancelled early; null otherwise.',
    _version      UInt64                    COMMENT 'Source LSN of the change that wrote this row; the highest wins.',
    _is_deleted   UInt8                     COMMENT '1 when the row was deleted at the source.',
    _source_ts_ms Int64                     COMMENT 'Commit time at the source, epoch milliseconds.',
    _ingested_at  DateTime DEFAULT now()    COMMENT 'When the ingester wrote the row (UTC).'
) ENGINE = ReplacingMergeTree(_version) ORDER BY id;

-- Operator audit log; mirror of PostgreSQL public.operator_actions.
CREATE TABLE IF NOT EXISTS operator_actions (
    id            Int64           COMMENT 'Action id (PostgreSQL primary key).',
    at            DateTime('UTC') COMMENT 'When the action was taken.',
    actor         String          COMMENT 'Authenticated operator.',
    action        String          COMMENT 'What was done, e.g. scenario.start.',
    target        String          COMMENT 'What it was done to, e.g. city:3.',
    params        String          COMMENT 'Request parameters, JSON text.',
    result        String          COMMENT 'ok, or the error returned.',
    _version      UInt64          COMMENT 'Source LSN of the change that wrote this row; the highest wins.',
    _is_deleted   UInt8           COMMENT '1 when the row was deleted at the source.',
    _source_ts_ms Int64           COMMENT 'Commit time at the source, epoch milliseconds.',
    _ingested_at  DateTime DEFAULT now() COMMENT 'When the ingester wrote the row (UTC).'
) ENGINE = ReplacingMergeTree(_version) ORDER BY id;
