#include <governed/providers/table_json.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace gp = governed::providers;

namespace {

/// The built-in table's document as it was written in JSON before it became C++ data.
std::string builtin_table_json_text() {
  std::filesystem::path dir = std::filesystem::path(__FILE__).parent_path().parent_path() / "data";
  if (const char* env = std::getenv("GOVERNED_VECTORS"); env && *env) dir = env;
  std::ifstream in(dir / "builtin_table.json");
  REQUIRE(in);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("the built-in table written as JSON is its JSON document, and reads back to the same table",
          "[providers][table]") {
  const auto& builtin = gp::builtin_table();
  const std::string text = builtin_table_json_text();
  CHECK(gp::to_json(builtin.document()) == nlohmann::json::parse(text));

  auto from_text = gp::table_from_json(text, "builtin_table.json");
  REQUIRE(from_text);
  CHECK(*from_text == builtin);
  auto written = gp::table_from_json(gp::to_json(builtin.document()).dump(), "written.json");
  REQUIRE(written);
  CHECK(*written == builtin);
}

TEST_CASE("a table document reads back from its JSON field for field, absent and empty apart",
          "[providers][table]") {
  const auto doc = gp::builtin_table_document();
  auto again = gp::document_from_json(gp::to_json(doc), "written.json");
  REQUIRE(again);
  auto ordered = gp::Table::from_document(doc, "code");
  REQUIRE(ordered);
  CHECK(*again == ordered->document());
  // openai_compatible writes empty chains and no models; azure writes no tiers at all.
  const auto json = gp::to_json(doc);
  const auto& compatible = json["providers"]["openai_compatible"];
  CHECK(compatible["fallback"]["models"] == nlohmann::json::array());
  CHECK(compatible["models"] == nlohmann::json::object());
  CHECK_FALSE(json["providers"]["azure"]["models"]["gpt-4o"].contains("tiers"));
}

TEST_CASE("an override of a provider's estimate reaches the models that inherit it, not those that set their own",
          "[providers][table]") {
  const auto& base = gp::builtin_table();
  auto t = gp::apply_override(
      base, R"({"providers": {"openai": {"estimate": {"tokens_per_message": 7, "letters_per_token": 4.0}}}})",
      "over.json");
  REQUIRE(t);
  // gpt-4o sets only letters_per_token (5.5); it inherits the provider's message framing.
  CHECK(t->model("openai", "gpt-4o")->estimate.tokens_per_message == 7);
  CHECK(t->model("openai", "gpt-4o")->estimate.letters_per_token == 5.5);
  CHECK(t->model("openai", "gpt-4-turbo")->estimate.letters_per_token == 4.0);
  // A model's date carries to its price and tiers unless they have their own.
  auto dated = gp::apply_override(base, R"({"providers": {"groq": {"models": {"gemma2-9b-it": {"as_of": "2026-01-02"}}}}})",
                                  "over.json");
  REQUIRE(dated);
  CHECK(dated->model("groq", "gemma2-9b-it")->price.as_of == "2026-01-02");
  CHECK(dated->model("groq", "gemma2-9b-it")->tier("free")->as_of == "2026-01-02");
}

TEST_CASE("the estimate's image rule, tool and page figures are read, inherited and written back",
          "[providers][table]") {
  const auto& base = gp::builtin_table();
  // Each provider names the rule its models count images by.
  CHECK(base.model("openai", "gpt-4o")->estimate.image == gp::ImageRule::openai_tiles);
  CHECK(base.model("azure", "gpt-4o")->estimate.image == gp::ImageRule::openai_tiles);
  CHECK(base.model("anthropic", "claude-3-5-sonnet-20241022")->estimate.image == gp::ImageRule::anthropic_area);
  CHECK(base.model("gemini", "gemini-2.5-flash")->estimate.image == gp::ImageRule::gemini_tiles);
  // Anthropic's tool prompt: 346 from the provider, Claude 3 Haiku's own 340.
  CHECK(base.model("anthropic", "claude-3-5-sonnet-20241022")->estimate.tool_prompt_tokens == 346);
  CHECK(base.model("anthropic", "claude-3-haiku-20240307")->estimate.tool_prompt_tokens == 340);

  auto t = gp::apply_override(base, R"({"providers": {"anthropic": {"estimate": {
      "image": "gemini_tiles", "image_patch_multiplier": 2.5, "tokens_per_tool": 11,
      "tool_prompt_tokens": 300, "tokens_per_document_page": 2000}}}})",
                              "over.json");
  REQUIRE(t);
  const auto& sonnet = t->model("anthropic", "claude-3-5-sonnet-20241022")->estimate;
  CHECK(sonnet.image == gp::ImageRule::gemini_tiles);
  CHECK(sonnet.image_patch_multiplier == 2.5);
  CHECK(sonnet.tokens_per_tool == 11);
  CHECK(sonnet.tool_prompt_tokens == 300);
  CHECK(sonnet.tokens_per_document_page == 2000);
  // A model that sets its own keeps it, and inherits the rest.
  const auto& haiku = t->model("anthropic", "claude-3-haiku-20240307")->estimate;
  CHECK(haiku.tool_prompt_tokens == 340);
  CHECK(haiku.image == gp::ImageRule::gemini_tiles);

  // Written back as read.
  const auto json = gp::to_json(t->document());
  const auto& written = json["providers"]["anthropic"]["estimate"];
  CHECK(written["image"] == "gemini_tiles");
  CHECK(written["image_patch_multiplier"] == 2.5);
  CHECK(written["tokens_per_document_page"] == 2000);
  auto again = gp::document_from_json(json, "written.json");
  REQUIRE(again);
  CHECK(*again == t->document());
}

TEST_CASE("an unknown image rule is refused with its name and the names the table knows", "[providers][table]") {
  auto t = gp::apply_override(gp::builtin_table(),
                              R"({"providers": {"gemini": {"estimate": {"image": "gemini_media_resolution"}}}})",
                              "over.json");
  REQUIRE_FALSE(t);
  CHECK(t.error().message ==
        "over.json: /providers/gemini/estimate/image: unknown image rule \"gemini_media_resolution\": must be one of "
        "openai_tiles, openai_patches, anthropic_area, gemini_tiles");

  auto zero = gp::apply_override(gp::builtin_table(),
                                 R"({"providers": {"openai": {"estimate": {"image_patch_multiplier": 0}}}})", "over.json");
  REQUIRE_FALSE(zero);
  CHECK(zero.error().message == "over.json: /providers/openai/estimate/image_patch_multiplier: must be a number above 0, "
                                "at most 100");

  // A document written in code is held to the same names.
  auto doc = gp::builtin_table_document();
  doc.providers.front().estimate->image = static_cast<gp::ImageRule>(9);
  auto code = gp::Table::from_document(std::move(doc), "code");
  REQUIRE_FALSE(code);
  CHECK(code.error().message == "code: /providers/anthropic/estimate/image: unknown image rule");
}
