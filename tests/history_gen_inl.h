// The lifecycle history (see history_gen.h).
#pragma once

namespace pl::test {

template <typename Emit>
void lifecycle_history(int first, int programmes, int mentees, std::int64_t base_us, Emit&& emit) {
  // 2017-11-27: every business date below (the last session is day0 + 351)
  // lies before 2019-01-01, so no session is dated after the recording
  // clocks of the tests and benchmarks that replay it (future_date).
  const std::int32_t day0 = 17497;
  Rules r = lifecycle_rules(base_us + 86'400'000'000LL * 365 * 20);
  const char* topics[] = {"strategy", "governance", "service portfolio", "internationalisation"};
  for (int p = first; p < first + programmes; ++p) {
    std::string pid = "prog-" + std::to_string(p);
    emit(AnyCommand(OpenProgramme{pid, "Programme " + std::to_string(p), "Coordinator", r}));
    for (int m = 0; m < mentees; ++m) {
      std::string n = std::to_string(m);
      std::string mentee = pid + "-m" + n, app = pid + "-a" + n, mentor = pid + "-e" + n, pair = pid + "-p" + n;
      emit(AnyCommand(
          EnrolMentee{pid, mentee, "Manager " + n, "Cluster " + n, "agrifood", "TN", "https://example.org"}));
      SubmitApplication a;
      a.programme_id = pid;
      a.id = app;
      a.applicant_name = "Mentor " + n;
      a.organisation = "Cluster Europe " + n;
      a.email = "mentor" + n + "@example.org";
      a.country = "FR";
      a.profile = fb::Profile::cluster_manager;
      a.years_experience = 10;
      a.knowledge_areas = {topics[m % 4]};
      a.quotation_cents = 310000;
      emit(AnyCommand(std::move(a)));
      emit(AnyCommand(AcceptApplication{app, mentor}));
      std::int32_t start = day0 + 60 + (m % 30);
      AssignPair ap;
      ap.programme_id = pid;
      ap.id = pair;
      ap.mentor_id = mentor;
      ap.mentee_id = mentee;
      ap.start_date = start;
      ap.end_date = start + 300;
      ap.agreed_fee_cents = 300000 + 100 * (m % 10);
      ap.topics = {topics[m % 4]};
      emit(AnyCommand(std::move(ap)));
      for (int s = 0; s < 16; ++s) {
        LogSession ls;
        ls.pair_id = pair;
        ls.id = "s" + std::to_string(s);
        ls.date = start + 7 + 17 * s;
        ls.minutes = 120;
        ls.mode = s % 3 == 0 ? fb::Mode::in_person : fb::Mode::remote;
        ls.format = s % 5 == 0 ? fb::Format::group : fb::Format::bilateral;
        ls.topics = {topics[(m + s) % 4]};
        ls.summary = "Worked on the cluster's plan.";
        emit(AnyCommand(std::move(ls)));
      }
      emit(AnyCommand(SubmitReport{pair, "en", {topics[m % 4]}, "Good progress.", "A new service."}));
      emit(AnyCommand(CompletePair{pair}));
      std::int64_t fee = 300000 + 100 * (m % 10);
      emit(AnyCommand(IssueInvoice{pair, pair + "-i1", "INV-1", start + 150, fee / 2, fee / 10}));
      emit(AnyCommand(IssueInvoice{pair, pair + "-i2", "INV-2", start + 300, fee - fee / 2, fee / 10}));
      emit(AnyCommand(PayInvoice{pair + "-i1", start + 180, fee / 2}));
      emit(AnyCommand(PayInvoice{pair + "-i2", start + 320, fee - fee / 2}));
    }
  }
}

}  // namespace pl::test
