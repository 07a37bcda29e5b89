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
// A page whose server closes the connection after each answer: every run makes a new connection, so
// only a TLS session can be carried from one run to the next.
TestServer::Handler closing_page() {
  return [](const TestRequest&) {
    TestResponse r;
    r.headers = {{"Connection", "close"}};
    r.body = "secure page";
    return r;
  };
}

// Runs `checks` all at once on `runner` and waits for them.
std::vector<RunResult> run_together(boost::asio::io_context& io, CheckRunner& runner,
                                    const std::vector<std::shared_ptr<const config::Check>>& checks) {
  std::vector<RunResult> results(checks.size());
  for (std::size_t i = 0; i < checks.size(); ++i)
    runner.run(checks[i], [&results, i](RunResult&& r) { results[i] = std::move(r); });
  io.restart();
  io.run();
  return results;
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

TEST_CASE("tls: keep-alive checks resume a session on any handle of the multi, like one browser") {
  TempDir dir;
  const TlsFiles files = make_self_signed_certificate(dir.path().string(), 30);
  TestServer server(closing_page(), files);
  TestServer silent([](const TestRequest&) {
    TestResponse r;
    r.action = TestResponse::Action::hang;
    return r;
  });
  auto c = make_check(server.url("/"));
  c.settings.tls.ca_file = files.cert_file;
  c.settings.fresh_connection = false;
  const auto check = finish(c);
  auto hanging = make_check(silent.url("/"), "hanging");
  hanging.settings.timeout = std::chrono::milliseconds(300);
  boost::asio::io_context io(1);
  CurlMulti multi(io);
  CheckRunner runner(multi);
  CHECK(run_together(io, runner, {check}).at(0).success);
  REQUIRE(server.tls_handshakes() == 1);
  // The hanging run takes the pooled handle of the first run, so the second run is on a new handle.
  const auto results = run_together(io, runner, {finish(hanging), check});
  CHECK(results.at(0).reason == Reason::timeout);
  CHECK_MESSAGE(results.at(1).success, results.at(1).message);
  CHECK(server.tls_handshakes() == 2);
  CHECK(server.tls_resumptions() == 1);
}

TEST_CASE("tls: a flow resumes its own TLS sessions between steps; its next run starts without them") {
  TempDir dir;
  const TlsFiles files = make_self_signed_certificate(dir.path().string(), 30);
  TestServer server(closing_page(), files);
  auto c = make_check(server.url("/"), "checkout");
  c.kind = config::Check::Kind::flow;
  c.settings.tls.ca_file = files.cert_file;
  c.settings.fresh_connection = false;
  for (const char* name : {"cart", "pay"}) {
    config::Step step;
    step.name = name;
    step.request = c.settings;
    c.steps.push_back(std::move(step));
  }
  const auto flow = finish(c);
  // One after another on one handle: the second run must not find the first run's session.
  for (const RunResult& r : run_once({flow, flow}, 1)) CHECK_MESSAGE(r.success, r.message);
  CHECK(server.tls_handshakes() == 4);
  CHECK(server.tls_resumptions() == 2);
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
