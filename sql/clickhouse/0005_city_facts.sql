-- Fact tables of the city stage's topics (SPEC §3, §4.5-§4.10), written by the ingester like
-- those of 0002: a topic a.b lands in table a_b, one column per JSON member, ReplacingMergeTree
-- with _version = the record's Kafka offset, so that a replay leaves no visible duplicate
-- under FINAL. The features topics are compacted in Kafka (the latest value per courier or
-- restaurant); their tables keep the history, one row per published change.

-- City pressure per city per minute (topic city.pressure, SPEC §4.7); one row per city and
-- minute.
CREATE TABLE IF NOT EXISTS city_pressure (
    city_id                  Int32 COMMENT 'City id.',
    minute                   DateTime('UTC') COMMENT 'Start of the minute (UTC); the values are as of its end.',
    open_orders              Int32 COMMENT 'Placed, accepted and picked-up orders of the city at the end of the minute.',
    available_couriers       Int32 COMMENT 'Couriers not offline with fewer than 3 active deliveries.',
    demand_per_courier       Float64 COMMENT 'open_orders / max(available_couriers, 0.5).',
    delay_excess             Float64 COMMENT 'clamp((avg_delivery_minutes_15m - 30) / 30, 0, 1); 0 without deliveries in the last 15 minutes.',
    pressure                 Float64 COMMENT 'round(100 × clamp(0.7 × (1 - exp(-demand_per_courier / 2.5)) + 0.3 × delay_excess, 0, 1), 1).',
    level                    String COMMENT 'normal below 75, warning from 75 (driver shortage), critical from 85.',
    avg_delivery_minutes_15m Float64 COMMENT 'Mean delivered_at - placed_at of the orders delivered in the 15 minutes before the end of the minute, [end - 15 min, end); 0 when none.',
    deliveries_last_15m      Int32 COMMENT 'Orders delivered in those 15 minutes.',
    orders_placed            Int32 COMMENT 'Orders placed in the minute (as counted when the minute was published).',
    online_couriers          Int32 COMMENT 'Couriers of the city whose status is not offline.',
    roster_couriers          Int32 COMMENT 'All couriers of the city.',
    overloaded_couriers      Int32 COMMENT 'Couriers with 5 or more active deliveries.',
    _version                 UInt64 COMMENT 'Kafka offset of the record that wrote this row; a replay writes the same offset, and the highest wins.',
    _is_deleted              UInt8 COMMENT 'Always 0: derived facts are not deleted.',
    _source_ts_ms            Int64 COMMENT 'Kafka timestamp of the record, epoch milliseconds (when the enricher produced it).',
    _ingested_at             DateTime DEFAULT now() COMMENT 'When the ingester wrote the row (UTC).'
) ENGINE = ReplacingMergeTree(_version) ORDER BY (city_id, minute);

-- Smart alerts (topic alerts, SPEC §4.9): two rows per episode, one when it is raised and
-- one when it clears, with the same id. Active alerts are the ids without a cleared row.
CREATE TABLE IF NOT EXISTS alerts (
    id            String COMMENT 'Episode id: <kind>-<city_id>-<raised_at>; the raised and the cleared row share it.',
    city_id       Int32 COMMENT 'City id.',
    kind          String COMMENT 'driver_shortage, sla_spike or peak_start.',
    severity      String COMMENT 'info, warning or critical; on the cleared row, the severity of the episode''s peak.',
    title         String COMMENT 'One line for an operator, e.g. Driver shortage in Sfax.',
    details       String COMMENT 'The numbers behind the alert; the cleared row adds how it cleared and its peak.',
    raised_at     DateTime('UTC') COMMENT 'Event time the episode started.',
    cleared_at    Nullable(DateTime('UTC')) COMMENT 'Event time the episode cleared: its condition last held 5 minutes before; null on the raised row.',
    state         String COMMENT 'raised or cleared.',
    _version      UInt64 COMMENT 'Kafka offset of the record that wrote this row; a replay writes the same offset, and the highest wins.',
    _is_deleted   UInt8 COMMENT 'Always 0: derived facts are not deleted.',
    _source_ts_ms Int64 COMMENT 'Kafka timestamp of the record, epoch milliseconds (when the enricher produced it).',
    _ingested_at  DateTime DEFAULT now() COMMENT 'When the ingester wrote the row (UTC).'
) ENGINE = ReplacingMergeTree(_version) ORDER BY (city_id, id, state);

-- Surge recommendations (topic recommendations, SPEC §4.10); one row per recommendation.
CREATE TABLE IF NOT EXISTS recommendations (
    id               String COMMENT 'surge-<city_id>-<created_at>.',
    city_id          Int32 COMMENT 'City id.',
    kind             String COMMENT 'Always surge.',
    factor           Float64 COMMENT 'Surge factor: 1.5 at pressure from 75, 2.0 from 85.',
    duration_minutes Int32 COMMENT 'How long the surge should run: 15.',
    rationale        String COMMENT 'low_supply, overloaded_couriers or high_demand.',
    details          String COMMENT 'The counts behind the rationale.',
    pressure         Float64 COMMENT 'The city pressure that prompted it.',
    created_at       DateTime('UTC') COMMENT 'Event time: the end of the pressure minute.',
    expires_at       DateTime('UTC') COMMENT 'created_at + duration_minutes; no new recommendation of the same or a lower factor before.',
    _version         UInt64 COMMENT 'Kafka offset of the record that wrote this row; a replay writes the same offset, and the highest wins.',
    _is_deleted      UInt8 COMMENT 'Always 0: derived facts are not deleted.',
    _source_ts_ms    Int64 COMMENT 'Kafka timestamp of the record, epoch milliseconds (when the enricher produced it).',
    _ingested_at     DateTime DEFAULT now() COMMENT 'When the ingester wrote the row (UTC).'
) ENGINE = ReplacingMergeTree(_version) ORDER BY (city_id, id);

-- Review sentiment per 5-minute tumbling window, per restaurant and per courier (topic
-- sentiment.windows, SPEC §4.8); a window without reviews has no row.
CREATE TABLE IF NOT EXISTS sentiment_windows (
    city_id       Int32 COMMENT 'City id.',
    entity_kind   String COMMENT 'restaurant or courier.',
    entity_id     Int32 COMMENT 'restaurants.id or couriers.id.',
    window_start  DateTime('UTC') COMMENT 'Start of the window, inclusive (review created_at).',
    window_end    DateTime('UTC') COMMENT 'End of the window, exclusive.',
    reviews       Int32 COMMENT 'Reviews in the window.',
    avg_rating    Float64 COMMENT 'Mean of their 1-5 ratings.',
    positive      Int32 COMMENT 'Reviews with sentiment positive.',
    neutral       Int32 COMMENT 'Reviews with sentiment neutral.',
    negative      Int32 COMMENT 'Reviews with sentiment negative.',
    _version      UInt64 COMMENT 'Kafka offset of the record that wrote this row; a replay writes the same offset, and the highest wins.',
    _is_deleted   UInt8 COMMENT 'Always 0: derived facts are not deleted.',
    _source_ts_ms Int64 COMMENT 'Kafka timestamp of the record, epoch milliseconds (when the enricher produced it).',
    _ingested_at  DateTime DEFAULT now() COMMENT 'When the ingester wrote the row (UTC).'
) ENGINE = ReplacingMergeTree(_version) ORDER BY (city_id, entity_kind, entity_id, window_start);

-- Courier live features (topic features.couriers, SPEC §4.5): one row per change; the
-- courier's current features are its row with the latest updated_at (argMax, or LIMIT 1 BY).
CREATE TABLE IF NOT EXISTS features_couriers (
    courier_id          Int32 COMMENT 'Courier id.',
    city_id             Int32 COMMENT 'City id.',
    updated_at          DateTime('UTC') COMMENT 'Event time of the change; several changes in one second keep the last.',
    status              String COMMENT 'couriers.status: offline, idle or busy.',
    vehicle             String COMMENT 'bicycle, scooter, motorcycle or car.',
    speed_factor        Float64 COMMENT 'couriers.speed_factor.',
    active_deliveries   Int32 COMMENT 'Orders assigned to the courier, not yet delivered or cancelled.',
    load                String COMMENT 'normal (0-2 active), busy (3-4) or overloaded (5 or more).',
    available           UInt8 COMMENT '1 when not offline with fewer than 3 active deliveries (counts in city pressure).',
    deliveries_today    Int32 COMMENT 'Deliveries of the local day (Africa/Tunis) of updated_at.',
    avg_speed_kmh_today Float64 COMMENT 'Σ distance_km / Σ (delivered_at - picked_up_at) of those deliveries, km/h; 0 without.',
    lat                 Float64 COMMENT 'Latitude of the last GPS fix; 0 before the first.',
    lon                 Float64 COMMENT 'Longitude of the last GPS fix; 0 before the first.',
    speed_kmh           Float64 COMMENT 'Speed at the last GPS fix, km/h.',
    position_at         Nullable(DateTime('UTC')) COMMENT 'Time of the last GPS fix; null before the first.',
    _version            UInt64 COMMENT 'Kafka offset of the record that wrote this row; a replay writes the same offset, and the highest wins.',
    _is_deleted         UInt8 COMMENT 'Always 0: derived facts are not deleted.',
    _source_ts_ms       Int64 COMMENT 'Kafka timestamp of the record, epoch milliseconds (when the enricher produced it).',
    _ingested_at        DateTime DEFAULT now() COMMENT 'When the ingester wrote the row (UTC).'
) ENGINE = ReplacingMergeTree(_version) ORDER BY (city_id, courier_id, updated_at);

-- Restaurant live features (topic features.restaurants, SPEC §4.6): one row per minute in
-- which a restaurant's features changed; its current features are its latest row.
CREATE TABLE IF NOT EXISTS features_restaurants (
    restaurant_id              Int32 COMMENT 'Restaurant id.',
    city_id                    Int32 COMMENT 'City id.',
    updated_at                 DateTime('UTC') COMMENT 'End of the minute the features are for.',
    orders_last_15m            Int32 COMMENT 'Orders placed in [updated_at - 15 min, updated_at), counted by minute.',
    avg_prep_minutes_last_hour Float64 COMMENT 'Mean picked_up_at - accepted_at of the pickups in [updated_at - 1 h, updated_at); 0 without.',
    pickups_last_hour          Int32 COMMENT 'Pickups in that hour.',
    is_promo_active            UInt8 COMMENT '1 when the restaurant''s latest order of the last 15 minutes was a promo order.',
    is_paused                  UInt8 COMMENT '1 when restaurants.paused_until is after updated_at.',
    load_score                 Float64 COMMENT 'min(100, 100 × (0.6 × orders15 / max orders15 of the city + 0.4 × prep / max(max prep of the city, 20))).',
    _version                   UInt64 COMMENT 'Kafka offset of the record that wrote this row; a replay writes the same offset, and the highest wins.',
    _is_deleted                UInt8 COMMENT 'Always 0: derived facts are not deleted.',
    _source_ts_ms              Int64 COMMENT 'Kafka timestamp of the record, epoch milliseconds (when the enricher produced it).',
    _ingested_at               DateTime DEFAULT now() COMMENT 'When the ingester wrote the row (UTC).'
) ENGINE = ReplacingMergeTree(_version) ORDER BY (city_id, restaurant_id, updated_at);
