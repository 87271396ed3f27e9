// What a mentor may reach: the events of a stream (its own pairs, their
// invoices, its own application). The entities a path names are checked by
// Api::mentor_owns (http/mentor_scope.cc); what an answer is cut to, by
// MentorScope (read/read_models.h).
#pragma once

#include <string>
#include <string_view>

#include "read/read_models.h"

namespace pl {

// Whether mentor `mentor_id` may see the events of `stream`.
bool mentor_sees_stream(const ReadModels& rm, const std::string& mentor_id, std::string_view stream);

}  // namespace pl
