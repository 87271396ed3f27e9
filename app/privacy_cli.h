// ledger privacy: the people whose retention period has ended, and their
// erasure when it has (docs/PRIVACY.md, "Erasure").
#pragma once

#include <string>

namespace pl::cli {

// ledger privacy due: every subject the ledger holds personal data of whose
// retention has ended by `on` (YYYY-MM-DD; empty: today, UTC), as JSON:
//   {"on", "held", "due": [{"subject", "programmes": [{"programme_id", "retain_until"}]}]}
// Runs beside a server (a read-only view).
int cmd_privacy_due(const std::string& dir, const std::string& on);

// ledger privacy erase-due: erases each subject due today, one SubjectErased
// each with the basis retention_ended, recorded in the role dpo under no
// name (the server stopped: it holds the store). The
// writer decides each again on its own clock: a subject it refuses is listed
// with the refusal, and nothing is written for it. Prints
//   {"erased": [{"subject", "position"}], "refused": [{"subject", "code", "message"}]}
// Exit 0, or 1 when one was refused (or nothing could be opened).
int cmd_privacy_erase_due(const std::string& dir);

// ledger key master: the master key's id (never the key), and how many data
// keys it wraps. With `rotate` (ledger key rotate-master, the server
// stopped): a new master key, every data key wrapped again under it
// (Vault::rotate_master); prints the new id.
int cmd_master_key(const std::string& dir, bool rotate);

}  // namespace pl::cli
