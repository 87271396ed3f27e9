// A pair's line, written once, by hand as text (render/text_out.h): the pairs
// view is megabytes for a large programme. A pair's JSON is its line's text
// parsed, with its sessions, invoices and the rest when asked.
#include <string>

#include "base/dates.h"
#include "render/text_out.h"
#include "render/views_json.h"

namespace pl {

using nlohmann::json;

namespace {

// A pair's line as pair_json() without `detail` names it.
void write_line(TextOut& out, const PairLine& l) {
  auto date = [&]<std::size_t N>(TextObject& o, const char(&k)[N], std::int32_t d, bool nullable = false) {
    o.key(k);
    if (d == 0 && nullable) {
      out += "null";
      return;
    }
    out.date(d);
  };
  auto strings = [&]<std::size_t N>(TextObject& o, const char(&k)[N], auto begin, auto end) {
    o.key(k);
    out += '[';
    for (auto it = begin; it != end; ++it) {
      if (it != begin) out += ',';
      append_json_string(out, *it);
    }
    out += ']';
  };
  // The keys in the order the JSON library writes them (sorted).
  out += '{';
  TextObject o{out};
  o.num("agreed_fee_cents", l.agreed_fee_cents);
  o.str("cluster_name", l.cluster_name);
  o.str("country", l.country);
  o.num("credited_cents", l.credited_cents);
  date(o, "end_date", l.end_date);
  o.num("fee_left_cents", l.fee_left_cents);
  o.str("id", l.id);
  o.num("invoiced_cents", l.invoiced_cents);
  date(o, "last_session_date", l.last_session_date, true);
  o.str("mentee_id", l.mentee_id);
  o.num("mentee_minutes_used", l.mentee_minutes_used);
  o.str("mentee_name", l.mentee_name);
  o.str("mentor_country", l.mentor_country);
  o.str("mentor_id", l.mentor_id);
  o.str("mentor_name", l.mentor_name);
  o.num("minutes_left", l.minutes_left);
  o.num("minutes_used", l.minutes_used);
  o.str("override_reason", l.override_reason);
  o.num("paid_cents", l.paid_cents);
  o.str("programme_id", l.programme_id);
  o.str("report", l.report_submitted ? "submitted" : "missing");
  o.num("sessions", l.sessions);
  date(o, "start_date", l.start_date);
  o.str("status", l.standing.status);
  if (l.topics) strings(o, "topics", l.topics->begin(), l.topics->end());
  strings(o, "warnings", l.standing.warnings.begin(), l.standing.warnings.begin() + l.standing.warning_count);
  out += '}';
}

}  // namespace

std::string pairs_text(const std::vector<PairLine>& lines, std::uint64_t position, std::int32_t today) {
  TextOut out(64 + lines.size() * 700);
  out += "{\"pairs\":[";
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i) out += ',';
    write_line(out, lines[i]);
  }
  out += "],\"position\":";
  out += std::to_string(position);
  out += ",\"today\":\"";
  out += format_date(today);
  out += "\"}";
  return out.take();
}

// A pair as JSON; with `detail`, its sessions and invoices too.
json pair_json(const ReadModels& rm, const PairState& p, std::int32_t today, bool detail, bool explain) {
  const PairLine line = pair_line(rm, p, today);
  TextOut line_text(700);
  write_line(line_text, line);
  json out = json::parse(line_text.take());
  if (!detail) return out;
  const PairExtra* extra = State::find(rm.pairs(), p.id);
  out["session_count"] = line.sessions;
  json sessions = json::array(), invoices = json::array();
  for (std::size_t i = 0; i < p.sessions.size(); ++i) {
    const SessionState& s = p.sessions[i];
    // The read models keep one text per session, in the same order.
    const SessionText* text = extra && i < extra->sessions.size() ? &extra->sessions[i] : nullptr;
    json topics = json::array();
    for (auto t : s.topics) topics.push_back(rm.core().topic_names().at(t));
    json row = {{"id", s.id},
                {"date", format_date(s.date)},
                {"minutes", s.minutes},
                {"mode", fb::EnumNameMode(s.mode)},
                {"format", fb::EnumNameFormat(s.format)},
                {"topics", topics},
                {"summary", text ? rm.text(text->summary) : std::string()},
                {"position", s.position},
                {"voided", s.voided()}};
    if (s.voided()) {
      row["voided_position"] = s.voided_position;
      row["void_reason"] = text ? rm.text(text->void_reason) : std::string();
    }
    sessions.push_back(std::move(row));
  }
  if (extra) {
    for (auto& iid : extra->invoices)
      if (auto* inv = State::find(rm.core().invoices(), iid)) invoices.push_back(invoice_json(rm, *inv));
    if (extra->report_position) {
      out["report_language"] = extra->report_language;
      out["report_position"] = extra->report_position;
    }
    if (extra->ended_position) out["ended_position"] = extra->ended_position;
    if (!extra->end_reason.empty()) out["end_reason"] = rm.text(extra->end_reason);
    out["evidence"] = evidence_links_json(rm, extra->evidence);
  }
  out["sessions"] = sessions;
  out["invoices"] = invoices;
  if (explain) {
    Explain ex;
    pair_figures(rm, p, &ex);
    json minutes = json::array();
    for (auto& s : p.sessions)
      if (!s.voided())
        minutes.push_back({{"position", s.position},
                           {"type", "SessionLogged"},
                           {"date", format_date(s.date)},
                           {"session_id", s.id},
                           {"minutes", s.minutes}});
    out["explain"] = {{"agreed_fee_cents", explain_entries_json(ex.agreed)},
                      {"invoiced_cents", explain_entries_json(ex.invoiced)},
                      {"credited_cents", explain_entries_json(ex.credited)},
                      {"paid_cents", explain_entries_json(ex.paid)},
                      {"minutes_used", minutes}};
  }
  return out;
}

}  // namespace pl
