-- The budget totals of every programme, from the events: agreed fees of pairs
-- not terminated, net invoiced of invoices not cancelled, credit notes on
-- invoices not cancelled, payments; per programme.
WITH cancelled AS (SELECT data->>'invoice_id' AS id FROM events WHERE type = 'InvoiceCancelled'),
     terminated AS (SELECT data->>'pair_id' AS id FROM events WHERE type = 'PairTerminated')
SELECT metadata->>'programme_id' AS programme,
       SUM((data->>'agreed_fee_cents')::bigint) FILTER (WHERE type = 'PairAssigned' AND data->>'pair_id' NOT IN (SELECT id FROM terminated)) AS agreed,
       SUM((data->>'net_cents')::bigint) FILTER (WHERE type = 'InvoiceIssued' AND data->>'invoice_id' NOT IN (SELECT id FROM cancelled)) AS invoiced,
       SUM((data->>'amount_cents')::bigint) FILTER (WHERE type = 'CreditNoteIssued' AND data->>'invoice_id' NOT IN (SELECT id FROM cancelled)) AS credited,
       SUM((data->>'amount_cents')::bigint) FILTER (WHERE type = 'InvoicePaid') AS paid
FROM events
GROUP BY 1;
