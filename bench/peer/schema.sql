-- The events table PostgreSQL event stores use: a sequence as primary key, a
-- unique event id, one version per stream, the payload as jsonb.
CREATE TABLE events (
  position    bigserial PRIMARY KEY,
  event_id    uuid NOT NULL UNIQUE,
  stream_id   text NOT NULL,
  version     bigint NOT NULL,
  type        text NOT NULL,
  data        jsonb NOT NULL,
  metadata    jsonb NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (stream_id, version)
);
CREATE SEQUENCE bench_version;
