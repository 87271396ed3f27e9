#include "base/refusals.h"

#include <array>

namespace pl {

namespace {

constexpr std::array kRefusals = {
#define PL_REFUSAL_INFO(code, status, meaning) RefusalInfo{Refusal::code, #code, status, meaning},
    PL_REFUSALS(PL_REFUSAL_INFO)
#undef PL_REFUSAL_INFO
};

}  // namespace

std::span<const RefusalInfo> refusals() { return kRefusals; }

const RefusalInfo* find_refusal(std::string_view code) {
  for (const RefusalInfo& r : kRefusals)
    if (r.code == code) return &r;
  return nullptr;
}

std::string_view refusal_code(Refusal r) { return kRefusals[static_cast<std::size_t>(r)].code; }

}  // namespace pl
