// Every code an error may carry, once: the `code` of an API error
// ({"error": {"code", ...}}) and the reason of a Status. One line each, with
// the HTTP status it is answered with (0: never answered over HTTP: a code
// the command line or the ledger's own loops use) and what it means.
// docs/API.md's table of codes and the OpenAPI document's list of them are
// made from this list (`ledger refusals --markdown`, `ledger openapi`);
// scripts/check_refusals.py (CTest: refusal_codes) fails on a code written in
// the sources that the list lacks.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

// X(code, http status, meaning)
#define PL_REFUSALS(X)                                                                                            \
  X(bad_request, 400, "the request is malformed: a field missing, of the wrong type, unknown, or out of bounds")  \
  X(too_long, 400, "a text is longer than its field allows")                                                      \
  X(beyond_head, 400, "a position or tree size past the log's head")                                              \
  X(unauthorized, 401, "no token, or a token the ledger does not know")                                           \
  X(forbidden, 403, "the token's role may not do this, or a mentor reaches what is not its own")                  \
  X(four_eyes, 403,                                                                                               \
    "whoever recorded an invoice or its payment may not verify it (names compared as persons, trimmed and "       \
    "without regard to case)")                                                                                    \
  X(not_found, 404, "no such entity or path")                                                                     \
  X(method_not_allowed, 405, "the path does not take this method (the answer carries Allow)")                     \
  X(upload_timeout, 408, "an upload's body did not come whole within --upload-timeout seconds")                   \
  X(conflict, 409, "the entity exists already")                                                                   \
  X(version_conflict, 409, "If-Match names a version the stream is no longer at")                                 \
  X(idempotency_key_reused, 409, "the Idempotency-Key was used before with another request")                      \
  X(seed_pending, 409, "a sample drawn before any event has followed its request")                                \
  X(sample_drawn, 409, "a sample drawn again")                                                                    \
  X(evidence_conflict, 409, "the same bytes are stored already under another file name or type")                  \
  X(mentee_already_paired, 409, "the mentee has an active pair already")                                          \
  X(subject_erased, 409, "a person the command names was erased: nothing more is recorded about them")            \
  X(payload_too_large, 413, "the body is larger than the route takes")                                            \
  X(evidence_quota_exceeded, 413, "the uploader's documents attached to nothing would pass its quota")            \
  X(unsupported_media_type, 415, "the body's Content-Type is not one the route takes")                            \
  X(content_mismatch, 422, "a document's bytes are not of the type it is declared as")                            \
  X(deadline_passed, 422, "the application was received after the call's deadline")                               \
  X(not_eligible, 422, "the mentor or mentee does not meet the programme's eligibility")                          \
  X(hour_cap_exceeded, 422, "the session would take the mentee past the hour cap")                                \
  X(fee_cap_exceeded, 422, "the invoice would take the mentee past the fee cap")                                  \
  X(quotation_exceeded, 422, "the invoice would pass the pair's quotation")                                       \
  X(period_out_of_bounds, 422, "a period outside the programme's")                                                \
  X(outside_pair_period, 422, "a date outside the pair's period")                                                 \
  X(pair_not_active, 422, "the pair is not active")                                                               \
  X(report_language, 422, "the final report is not in the programme's language")                                  \
  X(report_missing, 422, "the pair cannot complete before its final report is submitted")                         \
  X(tour_limit_exceeded, 422, "the mentee is registered for as many tours as the programme allows")               \
  X(overpayment, 422, "the payment would pass what the invoice leaves to pay")                                    \
  X(unknown_knowledge_area, 422, "a topic that is not a knowledge area of the programme")                         \
  X(programme_closed, 422, "the programme is closed")                                                             \
  X(retention_period, 422,                                                                                        \
    "a programme that names the person is still within its retention period (retain_until): erase on a court "    \
    "order, or after")                                                                                            \
  X(invoice_cancelled, 422, "the invoice is cancelled")                                                           \
  X(invoice_paid, 422, "the invoice has payments: correct it with a credit note instead")                         \
  X(credit_exceeds_invoice, 422, "the credit note would pass the invoice")                                        \
  X(report_incomplete, 422, "a field of the final report is empty")                                               \
  X(topics_not_matched, 422, "the mentor covers none of the mentee's topics")                                     \
  X(future_date, 422, "a date after the recording day")                                                           \
  X(verification_mismatch, 422, "certified plus deducted is not the net invoiced")                                \
  X(error_type_required, 422, "a deduction without its type of error")                                            \
  X(correction_exceeds_certified, 422, "the correction would pass what was certified")                            \
  X(sample_too_large, 422, "the sample is larger than its population")                                            \
  X(method_not_applicable, 422, "the sampling method does not apply to the population")                           \
  X(empty_population, 422, "the population to sample is empty")                                                   \
  X(unknown_evidence, 422, "no stored document with that SHA-256 that the caller may read: upload it first")      \
  X(session_voided, 422, "the session is voided")                                                                 \
  X(not_in_sample, 422, "the invoice is not in a sample drawn")                                                   \
  X(finding_exceeds_invoice, 422, "the finding would pass the invoice")                                           \
  X(credit_below_corrections, 422, "the credit note would leave less than the corrections already applied")       \
  X(invoice_controlled, 422, "the control verified or corrected the invoice: it may not be cancelled or changed") \
  X(too_many_connections, 429, "the client's address has --max-connections-per-client connections open")          \
  X(too_many_uploads, 429, "the token has --max-uploads-per-token uploads in progress")                           \
  X(corruption, 500, "the ledger failed a check of its own data (run ledger verify)")                             \
  X(corrupt, 500, "a stored document is not the bytes its hash names; none of it is sent")                        \
  X(internal, 500, "a fault of the ledger itself; the log says more")                                             \
  X(storage_error, 503, "the storage failed: the outcome is unknown; retry with the same Idempotency-Key")        \
  X(committed_not_visible, 503,                                                                                   \
    "the command was committed at the positions the message gives, but the read models stopped before they "      \
    "showed it: do not send it again")                                                                            \
  X(read_models_stopped, 503,                                                                                     \
    "the read models stopped for good after a failed read of the store: no command is taken")                     \
  X(unavailable, 503, "the server is stopping")                                                                   \
  X(busy, 503, "too much waiting work of this kind; every busy answer carries Retry-After: 5 (seconds)")          \
  X(evidence_storage_full, 507, "the documents stored would pass the ledger's total for them")                    \
  X(disk_low, 507, "the disk's free space is under --disk-low-mib")                                               \
  X(bad_signature, 0, "a signed note whose signature does not verify (ledger audit)")                             \
  X(unknown_key, 0, "a signed note with no signature by a key given (ledger audit)")                              \
  X(signature, 0, "a checkpoint whose signature does not verify (ledger audit watch)")                            \
  X(origin, 0, "a checkpoint of another origin than the one watched (ledger audit watch)")                        \
  X(asof_keep, 0, "an as-of replay that stops to keep its snapshot (never answered)")                             \
  X(replay_stop, 0, "a replay that reached the point asked (never answered)")                                     \
  X(chunk_full, 0, "a streamed answer's piece is full (never answered)")                                          \
  X(page_full, 0, "a page of events is full (never answered)")

namespace pl {

enum class Refusal : std::uint8_t {
#define PL_REFUSAL_ENUM(code, status, meaning) code,
  PL_REFUSALS(PL_REFUSAL_ENUM)
#undef PL_REFUSAL_ENUM
};

struct RefusalInfo {
  Refusal refusal;
  std::string_view code;
  int http_status;  // 0: never answered over HTTP
  std::string_view meaning;
};

// Every code, in the list's order (by HTTP status).
std::span<const RefusalInfo> refusals();
// The code's entry; null for a code the list lacks.
const RefusalInfo* find_refusal(std::string_view code);
// The code of a refusal ("hour_cap_exceeded").
std::string_view refusal_code(Refusal r);

}  // namespace pl
