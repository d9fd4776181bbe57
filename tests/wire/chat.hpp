#pragma once
// The conversation the wire format tests build requests from: a system message first and one
// in the middle, and an assistant turn between the user's, so each format shows where it puts
// each; 77 tokens at most, to find under each format's own name for the limit.
#include <governed/request.hpp>

namespace governed_test {

inline governed::Request chat() {
  governed::Request r;
  r.messages = {{"system", "Be brief."}, {"user", "Hello"}, {"assistant", "Hi."}, {"system", "Use French."},
                {"user", "Again"}};
  r.max_tokens = 77;
  return r;
}

}  // namespace governed_test
