#include "domain/rules.h"

#include <flatbuffers/minireflect.h>

#include <algorithm>

namespace pl {
namespace {

bool in_or_empty(const std::vector<std::string>& list, const std::string& x) {
  return list.empty() || std::find(list.begin(), list.end(), x) != list.end();
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::vector<RuleField> reflect() {
  const flatbuffers::TypeTable* tt = fb::RulesTypeTable();
  // The schema's defaults: a default native table, every field written.
  flatbuffers::FlatBufferBuilder defaults;
  defaults.ForceDefaults(true);
  fb::RulesT native;
  defaults.Finish(fb::Rules::Pack(defaults, &native));
  const auto* dt =
      reinterpret_cast<const flatbuffers::Table*>(flatbuffers::GetRoot<fb::Rules>(defaults.GetBufferPointer()));
  std::vector<RuleField> out;
  for (std::size_t i = 0; i < tt->num_elems; ++i) {
    RuleField f;
    f.name = tt->names[i];
    f.json_name = f.name;
    f.slot =
        static_cast<flatbuffers::voffset_t>(flatbuffers::FieldIndexToOffset(static_cast<flatbuffers::voffset_t>(i)));
    const flatbuffers::TypeCode& code = tt->type_codes[i];
    f.wide = code.base_type == flatbuffers::ET_LONG;
    if (code.is_repeating) {
      // Only lists of strings: a schema change that adds another kind of
      // list must teach this file first.
      if (code.base_type != flatbuffers::ET_STRING) std::abort();
      f.unit = RuleUnit::strings;
    } else if (code.base_type == flatbuffers::ET_BOOL) {
      f.unit = RuleUnit::boolean;
    } else if (code.base_type != flatbuffers::ET_LONG && code.base_type != flatbuffers::ET_INT) {
      std::abort();  // likewise for another scalar type
    } else if (ends_with(f.name, "_minutes")) {
      f.unit = RuleUnit::minutes;
    } else if (ends_with(f.name, "_cents")) {
      f.unit = RuleUnit::cents;
    } else if (ends_with(f.name, "_us")) {
      f.unit = RuleUnit::instant;
      f.json_name = f.name.substr(0, f.name.size() - 3);
    } else if (ends_with(f.name, "_bp")) {
      f.unit = RuleUnit::basis_points;
    } else {
      f.unit = RuleUnit::count;
    }
    if (f.unit == RuleUnit::boolean)
      f.fallback = dt->GetField<std::uint8_t>(f.slot, 0);
    else if (f.unit != RuleUnit::strings)
      f.fallback = f.wide ? dt->GetField<std::int64_t>(f.slot, 0) : dt->GetField<std::int32_t>(f.slot, 0);
    f.optional_in_api = f.unit == RuleUnit::boolean || f.fallback != 0 ||
                        (f.unit == RuleUnit::strings && f.name == "evidence_required");
    out.push_back(f);
  }
  return out;
}

}  // namespace

Rules Rules::from(const fb::Rules* r) {
  Rules out;
  if (r) r->UnPackTo(&out);
  return out;
}

flatbuffers::Offset<fb::Rules> Rules::pack(flatbuffers::FlatBufferBuilder& b) const { return fb::Rules::Pack(b, this); }

std::string Rules::packed() const {
  flatbuffers::FlatBufferBuilder b;
  b.Finish(pack(b));
  return std::string(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize());
}

Rules Rules::unpacked(std::string_view bytes) {
  // A checkpoint is checked against the event it covers before it is read;
  // the table is verified too, so a damaged one loads as no rules, never as
  // a read out of bounds.
  flatbuffers::Verifier v(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  if (bytes.empty() || !v.VerifyBuffer<fb::Rules>(nullptr)) return Rules();
  return from(flatbuffers::GetRoot<fb::Rules>(bytes.data()));
}

bool Rules::mentee_country_ok(const std::string& c) const { return in_or_empty(mentee_countries, c); }
bool Rules::mentor_country_ok(const std::string& c) const { return in_or_empty(mentor_countries, c); }
bool Rules::topic_ok(const std::string& t) const { return in_or_empty(knowledge_areas, t); }

const std::vector<RuleField>& rule_fields() {
  static const std::vector<RuleField> fields = reflect();
  return fields;
}

std::vector<RuleValue> rule_values(const Rules& r) {
  flatbuffers::FlatBufferBuilder b;
  b.Finish(r.pack(b));
  const auto* t = reinterpret_cast<const flatbuffers::Table*>(flatbuffers::GetRoot<fb::Rules>(b.GetBufferPointer()));
  std::vector<RuleValue> out;
  for (const RuleField& f : rule_fields()) {
    RuleValue v;
    if (f.unit == RuleUnit::strings) {
      using List = flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>;
      if (const List* list = t->GetPointer<const List*>(f.slot))
        for (const flatbuffers::String* s : *list) v.strings.push_back(s->str());
    } else {
      v.number = f.unit == RuleUnit::boolean ? t->GetField<std::uint8_t>(f.slot, static_cast<std::uint8_t>(f.fallback))
                 : f.wide                    ? t->GetField<std::int64_t>(f.slot, f.fallback)
                                             : t->GetField<std::int32_t>(f.slot, static_cast<std::int32_t>(f.fallback));
    }
    out.push_back(std::move(v));
  }
  return out;
}

Rules rules_from_values(const std::vector<RuleValue>& values) {
  const auto& fields = rule_fields();
  flatbuffers::FlatBufferBuilder b;
  // Lists first: FlatBuffers builds what a table points to before the table.
  std::vector<flatbuffers::Offset<void>> lists(fields.size());
  for (std::size_t i = 0; i < fields.size() && i < values.size(); ++i)
    if (fields[i].unit == RuleUnit::strings) lists[i] = b.CreateVectorOfStrings(values[i].strings).Union();
  auto start = b.StartTable();
  for (std::size_t i = 0; i < fields.size() && i < values.size(); ++i) {
    const RuleField& f = fields[i];
    if (f.unit == RuleUnit::strings)
      b.AddOffset(f.slot, lists[i]);
    else if (f.unit == RuleUnit::boolean)
      b.AddElement<std::uint8_t>(f.slot, values[i].number != 0 ? 1 : 0, static_cast<std::uint8_t>(f.fallback));
    else if (f.wide)
      b.AddElement<std::int64_t>(f.slot, values[i].number, f.fallback);
    else
      b.AddElement<std::int32_t>(f.slot, static_cast<std::int32_t>(values[i].number),
                                 static_cast<std::int32_t>(f.fallback));
  }
  b.Finish(flatbuffers::Offset<fb::Rules>(b.EndTable(start)));
  return Rules::from(flatbuffers::GetRoot<fb::Rules>(b.GetBufferPointer()));
}

}  // namespace pl
