#pragma once
// The conversation the dialect tests build requests from: a system message first and one
// in the middle, and an assistant turn between the user's, so each dialect shows where it puts
// each; 77 tokens at most, to find under each dialect's own name for the limit. And the body
// of an encoded request, read back as JSON.
#include <governed/request.hpp>
#include <governed/wire/http_request.hpp>

#include <nlohmann/json.hpp>

namespace governed_test {

inline governed::Request chat() {
  governed::Request r;
  r.messages = {{"system", "Be brief."}, {"user", "Hello"}, {"assistant", "Hi."}, {"system", "Use French."},
                {"user", "Again"}};
  r.max_tokens = 77;
  return r;
}

inline nlohmann::json body_of(const governed::wire::HttpRequest& r) { return nlohmann::json::parse(r.body); }

}  // namespace governed_test
