-- SOP use metrics as append-only events. Upserting one `sop_metrics` row per
-- SOP from every decision and outcome made all workers of all instances queue
-- on the same few row locks until each commit's WAL flush; inserts of new rows
-- never wait on each other. Reads fold the events into `sop_metrics` (and the
-- scheduler does every few minutes), so this table stays small.
CREATE TABLE sop_metric_events (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sop_id  text NOT NULL,
    kind    text NOT NULL
        CONSTRAINT sop_metric_events_kind_known CHECK (kind IN ('used', 'success', 'failure', 'override')),
    at      timestamptz
);
