#include <governed/message.hpp>
#include <governed/request.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using governed::ContentPart;
using governed::ImageDetail;
using governed::Message;

TEST_CASE("Message{role, text} and designated initialisers still compile and compare as before", "[message]") {
  const Message plain{"user", "Say hello."};
  CHECK(plain.role == "user");
  CHECK(plain.content == "Say hello.");
  CHECK(plain.text_only());
  CHECK(plain == Message{"user", "Say hello."});
  CHECK_FALSE(plain == Message{"user", "Say goodbye."});

  const std::vector<Message> history = {{"system", "Be brief."}, {"user", "Hi"}};
  CHECK(history.size() == 2);

  const Message result{.role = "tool", .content = R"({"temperature":21})", .tool_call_id = "call_1"};
  CHECK(result.text_only());
  CHECK(result.tool_call_id == "call_1");
  CHECK_FALSE(result == Message{.role = "tool", .content = R"({"temperature":21})", .tool_call_id = "call_2"});
}

TEST_CASE("a message with parts, tool calls or reasoning is not text only, and each compares", "[message]") {
  Message m{.role = "user", .parts = {ContentPart::of_text("What is in it?")}};
  CHECK_FALSE(m.text_only());
  Message calls{.role = "assistant", .tool_calls = {{"call_1", "get_weather", R"({"city":"Oslo"})"}}};
  CHECK_FALSE(calls.text_only());
  Message other = calls;
  other.tool_calls[0].arguments = R"({"city":"Bergen"})";
  CHECK_FALSE(calls == other);
  Message thought{.role = "assistant", .content = "4", .reasoning = {{.text = "2+2", .signature = "sig"}}};
  CHECK_FALSE(thought.text_only());
  Message unsigned_thought = thought;
  unsigned_thought.reasoning[0].signature.clear();
  CHECK_FALSE(thought == unsigned_thought);
}

TEST_CASE("a part made by each factory says its kind and keeps what it was given", "[message]") {
  const auto text = ContentPart::of_text("hello");
  CHECK(text.kind == ContentPart::Kind::text);
  CHECK(text.text == "hello");

  const auto by_url = ContentPart::image_url("https://example.com/a.png", ImageDetail::low);
  CHECK(by_url.kind == ContentPart::Kind::image);
  CHECK(by_url.url == "https://example.com/a.png");
  CHECK(by_url.detail == ImageDetail::low);
  CHECK(by_url.data.empty());

  const std::string png("\x89PNG\r\n\x1a\n\0\0", 10);
  const auto bytes = ContentPart::image_bytes(png, "image/png");
  CHECK(bytes.kind == ContentPart::Kind::image);
  CHECK(bytes.data == png);
  CHECK(bytes.data.size() == 10);
  CHECK(bytes.media_type == "image/png");
  CHECK(bytes.detail == ImageDetail::automatic);

  const auto pdf = ContentPart::document_bytes("%PDF-1.7", "application/pdf", "report.pdf");
  CHECK(pdf.kind == ContentPart::Kind::document);
  CHECK(pdf.title == "report.pdf");
  const auto linked = ContentPart::document_url("https://example.com/r.pdf");
  CHECK(linked.kind == ContentPart::Kind::document);
  CHECK(linked.url == "https://example.com/r.pdf");
  const auto plain = ContentPart::document_text("The text.", "notes");
  CHECK(plain.kind == ContentPart::Kind::document);
  CHECK(plain.media_type == "text/plain");
  CHECK(plain.text == "The text.");
}

TEST_CASE("a request's typed fields beyond its messages are empty unless set", "[message]") {
  governed::Request r;
  CHECK(r.tools.empty());
  CHECK(r.tool_choice.mode == governed::ToolChoice::Mode::automatic);
  CHECK_FALSE(r.parallel_tool_calls);
  CHECK(r.output.kind == governed::OutputFormat::Kind::text);
  CHECK(r.stop.empty());
  CHECK_FALSE(r.seed);
  CHECK_FALSE(r.top_p);
  CHECK_FALSE(r.reasoning);
  CHECK(r.user.empty());
  CHECK(r.metadata.empty());
  const auto named = governed::ToolChoice::tool("get_weather");
  CHECK(named.mode == governed::ToolChoice::Mode::named);
  CHECK(named.name == "get_weather");
  const auto schema = governed::OutputFormat::json_schema("answer", {});
  CHECK(schema.kind == governed::OutputFormat::Kind::json_schema);
  CHECK(schema.strict);
  CHECK(governed::OutputFormat::json().kind == governed::OutputFormat::Kind::json_object);
}
