// Events at the edge: CloudEvents 1.0 JSON, and CSV lines.
//
// The `data` of an event is its payload with the field names of the schema;
// dates (fields named `date` or `*_date`) as YYYY-MM-DD, instants (fields
// named `*_us`, renamed without the suffix) as RFC 3339 UTC, enums by name,
// absent scalars at their default. One generic walk over the schema's type
// tables serves every event type, so a field added to the schema appears here
// without code.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "log/envelope.h"
#include "log/vault.h"

namespace pl {

// The name of the field at vtable offset `field` of event type `type`'s
// table (a sealed field's name); null when there is none.
const char* sealed_field_name(fb::Event type, std::uint16_t field);

// The payload's event table as JSON.
nlohmann::json event_data(const EventView& e, const Vault* vault);

// A CloudEvents 1.0 structured event, with the extension attributes
// position, streamversion, actor, prevhash, hash, rulesversion.
nlohmann::json cloud_event(const EventView& e, const Vault* vault);
// cloud_event() and `canonical`: the base64 of the event's canonical bytes
// (log/envelope.h), whose SHA-256 is `hash`, the Merkle leaf's data. A
// client hashes them itself, proves that leaf in a signed checkpoint, and
// reads the envelope's fields (and the payload) from the same bytes, so the
// proof binds what it is shown, not only a hash the server names. What
// /v1/events and /v1/streams/{stream} answer (not the exports, whose lines
// the pack keeps as they are).
nlohmann::json proved_event(const EventView& e, const Vault* vault);

// The event as one line of NDJSON (with its newline): cloud_event() as
// compact JSON, bytes that are not UTF-8 replaced. What `ledger export
// --format ndjson` prints and the auditor's pack holds.
std::string ndjson_line(const EventView& e, const Vault* vault);

// The CSV header and one line (RFC 4180 quoting, data as JSON).
std::string csv_header();
std::string csv_line(const EventView& e, const Vault* vault);

}  // namespace pl
