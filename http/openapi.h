// The OpenAPI 3.1 document of the HTTP API: paths, methods, parameters, roles
// and responses made from the route table (http/routes.h), around the
// schemas and descriptions written by hand in http/openapi_base.json.
// docs/openapi.json is this document, committed; a test checks that they are
// equal, so a route cannot be missing from it or invented in it.
#pragma once

#include <nlohmann/json.hpp>

namespace pl {

// The whole document, its keys in the order a reader expects (openapi, info,
// ..., paths in the route table's order, components). The same on every
// call; thread-safe.
const nlohmann::ordered_json& openapi_document();

}  // namespace pl
