-- Fact tables of the derived streams (SPEC §7), written by the ingester from the enrichers'
-- topics (SPEC §3): a topic a.b lands in table a_b. Same conventions as the CDC mirrors
-- (0001): portable to 18.16, ReplacingMergeTree with _version, _is_deleted, _source_ts_ms and
-- _ingested_at, so that a replay of the topic after an ingester crash leaves no visible
-- duplicate under FINAL. _version is the record's Kafka offset: each fact's key always goes
-- to the same partition, where offsets only grow. Each table is ordered by (city_id, key) so
-- that a city's facts are read together.

-- Orders at placement with the weather in force and their features (topic orders.enriched,
-- SPEC §4.1-§4.2); one row per order.
CREATE TABLE IF NOT EXISTS orders_enriched (
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
) ENGINE = ReplacingMergeTree(_version) ORDER BY (city_id, order_id);

-- ETA predicted at placement (topic eta.predictions, SPEC §4.4); one row per order.
CREATE TABLE IF NOT EXISTS eta_predictions (
    order_id                    Int64 COMMENT 'Order id.',
    city_id                     Int64 COMMENT 'City id.',
    placed_at                   DateTime('UTC') COMMENT 'When the order was placed (UTC).',
    predicted_minutes           Float64 COMMENT 'Predicted minutes from placement to delivery.',
    model_version               String COMMENT 'Model that predicted; promised before any model was promoted (then the prediction is the promised_minutes of the order).',
    items_count                 Int64 COMMENT 'Number of items ordered.',
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
) ENGINE = ReplacingMergeTree(_version) ORDER BY (city_id, order_id);

-- Static SLA violations (topic sla.violations, SPEC §4.3): at most one per order — at_risk
-- when it was still open at its deadline, else breach when it was delivered after it.
CREATE TABLE IF NOT EXISTS sla_violations (
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
) ENGINE = ReplacingMergeTree(_version) ORDER BY (city_id, order_id);

-- Dynamic SLA violations (topic sla.dynamic_violations, SPEC §4.4): delivered orders whose
-- actual minutes exceeded the prediction by more than 25 % and by at least 5 minutes.
CREATE TABLE IF NOT EXISTS sla_dynamic_violations (
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
) ENGINE = ReplacingMergeTree(_version) ORDER BY (city_id, order_id);

-- Every delivered order's prediction against what happened (topic eta.outcomes): the model
-- performance of SPEC §4.4 and §7.
CREATE TABLE IF NOT EXISTS eta_outcomes (
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
) ENGINE = ReplacingMergeTree(_version) ORDER BY (city_id, order_id);
