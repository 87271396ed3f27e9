#include "http/mentor_scope.h"

#include "http/api.h"

namespace pl {

using nlohmann::json;

bool mentor_sees_stream(const ReadModels& rm, const std::string& mentor_id, std::string_view stream) {
  auto under = [&](std::string_view prefix, std::string_view* id) {
    if (stream.substr(0, prefix.size()) != prefix) return false;
    *id = stream.substr(prefix.size());
    return true;
  };
  std::string_view id;
  if (under("pair-", &id)) {
    const PairState* p = State::find(rm.core().pairs(), id);
    return p && p->mentor_id == mentor_id;
  }
  if (under("invoice-", &id)) {
    const InvoiceState* inv = State::find(rm.core().invoices(), id);
    return inv && inv->mentor_id == mentor_id;
  }
  if (under("application-", &id)) {
    const ApplicationState* a = State::find(rm.core().applications(), id);
    return a && !a->mentor_id.empty() && a->mentor_id == mentor_id;
  }
  return false;  // programmes, mentees, tours: other people's data
}

std::string Api::programme_of(const Ctx& c, const ReadModels& rm) {
  // An entity never leaves its programme, so the latest models say which it is.
  const std::string* id = nullptr;
  if ((id = c.param("pid"))) return *id;
  if ((id = c.param("mid"))) {
    const MenteeState* m = State::find(rm.core().mentees(), *id);
    return m ? m->programme_id : std::string();
  }
  if ((id = c.param("aid"))) {
    const ApplicationState* a = State::find(rm.core().applications(), *id);
    return a ? a->programme_id : std::string();
  }
  const PairState* pair = nullptr;
  if ((id = c.param("pair"))) pair = State::find(rm.core().pairs(), *id);
  if ((id = c.param("iid")))
    if (const InvoiceState* inv = State::find(rm.core().invoices(), *id))
      pair = State::find(rm.core().pairs(), inv->pair_id);
  return pair ? pair->programme_id : std::string();
}

bool Api::mentor_owns(Ctx& c, const ReadModels& rm) {
  const std::string& me = c.who.mentor_id;
  // What is not there is not refused here: the handler answers 404.
  bool own = true;
  std::string what;
  if (const std::string* id = c.param("pair")) {
    const PairState* p = State::find(rm.core().pairs(), *id);
    own = !p || p->mentor_id == me, what = "pair " + *id;
  } else if (const std::string* iid = c.param("iid")) {
    const InvoiceState* inv = State::find(rm.core().invoices(), *iid);
    own = !inv || inv->mentor_id == me, what = "invoice " + *iid;
  } else if (const std::string* mid = c.param("mid")) {
    own = !State::find(rm.core().mentees(), *mid) || MentorScope(rm, me).mentees.count(*mid) > 0;
    what = "mentee " + *mid;
  } else if (const std::string* aid = c.param("aid")) {
    const ApplicationState* a = State::find(rm.core().applications(), *aid);
    own = !a || a->mentor_id == me, what = "application " + *aid;
  } else if (const std::string* stream = c.param("stream")) {
    own = mentor_sees_stream(rm, me, *stream), what = "stream " + *stream;
  }
  if (!own) c.forbid_mentor(what);
  return own;
}

}  // namespace pl
