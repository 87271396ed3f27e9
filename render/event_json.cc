#include "render/event_json.h"

#include <flatbuffers/minireflect.h>

#include "base/dates.h"
#include "base/sha256.h"
#include "log/note.h"
#include "render/views_json.h"

namespace pl {
namespace {

using nlohmann::json;

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Builds JSON from minireflect's walk. Each table or vector is a frame that
// remembers the key it will be stored under in its parent.
class JsonVisitor : public flatbuffers::IterationVisitor {
 public:
  json result;

  void StartSequence() override { frames_.push_back({json::object(), key_, conv_}); }
  void EndSequence() override { close(); }
  void StartVector() override { frames_.push_back({json::array(), key_, conv_}); }
  void EndVector() override { close(); }

  void Field(size_t, size_t, flatbuffers::ElementaryType type, bool is_vector, const flatbuffers::TypeTable* ref,
             const char* name, const uint8_t* val) override {
    key_ = name ? name : "";
    conv_ = Conv::none;
    if (key_ == "date" || ends_with(key_, "_date")) conv_ = Conv::date;
    if (ends_with(key_, "_us")) {
      conv_ = Conv::instant;
      key_.resize(key_.size() - 3);
    }
    if (val) return;
    // Absent: FlatBuffers leaves out scalars equal to their default.
    if (is_vector) return put(json::array());
    switch (type) {
      case flatbuffers::ET_UTYPE:
        return;
      case flatbuffers::ET_BOOL:
        return put(false);
      case flatbuffers::ET_STRING:
        return put("");
      case flatbuffers::ET_SEQUENCE:
        return put(nullptr);
      default:
        if (ref && ref->names && ref->num_elems > 0) return put(ref->names[0]);  // an enum's first value
        return put(conv_ == Conv::date      ? json(format_date(0))
                   : conv_ == Conv::instant ? json(format_instant(0))
                                            : json(0));
    }
  }
  void UType(uint8_t, const char*) override {}
  void Bool(bool v) override { put(v); }
  void Char(int8_t v, const char* n) override { integer(v, n); }
  void UChar(uint8_t v, const char* n) override { integer(v, n); }
  void Short(int16_t v, const char* n) override { integer(v, n); }
  void UShort(uint16_t v, const char* n) override { integer(v, n); }
  void Int(int32_t v, const char* n) override { integer(v, n); }
  void UInt(uint32_t v, const char* n) override { integer(v, n); }
  void Long(int64_t v) override { integer(v, nullptr); }
  void ULong(uint64_t v) override { put(v); }
  void Float(float v) override { put(v); }
  void Double(double v) override { put(v); }
  void String(const flatbuffers::String* s) override { put(s ? s->str() : std::string()); }

 private:
  enum class Conv { none, date, instant };
  struct Frame {
    json value;
    std::string key;
    Conv conv;
  };

  void integer(std::int64_t v, const char* enum_name) {
    if (enum_name) return put(enum_name);
    if (conv_ == Conv::date && v >= INT32_MIN && v <= INT32_MAX) return put(format_date(static_cast<std::int32_t>(v)));
    if (conv_ == Conv::instant) return put(format_instant(v));
    put(v);
  }
  void put(json v) {
    if (frames_.empty()) return;
    json& top = frames_.back().value;
    if (top.is_array())
      top.push_back(std::move(v));
    else
      top[key_] = std::move(v);
  }
  void close() {
    Frame f = std::move(frames_.back());
    frames_.pop_back();
    if (frames_.empty()) {
      result = std::move(f.value);
      return;
    }
    key_ = f.key;
    conv_ = f.conv;
    put(std::move(f.value));
  }

  std::vector<Frame> frames_;
  std::string key_;
  Conv conv_ = Conv::none;
};

std::string csv_field(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace

// The name of field `field` (a vtable offset) of the table of event type `type`.
const char* sealed_field_name(fb::Event type, std::uint16_t field) {
  const flatbuffers::TypeTable* events = fb::EventTypeTable();
  auto tag = static_cast<std::size_t>(type);
  if (tag == 0 || tag >= events->num_elems || field < 4) return nullptr;
  const flatbuffers::TypeTable* table = events->type_refs[events->type_codes[tag].sequence_ref]();
  std::size_t i = (field - 4) / 2;
  return i < table->num_elems && table->names ? table->names[i] : nullptr;
}

namespace {

std::string actor_text(const EventView& e, const Vault* vault) {
  SealedText name = e.actor_name();
  std::string shown = name.empty() ? std::string() : vault ? vault->text(name) : std::string(kSealedText);
  return std::string(e.actor_role()) + ":" + shown;
}

}  // namespace

json event_data(const EventView& e, const Vault* vault) {
  JsonVisitor v;
  auto bytes = e.payload_bytes();
  flatbuffers::IterateFlatBuffer(reinterpret_cast<const uint8_t*>(bytes.data()), fb::PayloadTypeTable(), &v);
  if (!v.result.is_object() || !v.result.contains("event")) return json::object();
  json data = std::move(v.result["event"]);
  // A table's absent scalar is its schema default, which the walk above does
  // not know: the rules are rendered as the API shows them (retention_years
  // of an event written before the rule existed is its default, 5).
  if (auto* o = e.as<fb::ProgrammeOpened>())
    data["rules"] = rules_json(Rules::from(o->rules()));
  else if (auto* a = e.as<fb::ProgrammeRulesAmended>())
    data["rules"] = rules_json(Rules::from(a->rules()));
  // The personal fields, opened for the reader (or shown as erased).
  if (const auto* sealed = e.env->sealed())
    for (const auto* f : *sealed)
      if (f->field() != 0)
        if (const char* name = sealed_field_name(e.type(), f->field())) {
          SealedText t = e.text(f->field());
          data[name] = vault ? vault->text(t) : std::string(kSealedText);
        }
  return data;
}

json cloud_event(const EventView& e, const Vault* vault) {
  std::string programme(e.programme_id());
  json out = {{"specversion", "1.0"},
              {"id", std::to_string(e.position())},
              {"source", programme.empty() ? std::string("/ledger") : "/programmes/" + programme},
              {"type", "eu.programme-ledger." + std::string(e.type_name())},
              {"subject", std::string(e.stream())},
              {"time", format_instant(e.recorded_at_us())},
              {"datacontenttype", "application/json"},
              {"data", event_data(e, vault)},
              {"position", e.position()},
              {"streamversion", e.version()},
              {"actor", actor_text(e, vault)},
              {"actorid", std::string(e.actor_id())},
              {"rulesversion", e.env->rules_version()},
              {"prevhash", to_hex(e.prev_hash_bytes())},
              {"hash", to_hex(e.hash_bytes())}};
  // The CloudEvents data classification extension: events whose data holds
  // personal fields say so, with the regulation and GDPR's category
  // (ordinary personal data); the others are internal (docs/PRIVACY.md).
  bool personal = false;
  if (const auto* sealed = e.env->sealed())
    for (const auto* f : *sealed) personal = personal || f->field() != 0;
  out["dataclassification"] = personal ? "confidential" : "internal";
  if (personal) {
    out["dataregulation"] = "GDPR";
    out["datacategory"] = "standard";
  }
  return out;
}

json proved_event(const EventView& e, const Vault* vault) {
  json out = cloud_event(e, vault);
  out["canonical"] = note::base64(envelope_canonical(e.ref()));
  return out;
}

std::string ndjson_line(const EventView& e, const Vault* vault) {
  std::string line = cloud_event(e, vault).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  line += '\n';
  return line;
}

std::string csv_header() {
  return "position,stream,version,type,recorded_at,actor,programme_id,prev_hash,hash,data\r\n";
}

std::string csv_line(const EventView& e, const Vault* vault) {
  std::string line =
      std::to_string(e.position()) + "," + csv_field(e.stream()) + "," + std::to_string(e.version()) + "," +
      std::string(e.type_name()) + "," + format_instant(e.recorded_at_us()) + "," + csv_field(actor_text(e, vault)) +
      "," + csv_field(e.programme_id()) + "," + to_hex(e.prev_hash_bytes()) + "," + to_hex(e.hash_bytes()) + "," +
      csv_field(event_data(e, vault).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)) + "\r\n";
  return line;
}

}  // namespace pl
