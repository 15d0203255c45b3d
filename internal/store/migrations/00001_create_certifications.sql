-- +goose Up
-- The status rank orders writes within one run: PENDING < PROCESSING < any terminal status.
-- +goose StatementBegin
CREATE FUNCTION certification_status_rank(status text) RETURNS integer
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT CASE status WHEN 'PENDING' THEN 0 WHEN 'PROCESSING' THEN 1 ELSE 2 END
$$;
-- +goose StatementEnd

-- The current verdict per model and region, a mirror of the newest run's object status.
CREATE TABLE model_certifications (
    model_id          text             NOT NULL,
    region            text             NOT NULL,
    status            text             NOT NULL
        CHECK (status IN ('PENDING', 'PROCESSING', 'CERTIFIED', 'QUALITY_WARNING', 'FAILED')),
    passed            boolean          NOT NULL DEFAULT false,
    score             double precision NOT NULL DEFAULT 0,
    rating            double precision NOT NULL DEFAULT 0,
    badge             text             NOT NULL DEFAULT '',
    error_category    text             NOT NULL DEFAULT '',
    error_severity    text             NOT NULL DEFAULT '',
    error_message     text             NOT NULL DEFAULT '',
    tests_passed      integer          NOT NULL DEFAULT 0,
    tests_failed      integer          NOT NULL DEFAULT 0,
    tests_skipped     integer          NOT NULL DEFAULT 0,
    success_rate      double precision NOT NULL DEFAULT 0,
    avg_latency_ms    double precision NOT NULL DEFAULT 0,
    test_results      jsonb,
    input_tokens      bigint           NOT NULL DEFAULT 0,
    output_tokens     bigint           NOT NULL DEFAULT 0,
    run_id            text             NOT NULL,
    attempt           integer          NOT NULL DEFAULT 0,
    started_at        timestamptz      NOT NULL,
    completed_at      timestamptz,
    duration_ms       bigint           NOT NULL DEFAULT 0,
    certified_at      timestamptz,
    expires_at        timestamptz,
    source_namespace  text             NOT NULL DEFAULT '',
    source_name       text             NOT NULL DEFAULT '',
    source_uid        text             NOT NULL DEFAULT '',
    source_generation bigint           NOT NULL DEFAULT 0,
    deleted_at        timestamptz,
    created_at        timestamptz      NOT NULL DEFAULT now(),
    updated_at        timestamptz      NOT NULL DEFAULT now(),
    PRIMARY KEY (model_id, region)
);

CREATE INDEX model_certifications_status_idx ON model_certifications (status);
CREATE INDEX model_certifications_source_idx ON model_certifications (source_namespace, source_name);

-- Append-only history: one row per finished run, with the full per-check results.
CREATE TABLE certification_runs (
    run_id            text             PRIMARY KEY,
    model_id          text             NOT NULL,
    region            text             NOT NULL,
    status            text             NOT NULL
        CHECK (status IN ('CERTIFIED', 'QUALITY_WARNING', 'FAILED')),
    passed            boolean          NOT NULL,
    score             double precision NOT NULL,
    rating            double precision NOT NULL,
    badge             text             NOT NULL,
    error_category    text             NOT NULL,
    error_severity    text             NOT NULL,
    error_message     text             NOT NULL,
    tests_passed      integer          NOT NULL,
    tests_failed      integer          NOT NULL,
    tests_skipped     integer          NOT NULL,
    success_rate      double precision NOT NULL,
    avg_latency_ms    double precision NOT NULL,
    test_results      jsonb,
    input_tokens      bigint           NOT NULL,
    output_tokens     bigint           NOT NULL,
    attempt           integer          NOT NULL,
    started_at        timestamptz      NOT NULL,
    completed_at      timestamptz,
    duration_ms       bigint           NOT NULL,
    certified_at      timestamptz,
    expires_at        timestamptz,
    source_namespace  text             NOT NULL,
    source_name       text             NOT NULL,
    source_uid        text             NOT NULL,
    source_generation bigint           NOT NULL,
    check_results     jsonb,
    recorded_at       timestamptz      NOT NULL DEFAULT now()
);

CREATE INDEX certification_runs_model_idx ON certification_runs (model_id, region, started_at DESC);

-- Read views for consumers; none of them shows rows whose object was deleted. A model being
-- re-certified keeps its last verdict (passed) until the new run ends, so it stays certified
-- until then, as long as that verdict has not expired.
CREATE VIEW certified_models AS
    SELECT * FROM model_certifications
    WHERE (status = 'CERTIFIED' OR (status = 'PROCESSING' AND passed))
      AND deleted_at IS NULL AND (expires_at IS NULL OR expires_at > now());

CREATE VIEW failed_models AS
    SELECT * FROM model_certifications
    WHERE status = 'FAILED' AND deleted_at IS NULL;

CREATE VIEW unavailable_models AS
    SELECT * FROM model_certifications
    WHERE error_category IN ('UNAVAILABLE', 'PERMISSION_ERROR', 'AUTHENTICATION_ERROR',
                             'PROVISIONING_REQUIRED', 'CONFIGURATION_ERROR')
      AND deleted_at IS NULL;

CREATE VIEW quality_warning_models AS
    SELECT * FROM model_certifications
    WHERE status = 'QUALITY_WARNING' AND deleted_at IS NULL;

-- +goose Down
DROP VIEW quality_warning_models;
DROP VIEW unavailable_models;
DROP VIEW failed_models;
DROP VIEW certified_models;
DROP TABLE certification_runs;
DROP TABLE model_certifications;
DROP FUNCTION certification_status_rank(text);
