-- Freshness without a scan for every CDC mirror (flavortrend status, docs/status.md). Same
-- portability as 0001-0007.
--
-- 0007 keeps the newest source commit (max _source_ts_ms) of the orders mirror in
-- table_freshness_state; this file does the same for the other mirrors of 0001 and 0006, so
-- that the freshness of each is one read of a few aggregate states instead of a scan (at 10M
-- orders courier_positions has hundreds of millions of rows):
--
--   SELECT `table`, maxMerge(newest) FROM table_freshness_state GROUP BY `table`
--
-- As in 0007, each view is created before its backfill, so a row inserted meanwhile reaches
-- the state through one or both; max absorbs a row counted twice, and a backfill run again
-- after an interrupted migration changes nothing. An empty mirror backfills the empty state
-- (maxMerge reads 0: no row yet). The backfill scans the one _source_ts_ms column of each
-- mirror once.

-- The newest source commit of each insert into the cities mirror.
CREATE MATERIALIZED VIEW IF NOT EXISTS table_freshness_cities_mv TO table_freshness_state (
    table  String                        COMMENT 'Mirror table.',
    newest AggregateFunction(max, Int64) COMMENT 'State of max(_source_ts_ms) over the inserted block.'
) AS
SELECT 'cities' AS table, maxState(_source_ts_ms) AS newest FROM cities;

INSERT INTO table_freshness_state SELECT 'cities', maxState(_source_ts_ms) FROM cities;

-- The newest source commit of each insert into the restaurants mirror.
CREATE MATERIALIZED VIEW IF NOT EXISTS table_freshness_restaurants_mv TO table_freshness_state (
    table  String                        COMMENT 'Mirror table.',
    newest AggregateFunction(max, Int64) COMMENT 'State of max(_source_ts_ms) over the inserted block.'
) AS
SELECT 'restaurants' AS table, maxState(_source_ts_ms) AS newest FROM restaurants;

INSERT INTO table_freshness_state SELECT 'restaurants', maxState(_source_ts_ms) FROM restaurants;

-- The newest source commit of each insert into the menu_items mirror.
CREATE MATERIALIZED VIEW IF NOT EXISTS table_freshness_menu_items_mv TO table_freshness_state (
    table  String                        COMMENT 'Mirror table.',
    newest AggregateFunction(max, Int64) COMMENT 'State of max(_source_ts_ms) over the inserted block.'
) AS
SELECT 'menu_items' AS table, maxState(_source_ts_ms) AS newest FROM menu_items;

INSERT INTO table_freshness_state SELECT 'menu_items', maxState(_source_ts_ms) FROM menu_items;

-- The newest source commit of each insert into the couriers mirror.
CREATE MATERIALIZED VIEW IF NOT EXISTS table_freshness_couriers_mv TO table_freshness_state (
    table  String                        COMMENT 'Mirror table.',
    newest AggregateFunction(max, Int64) COMMENT 'State of max(_source_ts_ms) over the inserted block.'
) AS
SELECT 'couriers' AS table, maxState(_source_ts_ms) AS newest FROM couriers;

INSERT INTO table_freshness_state SELECT 'couriers', maxState(_source_ts_ms) FROM couriers;

-- The newest source commit of each insert into the order_items mirror.
CREATE MATERIALIZED VIEW IF NOT EXISTS table_freshness_order_items_mv TO table_freshness_state (
    table  String                        COMMENT 'Mirror table.',
    newest AggregateFunction(max, Int64) COMMENT 'State of max(_source_ts_ms) over the inserted block.'
) AS
SELECT 'order_items' AS table, maxState(_source_ts_ms) AS newest FROM order_items;

INSERT INTO table_freshness_state SELECT 'order_items', maxState(_source_ts_ms) FROM order_items;

-- The newest source commit of each insert into the order_reviews mirror.
CREATE MATERIALIZED VIEW IF NOT EXISTS table_freshness_order_reviews_mv TO table_freshness_state (
    table  String                        COMMENT 'Mirror table.',
    newest AggregateFunction(max, Int64) COMMENT 'State of max(_source_ts_ms) over the inserted block.'
) AS
SELECT 'order_reviews' AS table, maxState(_source_ts_ms) AS newest FROM order_reviews;

INSERT INTO table_freshness_state SELECT 'order_reviews', maxState(_source_ts_ms) FROM order_reviews;

-- The newest source commit of each insert into the weather_observations mirror.
CREATE MATERIALIZED VIEW IF NOT EXISTS table_freshness_weather_observations_mv TO table_freshness_state (
    table  String                        COMMENT 'Mirror table.',
    newest AggregateFunction(max, Int64) COMMENT 'State of max(_source_ts_ms) over the inserted block.'
) AS
SELECT 'weather_observations' AS table, maxState(_source_ts_ms) AS newest FROM weather_observations;

INSERT INTO table_freshness_state SELECT 'weather_observations', maxState(_source_ts_ms) FROM weather_observations;

-- The newest source commit of each insert into the courier_positions mirror.
CREATE MATERIALIZED VIEW IF NOT EXISTS table_freshness_courier_positions_mv TO table_freshness_state (
    table  String                        COMMENT 'Mirror table.',
    newest AggregateFunction(max, Int64) COMMENT 'State of max(_source_ts_ms) over the inserted block.'
) AS
SELECT 'courier_positions' AS table, maxState(_source_ts_ms) AS newest FROM courier_positions;

INSERT INTO table_freshness_state SELECT 'courier_positions', maxState(_source_ts_ms) FROM courier_positions;

-- The newest source commit of each insert into the simulation_flags mirror.
CREATE MATERIALIZED VIEW IF NOT EXISTS table_freshness_simulation_flags_mv TO table_freshness_state (
    table  String                        COMMENT 'Mirror table.',
    newest AggregateFunction(max, Int64) COMMENT 'State of max(_source_ts_ms) over the inserted block.'
) AS
SELECT 'simulation_flags' AS table, maxState(_source_ts_ms) AS newest FROM simulation_flags;

INSERT INTO table_freshness_state SELECT 'simulation_flags', maxState(_source_ts_ms) FROM simulation_flags;

-- The newest source commit of each insert into the operator_actions mirror.
CREATE MATERIALIZED VIEW IF NOT EXISTS table_freshness_operator_actions_mv TO table_freshness_state (
    table  String                        COMMENT 'Mirror table.',
    newest AggregateFunction(max, Int64) COMMENT 'State of max(_source_ts_ms) over the inserted block.'
) AS
SELECT 'operator_actions' AS table, maxState(_source_ts_ms) AS newest FROM operator_actions;

INSERT INTO table_freshness_state SELECT 'operator_actions', maxState(_source_ts_ms) FROM operator_actions;

-- The newest source commit of each insert into the alert_acks mirror.
CREATE MATERIALIZED VIEW IF NOT EXISTS table_freshness_alert_acks_mv TO table_freshness_state (
    table  String                        COMMENT 'Mirror table.',
    newest AggregateFunction(max, Int64) COMMENT 'State of max(_source_ts_ms) over the inserted block.'
) AS
SELECT 'alert_acks' AS table, maxState(_source_ts_ms) AS newest FROM alert_acks;

INSERT INTO table_freshness_state SELECT 'alert_acks', maxState(_source_ts_ms) FROM alert_acks;

-- The newest source commit of each insert into the city_mutes mirror.
CREATE MATERIALIZED VIEW IF NOT EXISTS table_freshness_city_mutes_mv TO table_freshness_state (
    table  String                        COMMENT 'Mirror table.',
    newest AggregateFunction(max, Int64) COMMENT 'State of max(_source_ts_ms) over the inserted block.'
) AS
SELECT 'city_mutes' AS table, maxState(_source_ts_ms) AS newest FROM city_mutes;

INSERT INTO table_freshness_state SELECT 'city_mutes', maxState(_source_ts_ms) FROM city_mutes;
