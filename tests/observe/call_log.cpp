#include <governed/observe/call_log_writer.hpp>

#include <catch2/catch.hpp>

#include <governed/governor.hpp>
#include <governed/keys/health_file.hpp>
#include <governed/transport/reply_reader.hpp>

#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <streambuf>
#include <string>
#include <thread>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

governed::CallRecord logged_call(std::string_view task) {
  governed::CallRecord r;
  r.provider = "openai";
  r.model = "gpt-4o-mini";
  r.task = task;
  r.usage.input_tokens = 100;
  r.usage.output_tokens = 10;
  r.cost_usd = 0.0001;
  r.latency = 800ms;
  return r;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::string read_whole(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A fresh directory, removed with what is in it.
struct ScratchDir {
  fs::path path;
  ScratchDir() {
    std::string pattern = (fs::temp_directory_path() / "governed-call-log-XXXXXX").string();
    path = ::mkdtemp(pattern.data());
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

// A stream buffer whose first write blocks until the test opens the gate: a disk that stalls.
// Every wait is bounded, so a broken writer fails the test instead of hanging it.
class GatedBuffer : public std::streambuf {
 public:
  bool wait_until_entered() {
    std::unique_lock lk(m_);
    return cv_.wait_for(lk, 10s, [&] { return entered_; });
  }
  void open_gate() {
    {
      std::lock_guard lk(m_);
      open_ = true;
    }
    cv_.notify_all();
  }
  std::string text() {
    std::lock_guard lk(m_);
    return text_;
  }

 protected:
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    std::unique_lock lk(m_);
    entered_ = true;
    cv_.notify_all();
    cv_.wait_for(lk, 10s, [&] { return open_; });
    text_.append(s, static_cast<std::size_t>(n));
    return n;
  }
  int_type overflow(int_type c) override {
    char ch = traits_type::to_char_type(c);
    return xsputn(&ch, 1) == 1 ? c : traits_type::eof();
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  bool entered_ = false, open_ = false;
  std::string text_;
};

// Answers every attempt with one OpenAI chat completion.
struct CompletionForTheLog {
  governed::transport::Reply send(const governed::transport::Attempt&) {
    governed::transport::Reply r;
    r.status = 200;
    r.body = R"({"id":"chatcmpl-1","object":"chat.completion","model":"gpt-4o-mini","choices":[{"index":0,)"
             R"("message":{"role":"assistant","content":"Hello."},"finish_reason":"stop"}],)"
             R"("usage":{"prompt_tokens":12,"completion_tokens":2,"total_tokens":14}})";
    return r;
  }
};

// A stream buffer that refuses every write: a sink that has failed.
class RefusingBuffer : public std::streambuf {
 protected:
  std::streamsize xsputn(const char*, std::streamsize) override { return 0; }
  int_type overflow(int_type) override { return traits_type::eof(); }
};

}  // namespace

TEST_CASE("the call log writes one JSON object a line, in the order of the calls", "[call_log]") {
  std::ostringstream out;
  auto log = governed::CallLogWriter::to_stream(out);
  REQUIRE(log);
  for (int i = 0; i < 200; ++i) CHECK((*log)->push(logged_call("task-" + std::to_string(i))));
  REQUIRE((*log)->flush(10s));
  CHECK((*log)->written() == 200);
  CHECK((*log)->dropped() == 0);
  const auto lines = lines_of(out.str());
  REQUIRE(lines.size() == 200);
  for (int i = 0; i < 200; ++i) {
    const auto j = nlohmann::json::parse(lines[static_cast<std::size_t>(i)]);
    CHECK(j["governed.task"] == "task-" + std::to_string(i));
    CHECK(j["gen_ai.usage.input_tokens"] == 100);
  }
}

TEST_CASE("the call log, installed as the call hook, logs each call the hook is given", "[call_log]") {
  std::ostringstream out;
  auto log = governed::CallLogWriter::to_stream(out);
  REQUIRE(log);
  governed::CallHook hook;
  hook.install((*log)->hook());
  hook.call(logged_call("scraper"));
  hook.call(logged_call("writer"));
  REQUIRE((*log)->flush(10s));
  const auto lines = lines_of(out.str());
  REQUIRE(lines.size() == 2);
  CHECK(nlohmann::json::parse(lines[1])["governed.task"] == "writer");
}

TEST_CASE("a call log file is created with mode 0600 and appended to", "[call_log]") {
  ScratchDir dir;
  const auto path = dir.path / "calls.jsonl";
  const mode_t old_mask = ::umask(0);  // the mode is the writer's choice, not the umask's
  {
    auto log = governed::CallLogWriter::open(path);
    ::umask(old_mask);
    REQUIRE(log);
    (*log)->push(logged_call("first"));
  }  // the destructor writes what is queued
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  {
    auto log = governed::CallLogWriter::open(path);
    REQUIRE(log);
    (*log)->push(logged_call("second"));
    REQUIRE((*log)->flush(10s));
  }
  const auto lines = lines_of(read_whole(path));
  REQUIRE(lines.size() == 2);
  CHECK(nlohmann::json::parse(lines[0])["governed.task"] == "first");
  CHECK(nlohmann::json::parse(lines[1])["governed.task"] == "second");
}

TEST_CASE("a call log path that is a directory or a symbolic link is refused, saying so", "[call_log]") {
  ScratchDir dir;
  auto on_dir = governed::CallLogWriter::open(dir.path);
  REQUIRE_FALSE(on_dir);
  CHECK(on_dir.error().code == governed::Errc::io_error);
  CHECK_THAT(on_dir.error().message, Catch::Contains(dir.path.string()));

  const auto target = dir.path / "elsewhere";
  const auto link = dir.path / "calls.jsonl";
  fs::create_symlink(target, link);
  auto on_link = governed::CallLogWriter::open(link);
  REQUIRE_FALSE(on_link);
  CHECK_THAT(on_link.error().message, Catch::Contains("symbolic link"));
  CHECK_FALSE(fs::exists(target));

  auto null_file = governed::CallLogWriter::to_file(nullptr);
  REQUIRE_FALSE(null_file);
  CHECK(null_file.error().code == governed::Errc::invalid_argument);
}

TEST_CASE("a full call-log queue drops and counts records instead of blocking the call", "[call_log]") {
  GatedBuffer stalled;
  std::ostream out(&stalled);
  auto log = governed::CallLogWriter::to_stream(out, {.capacity = 4});
  REQUIRE(log);
  auto& w = **log;
  CHECK(w.push(logged_call("in-flight")));
  REQUIRE(stalled.wait_until_entered());  // the writer holds that one, stuck in the sink
  for (int i = 0; i < 4; ++i) CHECK(w.push(logged_call("queued")));
  for (int i = 0; i < 10; ++i) CHECK_FALSE(w.push(logged_call("dropped")));  // returns at once
  CHECK(w.dropped() == 10);
  CHECK_FALSE(w.flush(20ms));  // bounded: the sink is still stuck
  stalled.open_gate();
  REQUIRE(w.flush(10s));
  CHECK(w.written() == 5);
  CHECK(w.dropped() == 10);
  const auto lines = lines_of(stalled.text());
  REQUIRE(lines.size() == 5);
  for (const auto& l : lines) CHECK(nlohmann::json::parse(l)["governed.task"] != "dropped");
}

TEST_CASE("a failed write is counted and reported, never thrown into the call", "[call_log]") {
  RefusingBuffer refusing;
  std::ostream out(&refusing);
  std::mutex m;
  std::vector<std::string> reported;
  governed::CallLogOptions o;
  o.on_error = [&](const governed::Error& e) {
    std::lock_guard lk(m);
    reported.push_back(e.message);
  };
  auto log = governed::CallLogWriter::to_stream(out, std::move(o));
  REQUIRE(log);
  CHECK((*log)->push(logged_call("lost")));
  REQUIRE((*log)->flush(10s));
  CHECK((*log)->failed() == 1);
  CHECK((*log)->written() == 0);
  REQUIRE((*log)->last_error());
  CHECK((*log)->last_error()->code == governed::Errc::io_error);
  std::lock_guard lk(m);
  REQUIRE(reported.size() == 1);
  CHECK(reported[0] == "cannot write the call log: the output stream failed");
}

TEST_CASE("a full disk under a FILE* call log is reported with the system's reason", "[call_log]") {
  std::FILE* full = std::fopen("/dev/full", "w");
  if (!full) {
    WARN("/dev/full is not available: nothing to test against");
    return;
  }
  {
    auto log = governed::CallLogWriter::to_file(full);
    REQUIRE(log);
    (*log)->push(logged_call("nowhere"));
    REQUIRE((*log)->flush(10s));
    CHECK((*log)->failed() == 1);
    REQUIRE((*log)->last_error());
    CHECK_THAT((*log)->last_error()->message, Catch::Contains("cannot write the call log: No space left on device"));
  }
  std::fclose(full);
}

TEST_CASE("secrets never reach the call log; invalid UTF-8 is replaced", "[call_log]") {
  ScratchDir dir;
  const auto path = dir.path / "calls.jsonl";
  const std::string azure_key = "3f9a1c7e5b2d4a6c8e0f1a2b3c4d5e6f";
  const std::string message = "Rate limit reached in organization org-AbCdEf123456 for key " + azure_key;
  const std::string reason = "key sk-proj-abcdefghijklmnopqrstuvwx is spent";
  {
    auto log = governed::CallLogWriter::open(path, {.secrets = {azure_key}});
    REQUIRE(log);
    auto r = logged_call("agent \xff\xfe run");
    r.success = false;
    r.error = governed::Errc::all_rate_limited;
    r.error_message = message;
    const std::vector<governed::FallbackHop> hops{{"openai", "gpt-4o", reason}};
    r.hops = hops;
    r.task_id = azure_key;
    (*log)->push(r);
    REQUIRE((*log)->flush(10s));
  }
  const std::string text = read_whole(path);
  CHECK_THAT(text, !Catch::Contains(azure_key));
  CHECK_THAT(text, !Catch::Contains("AbCdEf123456"));
  CHECK_THAT(text, !Catch::Contains("abcdefghijklmnopqrstuvwx"));
  const auto lines = lines_of(text);
  REQUIRE(lines.size() == 1);
  const auto j = nlohmann::json::parse(lines[0]);  // valid UTF-8 JSON
  CHECK(j["governed.task"] == "agent \xEF\xBF\xBD\xEF\xBF\xBD run");
  CHECK_THAT(j["governed.error.message"].get<std::string>(), Catch::Contains("org-***"));
}

TEST_CASE("the call log's destructor writes what is still queued", "[call_log]") {
  std::ostringstream out;
  {
    auto log = governed::CallLogWriter::to_stream(out);
    REQUIRE(log);
    for (int i = 0; i < 300; ++i) (*log)->push(logged_call("t" + std::to_string(i)));
  }
  const auto lines = lines_of(out.str());
  REQUIRE(lines.size() == 300);
  CHECK(nlohmann::json::parse(lines.back())["governed.task"] == "t299");
}

TEST_CASE("a call hook left installed after its call log is gone drops the record", "[call_log]") {
  governed::CallObserver hook;
  {
    std::ostringstream out;
    auto log = governed::CallLogWriter::to_stream(out);
    REQUIRE(log);
    hook = (*log)->hook();
  }
  hook(logged_call("late"));  // no writer, no stream: nothing written, nothing touched
  SUCCEED();
}

TEST_CASE("calls from many threads each become one whole line", "[call_log][concurrency]") {
  std::ostringstream out;
  auto log = governed::CallLogWriter::to_stream(out, {.capacity = 2048});
  REQUIRE(log);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) (*log)->push(logged_call(std::to_string(t) + ":" + std::to_string(i)));
    });
  }
  for (auto& th : threads) th.join();
  REQUIRE((*log)->flush(10s));
  CHECK((*log)->dropped() == 0);
  const auto lines = lines_of(out.str());
  REQUIRE(lines.size() == 2000);
  std::vector<int> next(4, 0);
  for (const auto& l : lines) {
    const auto task = nlohmann::json::parse(l)["governed.task"].get<std::string>();
    const int t = std::stoi(task.substr(0, task.find(':')));
    CHECK(std::stoi(task.substr(task.find(':') + 1)) == next[static_cast<std::size_t>(t)]++);  // each thread's in order
  }
}

TEST_CASE("installed on a State, each governed call is one line: what answered, its usage, its key's fingerprint",
          "[call_log]") {
  const std::string key = "sk-calllog-test-key-0000000000000000";
  governed::StateConfig c;
  c.keys.keys = {{"openai", key, "org-calllogtest"}};
  c.keys.persist = false;
  c.providers["openai"] = governed::ProviderSettings{.rpm = 1000, .tpm = 1000000};
  auto state = governed::State<>::create(std::move(c));
  REQUIRE(state);
  std::ostringstream out;
  const std::vector<std::string> secrets((*state)->secrets().begin(), (*state)->secrets().end());
  auto log = governed::CallLogWriter::to_stream(out, {.secrets = secrets});
  REQUIRE(log);
  (*state)->call_hook().install((*log)->hook());
  governed::Governed<CompletionForTheLog> g(*state, std::make_shared<CompletionForTheLog>());
  governed::Request req;
  req.provider = "openai";
  req.model = "gpt-4o-mini";
  req.task = "scraper";
  req.messages = {{"user", "Say hello."}};
  req.max_tokens = 16;
  REQUIRE(g.send(req));
  (*state)->call_hook().install({});
  REQUIRE((*log)->flush(10s));

  const auto lines = lines_of(out.str());
  REQUIRE(lines.size() == 1);
  const auto j = nlohmann::json::parse(lines[0]);
  CHECK(j["gen_ai.provider.name"] == "openai");
  CHECK(j["gen_ai.request.model"] == "gpt-4o-mini");
  CHECK(j["gen_ai.response.model"] == "gpt-4o-mini");
  CHECK(j["gen_ai.usage.input_tokens"] == 12);
  CHECK(j["gen_ai.usage.output_tokens"] == 2);
  CHECK(j["governed.success"] == true);
  CHECK(j["governed.task"] == "scraper");
  CHECK(j["governed.attempts"] == 1);
  CHECK(j["governed.cost_usd"].get<double>() > 0);
  REQUIRE(j["governed.keys"].size() == 1);
  CHECK(j["governed.keys"][0] == governed::keys::fingerprint(key));
  CHECK(j.contains("trace_id"));  // a call with no caller's trace starts its own
  CHECK_THAT(lines[0], !Catch::Contains(key));
  CHECK_THAT(lines[0], !Catch::Contains("calllogtest"));
}
