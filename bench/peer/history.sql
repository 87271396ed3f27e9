-- The synthetic history of the replay benchmark (tests/history_gen_inl.h,
-- lifecycle_history): :programmes programmes of 26 mentees, each pair run to
-- completion: 1 + 26 x 26 events per programme.
TRUNCATE events;
INSERT INTO events (event_id, stream_id, version, type, data, metadata)
SELECT gen_random_uuid(), 'programme-prog-' || p, 1, 'ProgrammeOpened',
       jsonb_build_object('programme_id', 'prog-' || p, 'name', 'Programme ' || p, 'coordinator', 'Coordinator',
                          'rules', jsonb_build_object('hour_cap_minutes', 1920, 'fee_cap_cents', 310000, 'cofunding_bp', 9000)),
       jsonb_build_object('programme_id', 'prog-' || p, 'actor', 'coordinator:bench')
FROM generate_series(0, :programmes - 1) p;
INSERT INTO events (event_id, stream_id, version, type, data, metadata)
SELECT gen_random_uuid(), s.stream, s.version, s.type, s.data,
       jsonb_build_object('programme_id', 'prog-' || p, 'actor', 'coordinator:bench')
FROM generate_series(0, :programmes - 1) p
CROSS JOIN generate_series(0, 25) m
CROSS JOIN LATERAL (
  SELECT 'prog-' || p || '-p' || m AS pair, 'prog-' || p || '-m' || m AS mentee, 'prog-' || p || '-e' || m AS mentor,
         300000 + 100 * (m % 10) AS fee
) x
CROSS JOIN LATERAL (
  VALUES ('mentee-' || x.mentee, 1, 'MenteeEnrolled', jsonb_build_object('programme_id', 'prog-' || p, 'mentee_id', x.mentee, 'name', 'Manager ' || m, 'cluster_name', 'Cluster ' || m, 'country', 'TN')),
         ('application-prog-' || p || '-a' || m, 1, 'ApplicationSubmitted', jsonb_build_object('programme_id', 'prog-' || p, 'application_id', 'prog-' || p || '-a' || m, 'country', 'FR', 'quotation_cents', 310000)),
         ('application-prog-' || p || '-a' || m, 2, 'ApplicationAccepted', jsonb_build_object('application_id', 'prog-' || p || '-a' || m, 'mentor_id', x.mentor)),
         ('pair-' || x.pair, 1, 'PairAssigned', jsonb_build_object('programme_id', 'prog-' || p, 'pair_id', x.pair, 'mentor_id', x.mentor, 'mentee_id', x.mentee, 'agreed_fee_cents', x.fee)),
         ('pair-' || x.pair, 18, 'ReportSubmitted', jsonb_build_object('pair_id', x.pair, 'language', 'en')),
         ('pair-' || x.pair, 19, 'PairCompleted', jsonb_build_object('pair_id', x.pair)),
         ('invoice-' || x.pair || '-i1', 1, 'InvoiceIssued', jsonb_build_object('invoice_id', x.pair || '-i1', 'pair_id', x.pair, 'mentee_id', x.mentee, 'mentor_id', x.mentor, 'net_cents', x.fee / 2, 'vat_cents', x.fee / 10)),
         ('invoice-' || x.pair || '-i2', 1, 'InvoiceIssued', jsonb_build_object('invoice_id', x.pair || '-i2', 'pair_id', x.pair, 'mentee_id', x.mentee, 'mentor_id', x.mentor, 'net_cents', x.fee - x.fee / 2, 'vat_cents', x.fee / 10)),
         ('invoice-' || x.pair || '-i1', 2, 'InvoicePaid', jsonb_build_object('invoice_id', x.pair || '-i1', 'amount_cents', x.fee / 2)),
         ('invoice-' || x.pair || '-i2', 2, 'InvoicePaid', jsonb_build_object('invoice_id', x.pair || '-i2', 'amount_cents', x.fee - x.fee / 2))
) s(stream, version, type, data);
INSERT INTO events (event_id, stream_id, version, type, data, metadata)
SELECT gen_random_uuid(), 'pair-prog-' || p || '-p' || m, 2 + s, 'SessionLogged',
       jsonb_build_object('pair_id', 'prog-' || p || '-p' || m, 'session_id', 's' || s, 'minutes', 120, 'mode', 'remote',
                          'format', 'bilateral', 'topics', jsonb_build_array('strategy'), 'summary', 'Worked on the cluster''s plan.'),
       jsonb_build_object('programme_id', 'prog-' || p, 'actor', 'coordinator:bench')
FROM generate_series(0, :programmes - 1) p CROSS JOIN generate_series(0, 25) m CROSS JOIN generate_series(0, 15) s;
