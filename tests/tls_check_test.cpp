// HTTPS checks against a server with a certificate made at test time.
#include <doctest/doctest.h>

#include <atomic>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>

#include <boost/asio/io_context.hpp>

#include "config/config_loader.h"
#include "probe/engine/check_runner.h"
#include "probe/engine/curl_multi.h"
#include "tests/support/check_builder.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_certificate.h"
#include "tests/support/test_server.h"

using namespace synthprobe;
using namespace synthprobe::testing;

namespace {
TestServer::Handler page() {
  return [](const TestRequest&) {
    TestResponse r;
    r.body = "secure page";
    return r;
  };
}
}  // namespace

TEST_CASE("tls: a self-signed certificate fails verification") {
  TempDir dir;
  TestServer server(page(), make_self_signed_certificate(dir.path().string(), 30));
  RunResult r = run_check(make_check(server.url("/")));
  CHECK_FALSE(r.success);
  CHECK(r.reason == Reason::tls);
  CHECK_FALSE(r.message.empty());
}

TEST_CASE("tls: the same server passes with ca_file, reports the handshake and the expiry") {
  TempDir dir;
  const TlsFiles files = make_self_signed_certificate(dir.path().string(), 30);
  TestServer server(page(), files);
  auto c = make_check(server.url("/"));
  c.settings.tls.ca_file = files.cert_file;
  RunResult r = run_check(c);
  CHECK(r.success);
  CHECK(r.tls_used);
  CHECK(r.phases.tls > 0.0);
  REQUIRE(r.cert_expiry_unix.has_value());
  const double days = static_cast<double>(*r.cert_expiry_unix - std::time(nullptr)) / 86400.0;
  CHECK(days > 29.0);
  CHECK(days < 31.0);
}

TEST_CASE("tls: insecure skips verification") {
  TempDir dir;
  TestServer server(page(), make_self_signed_certificate(dir.path().string(), 30));
  auto c = make_check(server.url("/"));
  c.settings.tls.insecure = true;
  CHECK(run_check(c).success);
}

TEST_CASE("tls: a certificate expiring sooner than cert_min_days fails with reason assertion") {
  TempDir dir;
  const TlsFiles files = make_self_signed_certificate(dir.path().string(), 3);
  TestServer server(page(), files);
  auto c = make_check(server.url("/"));
  c.settings.tls.ca_file = files.cert_file;
  c.settings.expect.cert_min_days = 14;
  RunResult r = run_check(c);
  CHECK(r.reason == Reason::assertion);
  CHECK(r.message.find("expires in") != std::string::npos);
  c.settings.expect.cert_min_days = 2;
  CHECK(run_check(c).success);
}

TEST_CASE("tls: fresh_connection measures a full handshake on every run, never a resumed session") {
  TempDir dir;
  const TlsFiles files = make_self_signed_certificate(dir.path().string(), 30);
  TestServer server(page(), files);
  auto c = make_check(server.url("/"));
  c.settings.tls.ca_file = files.cert_file;
  c.settings.fresh_connection = true;
  const auto check = finish(c);
  // One after another on one CurlMulti: a pooled easy handle keeps its TLS sessions across resets.
  const auto results = run_once({check, check, check}, 1);
  for (const RunResult& r : results) {
    CHECK_MESSAGE(r.success, r.message);
    CHECK(r.phases.tls > 0.0);
  }
  CHECK(server.tls_handshakes() == 3);
  CHECK(server.tls_resumptions() == 0);
}

TEST_CASE("tls: a secret header is not carried from https to a plain http redirect target") {
  TempDir dir;
  const TlsFiles files = make_certificate(dir.path().string(), {});
  std::atomic<int> plain_requests{0};
  TestServer plain([&](const TestRequest&) {
    ++plain_requests;
    return TestResponse{};
  });
  TestServer secure([&](const TestRequest&) {
    TestResponse r;
    r.status = 301;
    r.headers = {{"Location", plain.url("/")}};
    return r;
  }, files);
  const std::string toml = "[[site]]\nname = \"shop\"\n[[check]]\nname = \"api\"\nsite = \"shop\"\nurl = \"" +
                           secure.url("/") + "\"\nheaders = { X-Api-Key = \"${file:key.txt}\" }\ntls = { ca_file = \"" +
                           files.cert_file + "\" }\n";
  dir.write("key.txt", "key-from-file\n");
  auto loaded = config::load_config_string(toml, (dir.path() / "t.toml").string());
  REQUIRE(loaded.errors.empty());
  const RunResult r = run_once({std::make_shared<const config::Check>(loaded.config->checks.at(0))}, 1).at(0);
  CHECK(r.reason == Reason::protocol);
  CHECK(r.message.find("redirect to " + plain.url("/") + " would carry a secret header (X-Api-Key)") == 0);
  CHECK(plain_requests == 0);
}

TEST_CASE("tls: the CA file is read once and kept, not parsed again for every run") {
  TempDir dir;
  const TlsFiles files = make_certificate(dir.path().string(), {});
  TestServer server(page(), files);
  const std::string ca_copy = dir.write("ca.pem", [&] {
    std::ifstream in(files.cert_file);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }());
  auto c = make_check(server.url("/"));
  c.settings.tls.ca_file = ca_copy;
  const auto check = finish(c);
  boost::asio::io_context io(1);
  std::vector<RunResult> results;
  {
    CurlMulti multi(io);
    CheckRunner runner(multi);
    std::function<void()> next = [&] {
      runner.run(check, [&](RunResult&& r) {
        results.push_back(std::move(r));
        // Once the first run has read it, the file goes: later runs can only pass on the kept store.
        std::filesystem::remove(ca_copy);
        if (results.size() < 3) next();
      });
    };
    next();
    io.run();
  }
  REQUIRE(results.size() == 3);
  for (const RunResult& r : results) CHECK_MESSAGE(r.success, r.message);
  CHECK(server.tls_handshakes() == 3);
}
