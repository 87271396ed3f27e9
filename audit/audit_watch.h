// ledger audit watch: the auditor's own witness. It fetches the ledger's
// signed checkpoint, checks its signature against the verifier key the
// auditor holds, and checks a consistency proof from the checkpoint it kept
// in its state file; only then does it keep the newer one.
#pragma once

#include <string>
#include <vector>

namespace pl::audit {

struct WatchOptions {
  // The ledger's base URL: http://host:port (plain HTTP; put TLS in front).
  std::string url;
  // Verifier keys (name+hash+base64) the auditor trusts; any may sign.
  std::vector<std::string> keys;
  // The file holding the last checkpoint accepted (a signed note). A missing
  // file: the first checkpoint is accepted as it is, and kept.
  std::string state_file;
  // Seconds between two looks; 0: look once.
  // Default: 0
  int interval_s = 0;
  // A bearer token, if a proxy in front asks for one (the ledger does not).
  // Default: none
  std::string token;
};

// Exit status: 0 when every look was good; 2 on a bad signature, an origin
// that is not the signing key's name, a smaller tree, a different root for
// the same size, or a failed proof (the message on standard error says
// which, with the sizes and both roots); 1 when the ledger could not be
// reached or the input is unusable (a state file that is not a checkpoint
// signed by a key given: left as it is).
int watch(const WatchOptions& options);

}  // namespace pl::audit
