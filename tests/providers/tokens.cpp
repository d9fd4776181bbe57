#include <governed/providers/tokens.hpp>

#include <governed/request.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gp = governed::providers;
using governed::ContentPart;
using governed::ImageDetail;
using governed::Message;
using governed::Request;
using gp::ImageRule;

namespace {

/// The first bytes of a PNG of `width` × `height`: what `image_size` reads.
std::string png_of_size(std::uint32_t width, std::uint32_t height) {
  std::string png("\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR", 16);
  for (std::uint32_t v : {width, height})
    for (int shift = 24; shift >= 0; shift -= 8) png += static_cast<char>((v >> shift) & 0xff);
  return png + std::string(5, '\0');
}

/// A PDF whose page tree holds `pages` pages, written as PDF writers do: the tree node is
/// `/Type /Pages`, each page `/Type /Page` (half of them without the space).
std::string pdf_of_pages(int pages) {
  std::string pdf = "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n";
  pdf += "2 0 obj << /Type /Pages /Count " + std::to_string(pages) + " >> endobj\n";
  for (int i = 0; i < pages; ++i)
    pdf += std::to_string(i + 3) + (i % 2 ? " 0 obj << /Type/Page /Parent 2 0 R >> endobj\n"
                                          : " 0 obj << /Type /Page /Parent 2 0 R >> endobj\n");
  return pdf + "%%EOF\n";
}

Request one_user_message(std::vector<ContentPart> parts) {
  Request r;
  r.messages.push_back(Message{.role = "user", .parts = std::move(parts)});
  return r;
}

double tokens_of_text(std::string_view text, const gp::EstimateParams& p) {
  return std::ceil(gp::text_tokens(text, p.letters_per_token));
}

}  // namespace

TEST_CASE("a text-only estimate is what it was", "[providers][tokens]") {
  // Figures the estimate gave before messages had parts, for three prompts under three
  // providers' parameters (OpenAI's gpt-4o, Anthropic's, Gemini's): held as data.
  struct Case {
    gp::EstimateParams params;
    std::vector<Message> messages;
    std::int64_t prompt;
  };
  const gp::EstimateParams openai{5.5, 3, 3}, anthropic{4.4, 4, 3}, gemini{5.0, 3, 0};
  const std::vector<Message> hello{{"user", "Say hello."}};
  const std::vector<Message> summary{
      {"system", "You are a careful assistant."},
      {"user", "Summarise: the quick brown fox jumps over the lazy dog, 42 times!"}};
  const std::vector<Message> tool_turn{{"user", "\xe4\xbd\xa0\xe5\xa5\xbd, {\"a\": [1, 2, 3]}"},
                                       {"assistant", "OK."},
                                       {.role = "tool", .content = "{\"temperature\": 21}", .name = "weather"}};
  const Case cases[] = {{openai, hello, 10},    {openai, summary, 32},    {openai, tool_turn, 38},
                        {anthropic, hello, 11}, {anthropic, summary, 38}, {anthropic, tool_turn, 43},
                        {gemini, hello, 7},     {gemini, summary, 30},    {gemini, tool_turn, 35}};
  for (const auto& c : cases) {
    CHECK(gp::estimate_prompt(c.params, c.messages) == c.prompt);
    Request r;
    r.messages = c.messages;
    const auto parts = gp::estimate_prompt_parts(c.params, r);
    CHECK(parts.text == c.prompt);
    CHECK(parts.by_rule == 0);
  }
}

TEST_CASE("a tool's schema, an output schema and a document's pages raise the estimate", "[providers][tokens]") {
  const gp::EstimateParams p{.tokens_per_tool = 9, .tool_prompt_tokens = 346, .tokens_per_document_page = 3000};
  Request r;
  r.messages = {{"user", "What is the weather in Paris?"}};
  const auto plain = gp::estimate_prompt_parts(p, r);

  SECTION("each tool counts its name, description and schema as text with its framing; the tool prompt once") {
    const std::string schema = R"({"type":"object","properties":{"city":{"type":"string"}},"required":["city"]})";
    r.tools = {governed::Tool{"get_weather", "The weather now in a city.", nlohmann::json::parse(schema)},
               governed::Tool{"get_time", "The local time in a city.", {}}};
    const auto with_tools = gp::estimate_prompt_parts(p, r);
    const double first = p.tokens_per_tool + tokens_of_text("get_weather", p) +
                         tokens_of_text("The weather now in a city.", p) +
                         tokens_of_text(r.tools[0].parameters.text(), p);
    const double second = p.tokens_per_tool + tokens_of_text("get_time", p) + tokens_of_text("The local time in a city.", p);
    CHECK(with_tools.text == plain.text + static_cast<std::int64_t>(first + second));
    CHECK(with_tools.by_rule == p.tool_prompt_tokens);
    CHECK(gp::estimate_prompt(p, r) == with_tools.total());
  }
  SECTION("an output schema counts its name and schema as text; JSON mode alone adds nothing") {
    r.output = governed::OutputFormat::json();
    CHECK(gp::estimate_prompt_parts(p, r).text == plain.text);
    r.output = governed::OutputFormat::json_schema("forecast", nlohmann::json::parse(R"({"type":"object"})"));
    const double schema = tokens_of_text("forecast", p) + tokens_of_text(r.output.schema.text(), p);
    CHECK(gp::estimate_prompt_parts(p, r).text == plain.text + static_cast<std::int64_t>(schema));
  }
  SECTION("a PDF counts its page objects, not its page tree, each at the provider's page cost") {
    for (int pages : {1, 2, 7}) {
      const auto e = gp::estimate_prompt_parts(
          p, one_user_message({ContentPart::document_bytes(pdf_of_pages(pages), "application/pdf", "report.pdf")}));
      CHECK(e.by_rule == std::int64_t{pages} * p.tokens_per_document_page);
    }
    // Pages hidden in compressed object streams are not seen: such a PDF counts as one page.
    const auto hidden = gp::estimate_prompt_parts(
        p, one_user_message({ContentPart::document_bytes("%PDF-1.7\n<< /Type /ObjStm >>", "application/pdf")}));
    CHECK(hidden.by_rule == p.tokens_per_document_page);
  }
  SECTION("a document as text counts as text; a document by URL at ten pages") {
    const auto as_text =
        gp::estimate_prompt_parts(p, one_user_message({ContentPart::document_text("Minutes of the meeting.")}));
    const auto empty = gp::estimate_prompt_parts(p, one_user_message({}));
    CHECK(as_text.text == empty.text + static_cast<std::int64_t>(tokens_of_text("Minutes of the meeting.", p)));
    CHECK(as_text.by_rule == 0);
    const auto by_url =
        gp::estimate_prompt_parts(p, one_user_message({ContentPart::document_url("https://example.com/a.pdf")}));
    CHECK(by_url.by_rule == 10 * p.tokens_per_document_page);
  }
  SECTION("a tool call counts its name and arguments as text") {
    r.messages.push_back(Message{.role = "assistant",
                                 .tool_calls = {governed::ToolCall{"call_1", "get_weather", R"({"city":"Paris"})"}}});
    Request without_call = r;
    without_call.messages.back().tool_calls.clear();
    const double call = tokens_of_text("get_weather", p) + tokens_of_text(R"({"city":"Paris"})", p);
    CHECK(gp::estimate_prompt_parts(p, r).text ==
          gp::estimate_prompt_parts(p, without_call).text + static_cast<std::int64_t>(call));
  }
}

TEST_CASE("an image part counts by its provider's rule: bytes by their size, a URL at the rule's maximum",
          "[providers][tokens]") {
  const auto empty = gp::estimate_prompt_parts(gp::EstimateParams{}, one_user_message({})).text;
  auto image_tokens = [&](const gp::EstimateParams& p, ContentPart part) {
    const auto e = gp::estimate_prompt_parts(p, one_user_message({std::move(part)}));
    CHECK(e.text == empty);  // the image is no text: the calibration leaves it alone
    return e.by_rule;
  };
  const std::string photo = png_of_size(1024, 1024);
  for (const auto rule : {ImageRule::openai_tiles, ImageRule::openai_patches, ImageRule::anthropic_area,
                          ImageRule::gemini_tiles}) {
    const gp::EstimateParams p{.image = rule, .image_patch_multiplier = 1.62};
    CAPTURE(gp::to_string(rule));
    CHECK(image_tokens(p, ContentPart::image_bytes(photo, "image/png")) ==
          gp::image_tokens(rule, gp::ImageSize{1024, 1024}, ImageDetail::automatic, 1.62));
    CHECK(image_tokens(p, ContentPart::image_url("https://example.com/cat.png")) ==
          gp::image_tokens(rule, std::nullopt, ImageDetail::automatic, 1.62));
    // Bytes whose header can not be read count as an image by URL: at the most, never less.
    CHECK(image_tokens(p, ContentPart::image_bytes("not an image", "image/png")) ==
          gp::image_tokens(rule, std::nullopt, ImageDetail::automatic, 1.62));
  }
  // The figures the rules' pages give for a 1 024-px square.
  CHECK(image_tokens({.image = ImageRule::openai_tiles}, ContentPart::image_bytes(photo, "image/png")) == 765);
  CHECK(image_tokens({.image = ImageRule::openai_tiles}, ContentPart::image_bytes(photo, "image/png", ImageDetail::low)) ==
        85);
  CHECK(image_tokens({.image = ImageRule::anthropic_area}, ContentPart::image_bytes(photo, "image/png")) == 1399);
  CHECK(image_tokens({.image = ImageRule::openai_tiles}, ContentPart::image_url("https://example.com/cat.png")) == 1445);
  CHECK(image_tokens({.image = ImageRule::anthropic_area}, ContentPart::image_url("https://example.com/cat.png")) == 1600);
}

TEST_CASE("a reply to a call that is mostly images teaches the calibration no text ratio", "[providers][tokens]") {
  SECTION("text only: the reply as it came") {
    const auto s = gp::text_sample({1000, 0}, 1300);
    REQUIRE(s);
    CHECK(s->estimated == 1000);
    CHECK(s->actual == 1300);
  }
  SECTION("a small image beside much text: the provider's count less the image's") {
    const auto s = gp::text_sample({2000, 85}, 2685);
    REQUIRE(s);
    CHECK(s->estimated == 2000);
    CHECK(s->actual == 2600);
  }
  SECTION("mostly images, or a count below the images' own: nothing") {
    CHECK_FALSE(gp::text_sample({40, 1445}, 300));
    CHECK_FALSE(gp::text_sample({900, 400}, 1200));  // the rule's part is over a quarter
    CHECK_FALSE(gp::text_sample({3000, 900}, 800));
  }
  SECTION("a window of image-heavy replies leaves the factor where text taught it") {
    gp::ModelCalibration cal;
    for (int i = 0; i < 20; ++i) {
      // An image by URL counted at 1 445 that cost 255: all but 30 tokens of text would read
      // as a ratio of 0.25 (the floor) had the reply been learned whole.
      if (auto s = gp::text_sample({30, 1445}, 255 + 33)) cal.observe(s->estimated, s->actual);
      if (auto s = gp::text_sample({1000, 0}, 1200)) cal.observe(s->estimated, s->actual);
    }
    CHECK(cal.factor() == Approx(1.2));
  }
}
