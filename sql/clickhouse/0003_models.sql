-- The ETA model registry (SPEC §5), written by `flavortrend train`, read by the enrichers
-- (which load the promoted model and pick up a new one without a restart) and by the API.

-- One row per trained model version, promoted or not, with its test metrics next to the two
-- baselines' and the current model's on the same test split.
CREATE TABLE IF NOT EXISTS eta_models (
    version              String   COMMENT 'Model version: eta-<trained_at, UTC, compact ISO>-<first 8 hex of the artefact SHA-256>.',
    trained_at           DateTime COMMENT 'When the model was trained (UTC).',
    train_from           DateTime COMMENT 'placed_at of the oldest training order (UTC).',
    test_from            DateTime COMMENT 'placed_at of the oldest test order: the newest 20 % of the window are the test split (UTC).',
    test_to              DateTime COMMENT 'placed_at of the newest test order (UTC).',
    train_rows           UInt64   COMMENT 'Delivered orders in the training split.',
    test_rows            UInt64   COMMENT 'Delivered orders in the test split.',
    features             String   COMMENT 'The feature names in vector order, as a JSON array.',
    mae                  Float64  COMMENT 'Mean absolute error of this model on the test split, minutes.',
    p50                  Float64  COMMENT 'Median absolute error on the test split, minutes.',
    p90                  Float64  COMMENT '90th percentile of the absolute error on the test split, minutes.',
    global_mae           Float64  COMMENT 'MAE of the global-mean baseline on the test split, minutes.',
    global_p50           Float64  COMMENT 'Median absolute error of the global-mean baseline, minutes.',
    global_p90           Float64  COMMENT '90th percentile of the absolute error of the global-mean baseline, minutes.',
    city_hour_mae        Float64  COMMENT 'MAE of the per-city-per-hour mean baseline on the test split, minutes.',
    city_hour_p50        Float64  COMMENT 'Median absolute error of the per-city-per-hour baseline, minutes.',
    city_hour_p90        Float64  COMMENT '90th percentile of the absolute error of the per-city-per-hour baseline, minutes.',
    current_version      String   COMMENT 'The model promoted when this one was trained; empty when none was.',
    current_mae          Float64  COMMENT 'MAE of that model on the same test split, minutes; 0 when none was promoted.',
    promoted             UInt8    COMMENT '1 when this version was promoted right after training.',
    decision             String   COMMENT 'Why it was or was not promoted, in words.',
    artefact             String   COMMENT 'The fitted model as JSON (package enrich/eta): names, standardisation, coefficients.'
) ENGINE = MergeTree ORDER BY (trained_at, version);

-- Promotions, newest last: the current model is the version of the latest row. `train` adds a
-- row when a new version wins; an operator can promote any registered version (the API).
CREATE TABLE IF NOT EXISTS eta_model_promotions (
    version     String   COMMENT 'The promoted version (eta_models.version).',
    promoted_at DateTime COMMENT 'When it was promoted (UTC).',
    promoted_ns Int64    COMMENT 'The same instant in nanoseconds since the epoch: orders promotions within one second.',
    promoted_by String   COMMENT 'Who promoted it: train, or the operator.',
    reason      String   COMMENT 'Why, in words.'
) ENGINE = MergeTree ORDER BY promoted_ns;
