#include <governed/dialect/error.hpp>
#include <governed/dialect/reply.hpp>
#include <governed/dialect/request.hpp>

#include "chat.hpp"
#include "written.hpp"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

using namespace governed;
using governed_test::body_of;
using governed_test::chat;
using nlohmann::json;
namespace gp = governed::providers;

TEST_CASE("wire: Azure deployment URLs, api-key, api-version; the v1 API", "[dialect][azure]") {
  const Request req = chat();
  const auto r = dialect::encode_request({req, "azure", "my-gpt4o", "https://res.openai.azure.com/openai", "azkey"},
                                         gp::Dialect::azure, {}, false);
  REQUIRE(r);
  CHECK(r->target == "/openai/deployments/my-gpt4o/chat/completions?api-version=2024-10-21");
  CHECK(r->header("api-key") == "azkey");
  CHECK(r->header("authorization").empty());
  CHECK_FALSE(body_of(*r).contains("model"));
  CHECK(body_of(*r)["max_completion_tokens"] == 77);

  const auto pinned = dialect::encode_request(
      {req, "azure", "dep/../x", "https://res.openai.azure.com/openai?api-version=2025-01-01-preview", "k"},
      gp::Dialect::azure, {}, false);
  CHECK(pinned->target == "/openai/deployments/dep%2F..%2Fx/chat/completions?api-version=2025-01-01-preview");

  const auto v1 = dialect::encode_request({req, "azure", "gpt-4o", "https://res.openai.azure.com/openai/v1", "k"},
                                          gp::Dialect::azure, {}, false);
  CHECK(v1->target == "/openai/v1/chat/completions");
  CHECK(body_of(*v1)["model"] == "gpt-4o");
}

TEST_CASE("an error the azure home writes reads back to the same fields and the same verdict", "[dialect][azure][round_trip]") {
  auto said = [](std::string code, std::string message) {
    gp::ErrorBody e;
    e.code = std::move(code);
    e.message = std::move(message);
    return e;
  };
  auto written = [](const gp::ErrorBody& e) { return dialect::azure::encode_error(e); };
  governed_test::check_error_round_trip("azure", 429, said("429", "Requests to the ChatCompletions_Create Operation have exceeded "
                                                           "call rate limit. Please retry after 7 seconds."), written);
  governed_test::check_error_round_trip("azure", 404, said("DeploymentNotFound", "The API deployment for this resource does not exist."),
                                        written);
  CHECK(json::parse(written(said("429", "x")))["error"]["code"] == "429");  // Azure's code is text
}
