// What the ledger holds about one person (GDPR Art. 15): the document
// GET /v1/subjects/{subject} answers to the data protection officer.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "base/status.h"
#include "log/store.h"
#include "log/vault.h"

namespace pl {

// Every event that names `subject`: a personal field sealed for them, their
// act (the actor's id is theirs), or their erasure; in position order, each
// as its CloudEvent with the personal fields opened, with `named_in` (the
// fields sealed for them; "actor" for their name as the one who acted) and
// `acted`. Then the documents attached by those events that are theirs:
//   {"subject", "erased", "head", "events": [...], "documents": [{"sha256", "position", "filename"}]}
// not_found when no event names them.
Result<nlohmann::json> subject_access(const Store& store, const Vault& vault, const std::string& subject);

}  // namespace pl
