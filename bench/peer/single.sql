-- One SessionLogged event per transaction (pgbench; synchronous_commit=on).
INSERT INTO events (event_id, stream_id, version, type, data, metadata)
VALUES (gen_random_uuid(), 'pair-' || :client_id, nextval('bench_version'), 'SessionLogged',
        '{"pair_id":"tnst-2019-p07","session_id":"s1","date":"2019-06-08","minutes":90,"mode":"remote","format":"bilateral","topics":["strategy"],"summary":"Reviewed the cluster''s service portfolio and next steps."}',
        '{"actor":"coordinator:bench","programme_id":"tnst-2019","rules_version":1,"prev_hash":"0000000000000000000000000000000000000000000000000000000000000000"}');
