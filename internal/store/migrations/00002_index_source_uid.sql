-- +goose Up
-- Deletion finds the rows an object owns by its uid, whichever run they hold.
CREATE INDEX model_certifications_source_uid_idx ON model_certifications (source_uid);

-- +goose Down
DROP INDEX model_certifications_source_uid_idx;
