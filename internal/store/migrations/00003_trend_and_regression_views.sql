-- +goose Up
-- The badge rank orders badges, best highest; NULL for anything that is not a badge.
-- +goose StatementBegin
CREATE FUNCTION certification_badge_rank(badge text) RETURNS integer
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT CASE badge
        WHEN 'PREMIUM' THEN 5 WHEN 'RECOMMENDED' THEN 4 WHEN 'FUNCTIONAL' THEN 3
        WHEN 'LIMITED' THEN 2 WHEN 'NOT_RECOMMENDED' THEN 1 WHEN 'UNAVAILABLE' THEN 0
    END
$$;
-- +goose StatementEnd

-- Every run of a model in a region, newest first (recency 1 is the newest), runs ordered as the
-- guarded upserts order them: by started_at, then attempt, then run_id. p50_latency_ms is the
-- median latency of the run's passed inference checks (availability, a control-plane call, left
-- out), read from check_results; NULL when none passed or the results were not kept.
CREATE VIEW certification_trend AS
    SELECT r.model_id, r.region,
           row_number() OVER (PARTITION BY r.model_id, r.region
                              ORDER BY r.started_at DESC, r.attempt DESC, r.run_id DESC) AS recency,
           r.run_id, r.started_at, r.completed_at, r.status, r.score, r.rating, r.badge,
           r.error_category,
           (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY (c->>'latencyMs')::double precision)
              FROM jsonb_array_elements(CASE WHEN jsonb_typeof(r.check_results) = 'array'
                                             THEN r.check_results END) AS c
             WHERE c->>'status' = 'Passed' AND c->>'name' <> 'availability'
               AND jsonb_typeof(c->'latencyMs') = 'number') AS p50_latency_ms,
           r.input_tokens, r.output_tokens, r.input_tokens + r.output_tokens AS total_tokens,
           r.source_namespace, r.source_name
    FROM certification_runs r
    ORDER BY r.model_id, r.region, recency;

-- Each run whose verdict is lower than the run just before it for the same model and region: a
-- CERTIFIED run followed by one that is not, or a lower badge (by certification_badge_rank).
CREATE VIEW regressions AS
    SELECT model_id, region, run_id, previous_run_id, started_at, completed_at,
           previous_status AS from_status, status AS to_status,
           previous_badge AS from_badge, badge AS to_badge,
           previous_score AS from_score, score AS to_score,
           error_category, error_severity, source_namespace, source_name
    FROM (
        SELECT r.*,
               lag(r.run_id) OVER w AS previous_run_id,
               lag(r.status) OVER w AS previous_status,
               lag(r.badge) OVER w AS previous_badge,
               lag(r.score) OVER w AS previous_score
        FROM certification_runs r
        WINDOW w AS (PARTITION BY r.model_id, r.region ORDER BY r.started_at, r.attempt, r.run_id)
    ) AS consecutive
    WHERE (previous_status = 'CERTIFIED' AND status <> 'CERTIFIED')
       OR certification_badge_rank(badge) < certification_badge_rank(previous_badge)
    ORDER BY started_at DESC, model_id, region;

-- +goose Down
DROP VIEW regressions;
DROP VIEW certification_trend;
DROP FUNCTION certification_badge_rank(text);
