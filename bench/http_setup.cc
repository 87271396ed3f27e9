// Prepares a ledger for the HTTP benchmark: `programmes` programmes of
// `mentees` active pairs each (pairs prog-P-pM, mentees prog-P-mM), every pair
// running 2026-01-01 to 2026-12-31, and a coordinator token printed on stdout.
//
//   bench_http_setup --data DIR [--programmes 10] [--mentees 100]
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include "base/dates.h"
#include "domain/commands.h"
#include "domain/decide.h"
#include "http/auth.h"
#include "writer/writer.h"

using namespace pl;

int main(int argc, char** argv) {
  std::string dir;
  int programmes = 10, mentees = 100;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--data"))
      dir = argv[i + 1];
    else if (!std::strcmp(argv[i], "--programmes"))
      programmes = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--mentees"))
      mentees = std::atoi(argv[i + 1]);
  }
  if (dir.empty())
    return std::fprintf(stderr, "usage: bench_http_setup --data DIR [--programmes N] [--mentees N]\n"), 2;
  std::filesystem::create_directories(dir);
  auto store = Store::open(dir + "/ledger");
  if (!store) return std::fprintf(stderr, "%s\n", store.status().to_string().c_str()), 1;
  // The master key is kept in DIR/master.key, where the server finds it.
  auto vault = Vault::open(dir, **store, true);
  if (!vault) return std::fprintf(stderr, "%s\n", vault.status().to_string().c_str()), 1;
  WriterOptions wo;
  wo.vault = vault->get();
  auto writer = Writer::start(**store, wo);
  if (!writer) return std::fprintf(stderr, "%s\n", writer.status().to_string().c_str()), 1;
  Actor who{"bench", "coordinator"};
  auto run = [&](AnyCommand c) {
    auto r = (*writer)->execute(make_command(std::move(c), who));
    if (!r) {
      std::fprintf(stderr, "%s\n", r.status().to_string().c_str());
      std::exit(1);
    }
  };
  Rules r;
  r.hour_cap_minutes = 32 * 60;
  r.fee_cap_cents = 310000;
  r.min_months = 6;
  r.max_months = 12;
  r.application_deadline_us = parse_instant("2030-12-31T23:59:59Z").value();
  r.cofunding_bp = 9000;
  r.max_tours_per_mentee = 2;
  r.expert_min_years = 5;
  for (int p = 0; p < programmes; ++p) {
    std::string pid = "prog-" + std::to_string(p);
    run(OpenProgramme{pid, "Benchmark programme " + std::to_string(p), "Coordinator", r});
    for (int m = 0; m < mentees; ++m) {
      std::string n = std::to_string(m);
      run(EnrolMentee{pid, pid + "-m" + n, "Manager " + n, "Cluster " + n, "agrifood", "TN", "https://example.org"});
      SubmitApplication a;
      a.programme_id = pid;
      a.id = pid + "-a" + n;
      a.applicant_name = "Mentor " + n;
      a.organisation = "Cluster Europe";
      a.email = "m@example.org";
      a.country = "FR";
      a.years_experience = 10;
      a.quotation_cents = 300000;
      run(std::move(a));
      run(AcceptApplication{pid + "-a" + n, pid + "-e" + n});
      AssignPair ap;
      ap.programme_id = pid;
      ap.id = pid + "-p" + n;
      ap.mentor_id = pid + "-e" + n;
      ap.mentee_id = pid + "-m" + n;
      ap.start_date = parse_date("2026-01-01").value();
      ap.end_date = parse_date("2026-12-31").value();
      ap.agreed_fee_cents = 300000;
      run(std::move(ap));
    }
  }
  (*writer)->stop();
  auto token = Tokens::add(dir + "/tokens.json", Principal{"bench", "coordinator", ""});
  if (!token) return std::fprintf(stderr, "%s\n", token.status().to_string().c_str()), 1;
  std::printf("%s\n", token->c_str());
  return 0;
}
