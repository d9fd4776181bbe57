// rediss://: a redis-server speaking TLS only, with the test CA's certificate for localhost.
// The blocking client, the pipelined connection and a shared limit set all verify it; a client
// that does not trust the CA, or asks for another name, is refused.
#include <governed/redis/async_connection.hpp>
#include <governed/redis/client.hpp>

#include "../pki.hpp"
#include "server.hpp"

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>

using governed::Errc;
using governed::Result;
using governed::redis::RespReply;

namespace {

/// The test PKI written to files, as redis-server and `ConnectOptions::ca_file` want them.
struct PkiFiles {
  std::filesystem::path dir;
  governed::redis::LocalServer::TlsFiles server;  ///< for localhost, llm.test and 127.0.0.1
  governed::redis::LocalServer::TlsFiles other;   ///< for other.example only
  std::string ca_file;

  PkiFiles() {
    char tmpl[] = "/tmp/governed-tls-XXXXXX";
    dir = ::mkdtemp(tmpl);
    const auto& p = governed_test::pki();
    server = {write("server.crt", p.server.cert), write("server.key", p.server.key), write("ca.crt", p.ca.cert)};
    other = {write("other.crt", p.other.cert), write("other.key", p.other.key), server.ca_file};
    ca_file = server.ca_file;
  }
  ~PkiFiles() {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }

  std::string write(const char* name, const std::string& text) {
    const auto path = dir / name;
    std::ofstream(path) << text;
    return path.string();
  }
};

governed::redis::ClientOptions trusting(const std::string& ca_file) {
  governed::redis::ClientOptions o;
  o.connect.ca_file = ca_file;
  o.connect.connect_timeout = std::chrono::seconds{2};
  o.connect.command_timeout = std::chrono::seconds{2};
  return o;
}

}  // namespace

/// Starts a TLS-only server for one test case, or says why the test is skipped.
#define GOVERNED_REDIS_TLS_SERVER(name, files)                                                  \
  auto name##_started = governed::redis::LocalServer::start_tls((files).server);                \
  if (!name##_started) {                                                                       \
    WARN("redis-server did not start with TLS (" << name##_started.error().message << "): skipped"); \
    return;                                                                                    \
  }                                                                                            \
  auto& name = *name##_started

TEST_CASE("rediss:// verifies the server against the given CA; blocking and pipelined calls work",
          "[redis][tls]") {
  PkiFiles files;
  GOVERNED_REDIS_TLS_SERVER(server, files);
  auto client = governed::redis::Client::make(server.url(), trusting(files.ca_file));
  REQUIRE(client);
  auto pong = (*client)->call({"PING"});
  REQUIRE(pong);
  CHECK(pong->text == "PONG");

  boost::asio::io_context io;
  auto endpoint = governed::redis::parse_url(server.url());
  REQUIRE(endpoint);
  REQUIRE(endpoint->tls);
  auto c = governed::redis::AsyncConnection::make(io.get_executor(), *endpoint, trusting(files.ca_file).connect);
  std::vector<Result<RespReply>> got;
  for (int i = 0; i < 20; ++i) c->async_call({"INCR", "tls:n"}, [&](Result<RespReply> r) { got.push_back(std::move(r)); });
  io.run();
  REQUIRE(got.size() == 20);
  for (std::size_t i = 0; i < got.size(); ++i) {
    REQUIRE(got[i]);
    CHECK(got[i]->integer == static_cast<long long>(i + 1));
  }
}

TEST_CASE("a limit set shared over rediss:// admits exactly its burst", "[redis][tls]") {
  PkiFiles files;
  GOVERNED_REDIS_TLS_SERVER(server, files);
  auto o = governed_test::quick_backend_options(governed_test::fresh_namespace("tls"));
  o.client = trusting(files.ca_file);
  auto backend = governed::redis::backend(server.url(), o);
  REQUIRE(backend);
  const std::array<std::optional<governed::limiter::Limit>, 6> plan{
      governed::limiter::Limit{10, std::chrono::minutes{1}, 3}};
  auto set = (*backend)->limits(governed::LimitKey{"openai", "org-tls", "g"}, plan, false);
  REQUIRE(set);
  const std::array<std::uint64_t, 6> one{1, 0, 0, 0, 0, 0};
  int admitted = 0;
  for (int i = 0; i < 5; ++i) {
    auto d = (*set)->admit(one, governed::Instant{}, governed::WallTime{});
    REQUIRE(d);
    admitted += d->admitted ? 1 : 0;
  }
  CHECK(admitted == 3);
}

TEST_CASE("a server the client does not trust, or named otherwise, is refused with a clear error",
          "[redis][tls][faults]") {
  PkiFiles files;
  GOVERNED_REDIS_TLS_SERVER(server, files);
  // The system's store does not hold the test CA.
  auto untrusting = governed::redis::Client::make(server.url(), trusting(""));
  REQUIRE(untrusting);
  auto refused = (*untrusting)->call({"PING"});
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == Errc::io_error);
  CHECK(refused.error().message.find("TLS handshake") != std::string::npos);

  // A server whose certificate is for other.example, reached as localhost.
  auto elsewhere = governed::redis::LocalServer::start_tls(files.other);
  REQUIRE(elsewhere);
  auto misnamed = governed::redis::Client::make(elsewhere->url(), trusting(files.ca_file));
  REQUIRE(misnamed);
  auto wrong = (*misnamed)->call({"PING"});
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().message.find("TLS handshake") != std::string::npos);
}
