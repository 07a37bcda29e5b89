// Host names looked up by the probe's own resolver (c-ares on the check loop) through `dns_servers`: a real
// dnsmasq and a scripted responder on 127.0.0.1, the test server behind the names. The answer reaches the
// server with the name in Host, the lookup is the resolve phase, and every failure of the lookup is reason
// dns with the resolver's answer in the message.
#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>

#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "config/config_loader.h"
#include "probe/engine/check_runner.h"
#include "probe/engine/curl_multi.h"
#include "probe/engine/dns_resolver.h"
#include "probe/engine/run_once.h"
#include "tests/support/check_builder.h"
#include "tests/support/dns_server.h"
#include "tests/support/exposition.h"
#include "tests/support/probe_daemon.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_server.h"

using namespace synthprobe;
using namespace synthprobe::testing;
using namespace std::chrono_literals;

namespace {

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

// A server on 127.0.0.1 that answers 200 and remembers the Host header of every request.
struct HostRecorder {
  std::shared_ptr<std::mutex> mutex = std::make_shared<std::mutex>();
  std::shared_ptr<std::vector<std::string>> hosts = std::make_shared<std::vector<std::string>>();
  TestServer::Handler handler() const {
    return [m = mutex, h = hosts](const TestRequest& req) {
      std::lock_guard lock(*m);
      h->push_back(req.header("host"));
      return TestResponse{};
    };
  }
  std::vector<std::string> seen() const {
    std::lock_guard lock(*mutex);
    return *hosts;
  }
};

// dnsmasq answering shop.test with 127.0.0.1, and a server there that records each request's Host.
struct ShopByName {
  TempDir dir;
  Dnsmasq dns{dir, {"--host-record=shop.test,127.0.0.1"}};
  HostRecorder recorder;
  TestServer server{recorder.handler()};
  std::string port = std::to_string(server.port());
};

DnsResolver::Options through(const std::string& server) {
  DnsResolver::Options o;
  o.servers = {server};
  return o;
}

RunResult run_through(const std::string& server, config::Check c) {
  return run_once({finish(std::move(c))}, 10, through(server)).at(0);
}

// Skipped only when dnsmasq is not installed; installed but not starting is a failure.
#define REQUIRE_DNSMASQ(d)                                 \
  if (!(d).running()) {                                    \
    REQUIRE_MESSAGE(Dnsmasq::binary().empty(), (d).why_not()); \
    MESSAGE("skipped: " << (d).why_not());                 \
    return;                                                \
  }

}  // namespace

TEST_CASE("a check by host name goes through dns_servers to the address, with the name in Host") {
  ShopByName shop;
  REQUIRE_DNSMASQ(shop.dns);
  auto& [dir, dns, recorder, server, port] = shop;

  const RunResult r = run_through(dns.server(), make_check("http://shop.test:" + port + "/"));
  REQUIRE_MESSAGE(r.success, r.message);
  REQUIRE(recorder.seen().size() == 1);
  CHECK(recorder.seen()[0] == "shop.test:" + port);
  // Our lookup is the resolve phase; curl, handed the address, resolves nothing. The run's duration
  // covers the lookup too.
  CHECK(r.phases.resolve > 0.0);
  CHECK(r.phases.connect > 0.0);
  CHECK(r.steps.at(0).duration_seconds >= r.phases.resolve + r.phases.connect + r.phases.processing);
  CHECK(r.duration_seconds >= r.steps.at(0).duration_seconds);
  CHECK(dns.queries() >= 1);
}

TEST_CASE("NXDOMAIN: reason dns, and the message says there is no such host") {
  TempDir dir;
  Dnsmasq dns(dir, {"--host-record=shop.test,127.0.0.1"});
  REQUIRE_DNSMASQ(dns);
  const RunResult r = run_through(dns.server(), make_check("http://nope.test:8080/"));
  CHECK_FALSE(r.success);
  REQUIRE(r.reason.has_value());
  CHECK(*r.reason == Reason::dns);
  CHECK_MESSAGE(contains(r.message, "cannot resolve nope.test"), r.message);
  CHECK_MESSAGE(contains(r.message, "no such host (NXDOMAIN)"), r.message);
  CHECK(r.phases.resolve > 0.0);
  CHECK(r.phases.connect == 0.0);
  CHECK(r.status_code == 0);
}

TEST_CASE("a refusing resolver: reason dns, REFUSED in the message") {
  TempDir dir;
  Dnsmasq dns(dir, {});
  REQUIRE_DNSMASQ(dns);
  // dnsmasq has no upstream: a name outside .test is refused.
  const RunResult r = run_through(dns.server(), make_check("http://shop.example:8080/"));
  REQUIRE(r.reason.has_value());
  CHECK(*r.reason == Reason::dns);
  CHECK_MESSAGE(contains(r.message, "REFUSED"), r.message);
}

TEST_CASE("SERVFAIL: reason dns, SERVFAIL in the message") {
  ScriptedDns dns([](const std::string&, int) { return ScriptedDns::Reply{.rcode = 2}; });
  const RunResult r = run_through(dns.server(), make_check("http://broken.test:8080/"));
  REQUIRE(r.reason.has_value());
  CHECK(*r.reason == Reason::dns);
  CHECK_MESSAGE(contains(r.message, "cannot resolve broken.test: the DNS server failed (SERVFAIL)"), r.message);
}

TEST_CASE("a resolver that never answers: reason dns with a timeout, within the check's timeout") {
  SilentDns dns;
  auto c = make_check("http://shop.test:8080/");
  c.settings.timeout = 1s;
  const RunResult r = run_through(dns.server(), c);
  CHECK_FALSE(r.success);
  REQUIRE(r.reason.has_value());
  CHECK(*r.reason == Reason::dns);
  CHECK_MESSAGE(contains(r.message, "cannot resolve shop.test: timeout: no answer within the run's timeout of 1s"), r.message);
  // The lookup ends at the run's deadline, not after c-ares' own retries (seconds more).
  CHECK(r.duration_seconds >= 0.9);
  CHECK(r.duration_seconds < 2.0);
  CHECK(r.phases.resolve >= 0.9);
}

TEST_CASE("ip_version = 6 on a name with only an A record: reason dns") {
  TempDir dir;
  Dnsmasq dns(dir, {"--host-record=v4only.test,127.0.0.1"});
  REQUIRE_DNSMASQ(dns);
  TestServer server([](const TestRequest&) { return TestResponse{}; });
  auto c = make_check("http://v4only.test:" + std::to_string(server.port()) + "/");
  c.settings.ip_version = config::IpVersion::v6;
  const RunResult v6 = run_through(dns.server(), c);
  REQUIRE(v6.reason.has_value());
  CHECK(*v6.reason == Reason::dns);
  CHECK_MESSAGE(contains(v6.message, "no IPv6 address"), v6.message);

  c.settings.ip_version = config::IpVersion::v4;
  const RunResult v4 = run_through(dns.server(), c);
  CHECK_MESSAGE(v4.success, v4.message);
  c.settings.ip_version = config::IpVersion::any;
  const RunResult any = run_through(dns.server(), c);
  CHECK_MESSAGE(any.success, any.message);
}

TEST_CASE("ip_version = 4 asks only for A records, 6 only for AAAA") {
  ScriptedDns dns([](const std::string&, int) { return ScriptedDns::Reply{.ipv4 = {"127.0.0.1"}}; });
  auto c = make_check("http://shop.test:1/");
  c.settings.ip_version = config::IpVersion::v4;
  run_through(dns.server(), c);
  CHECK(dns.questions("shop.test", 1) == 1);
  CHECK(dns.questions("shop.test", 28) == 0);
  c.settings.ip_version = config::IpVersion::v6;
  const RunResult r = run_through(dns.server(), c);
  CHECK(dns.questions("shop.test", 1) == 1);
  CHECK(dns.questions("shop.test", 28) == 1);
  CHECK(r.reason == Reason::dns);
}

TEST_CASE("fresh_connection = false reuses the answer for its TTL; fresh_connection = true looks up every run") {
  TestServer server([](const TestRequest&) { return TestResponse{}; });
  const std::string url = "http://shop.test:" + std::to_string(server.port()) + "/";
  ScriptedDns dns([](const std::string&, int) { return ScriptedDns::Reply{.ipv4 = {"127.0.0.1"}, .ttl = 300}; });

  auto cached = make_check(url, "cached");
  cached.settings.ip_version = config::IpVersion::v4;
  cached.settings.fresh_connection = false;
  const auto check = finish(cached);
  // One after another on one runner (max_in_flight 1): the first looks up, the others use its answer.
  const auto results = run_once({check, check, check}, 1, through(dns.server()));
  for (const RunResult& r : results) CHECK_MESSAGE(r.success, r.message);
  CHECK(dns.questions("shop.test", 1) == 1);
  CHECK(results[0].phases.resolve > 0.0);

  auto fresh = make_check(url, "fresh");
  fresh.settings.ip_version = config::IpVersion::v4;
  const auto fresh_check = finish(fresh);
  const auto fresh_results = run_once({fresh_check, fresh_check, fresh_check}, 1, through(dns.server()));
  for (const RunResult& r : fresh_results) {
    CHECK_MESSAGE(r.success, r.message);
    CHECK(r.phases.resolve > 0.0);
  }
  CHECK(dns.questions("shop.test", 1) == 4);
}

TEST_CASE("an answer with TTL 0 is not cached") {
  TestServer server([](const TestRequest&) { return TestResponse{}; });
  ScriptedDns dns([](const std::string&, int) { return ScriptedDns::Reply{.ipv4 = {"127.0.0.1"}, .ttl = 0}; });
  auto c = make_check("http://shop.test:" + std::to_string(server.port()) + "/");
  c.settings.ip_version = config::IpVersion::v4;
  c.settings.fresh_connection = false;
  const auto check = finish(c);
  for (const RunResult& r : run_once({check, check}, 1, through(dns.server()))) CHECK_MESSAGE(r.success, r.message);
  CHECK(dns.questions("shop.test", 1) == 2);
}

TEST_CASE("IP literals, pins and localhost never reach the DNS server") {
  SilentDns silent;
  HostRecorder recorder;
  TestServer server(recorder.handler());
  const std::string port = std::to_string(server.port());

  const RunResult literal = run_through(silent.server(), make_check(server.url("/")));
  CHECK_MESSAGE(literal.success, literal.message);

  auto pinned = make_check("http://shop.test:" + port + "/");
  pinned.settings.resolve = {"shop.test:" + port + ":127.0.0.1"};
  const RunResult by_pin = run_through(silent.server(), pinned);
  CHECK_MESSAGE(by_pin.success, by_pin.message);

  // From the hosts table (and RFC 6761 for localhost whatever the file says), not from the silent server.
  auto local = make_check("http://localhost:" + port + "/");
  local.settings.ip_version = config::IpVersion::v4;
  local.settings.timeout = 2s;
  const RunResult by_hosts = run_through(silent.server(), local);
  CHECK_MESSAGE(by_hosts.success, by_hosts.message);
  CHECK(recorder.seen() == std::vector<std::string>{"127.0.0.1:" + port, "shop.test:" + port, "localhost:" + port});
}

TEST_CASE("a pin for another port of the host does not stop the lookup") {
  ScriptedDns dns([](const std::string&, int) { return ScriptedDns::Reply{.ipv4 = {"127.0.0.1"}}; });
  TestServer server([](const TestRequest&) { return TestResponse{}; });
  auto c = make_check("http://shop.test:" + std::to_string(server.port()) + "/");
  c.settings.ip_version = config::IpVersion::v4;
  c.settings.resolve = {"shop.test:1:127.0.0.2"};
  const RunResult r = run_through(dns.server(), c);
  CHECK_MESSAGE(r.success, r.message);
  CHECK(dns.questions("shop.test", 1) == 1);
}

TEST_CASE("redirects: to another port of the same name use our answer; to another host curl resolves") {
  TestServer target([](const TestRequest&) { return TestResponse{}; });
  const std::string target_port = std::to_string(target.port());
  TestServer same_name([&](const TestRequest&) {
    TestResponse r;
    r.status = 302;
    r.headers = {{"Location", "http://shop.test:" + target_port + "/landed"}};
    return r;
  });
  TestServer other_host([&](const TestRequest&) {
    TestResponse r;
    r.status = 302;
    r.headers = {{"Location", "http://localhost:" + target_port + "/landed"}};
    return r;
  });
  ScriptedDns dns([](const std::string&, int) { return ScriptedDns::Reply{.ipv4 = {"127.0.0.1"}}; });

  auto c = make_check("http://shop.test:" + std::to_string(same_name.port()) + "/");
  c.settings.ip_version = config::IpVersion::v4;
  const RunResult r = run_through(dns.server(), c);
  CHECK_MESSAGE(r.success, r.message);
  CHECK(r.redirects == 1);
  CHECK(dns.questions("shop.test", 1) == 1);

  auto away = make_check("http://shop.test:" + std::to_string(other_host.port()) + "/");
  away.settings.ip_version = config::IpVersion::v4;
  const RunResult a = run_through(dns.server(), away);
  CHECK_MESSAGE(a.success, a.message);
  CHECK(a.redirects == 1);
}

TEST_CASE("a flow whose steps use the name: every step looks it up and reaches the server by name") {
  ShopByName shop;
  REQUIRE_DNSMASQ(shop.dns);
  auto& [dir, dns, recorder, server, port] = shop;
  const auto loaded = config::load_config_string(
      "[probe]\ndns_servers = [\"" + dns.server() + "\"]\n"
      "[[site]]\nname = \"shop\"\nvars = { base = \"http://shop.test:" + port + "\" }\n"
      "[[flow]]\nname = \"checkout\"\nsite = \"shop\"\n"
      "[[flow.step]]\nname = \"home\"\nurl = \"${base}/\"\n"
      "[[flow.step]]\nname = \"cart\"\nurl = \"${base}/cart\"\n",
      "t.toml");
  REQUIRE(loaded.errors.empty());
  const auto flow = std::make_shared<const config::Check>(loaded.config->checks.at(0));
  const RunResult r = run_once({flow}, 1, dns_options(loaded.config->probe)).at(0);
  REQUIRE_MESSAGE(r.success, r.message);
  REQUIRE(r.steps.size() == 2);
  for (const StepResult& s : r.steps) CHECK(s.phases.resolve > 0.0);
  CHECK(r.phases.resolve == doctest::Approx(r.steps[0].phases.resolve + r.steps[1].phases.resolve));
  CHECK(recorder.seen() == std::vector<std::string>{"shop.test:" + port, "shop.test:" + port});
}

TEST_CASE("a flow step whose name does not resolve fails the flow at that step, reason dns") {
  ShopByName shop;
  REQUIRE_DNSMASQ(shop.dns);
  auto& [dir, dns, recorder, server, port] = shop;
  const auto loaded = config::load_config_string(
      "[probe]\ndns_servers = [\"" + dns.server() + "\"]\n"
      "[[flow]]\nname = \"checkout\"\n"
      "[[flow.step]]\nname = \"home\"\nurl = \"http://shop.test:" + port + "/\"\n"
      "[[flow.step]]\nname = \"pay\"\nurl = \"http://pay.test:" + port + "/\"\n"
      "[[flow.step]]\nname = \"clean-up\"\nalways = true\nurl = \"http://shop.test:" + port + "/\"\n",
      "t.toml");
  REQUIRE_MESSAGE(loaded.errors.empty(), loaded.errors.front().to_string());
  const auto flow = std::make_shared<const config::Check>(loaded.config->checks.at(0));
  const RunResult r = run_once({flow}, 1, dns_options(loaded.config->probe)).at(0);
  CHECK_FALSE(r.success);
  CHECK(r.reason == Reason::dns);
  CHECK(r.failed_step == "pay");
  CHECK_MESSAGE(contains(r.message, "step pay: cannot resolve pay.test: no such host (NXDOMAIN)"), r.message);
  REQUIRE(r.steps.size() == 3);
  CHECK(r.steps[2].success == true);
}

TEST_CASE("many concurrent runs by name share the resolver") {
  TestServer server([](const TestRequest&) { return TestResponse{}; });
  ScriptedDns dns([](const std::string&, int) { return ScriptedDns::Reply{.ipv4 = {"127.0.0.1"}}; });
  std::vector<std::shared_ptr<const config::Check>> checks;
  for (int i = 0; i < 50; ++i) {
    auto c = make_check("http://shop.test:" + std::to_string(server.port()) + "/", "c" + std::to_string(i));
    checks.push_back(finish(c));
  }
  const auto results = run_once(checks, 50, through(dns.server()));
  for (const RunResult& r : results) CHECK_MESSAGE(r.success, r.message);
  CHECK(dns.questions("shop.test", 1) == 50);
}

namespace {
struct CountingSink final : DnsSink {
  int answered = 0;
  int abandoned = 0;
  void on_resolved(const DnsAnswer& a) override { answered += a.ok ? 1 : 0; }
  void on_lookup_abandoned() override { ++abandoned; }
};
}  // namespace

TEST_CASE("the lookups of one turn of the loop are sent together after it, and each is answered") {
  ScriptedDns dns([](const std::string&, int) { return ScriptedDns::Reply{.ipv4 = {"127.0.0.1"}}; });
  boost::asio::io_context io(1);
  DnsResolver resolver(io, through(dns.server()));
  std::vector<CountingSink> sinks(5);
  const auto deadline = DnsResolver::Clock::now() + 5s;
  for (std::size_t i = 0; i < sinks.size(); ++i)
    resolver.lookup("shop" + std::to_string(i) + ".test", config::IpVersion::v4, deadline, &sinks[i]);
  std::this_thread::sleep_for(200ms);
  CHECK(dns.questions() == 0);  // nothing went out from inside lookup()
  for (int i = 0; i < 100 && resolver.pending() > 0; ++i) io.run_for(50ms);
  CHECK(resolver.pending() == 0);
  CHECK(dns.questions() == 5);
  for (const auto& sink : sinks) CHECK(sink.answered == 1);
}

TEST_CASE("a resolver destroyed before its turn's lookups went out abandons them and sends nothing") {
  ScriptedDns dns([](const std::string&, int) { return ScriptedDns::Reply{.ipv4 = {"127.0.0.1"}}; });
  std::vector<CountingSink> sinks(3);
  {
    boost::asio::io_context io(1);
    DnsResolver resolver(io, through(dns.server()));
    for (auto& sink : sinks) resolver.lookup("shop.test", config::IpVersion::v4, DnsResolver::Clock::now() + 5s, &sink);
  }
  std::this_thread::sleep_for(100ms);
  CHECK(dns.questions() == 0);
  for (const auto& sink : sinks) {
    CHECK(sink.abandoned == 1);
    CHECK(sink.answered == 0);
  }
}

TEST_CASE("a lookup given up while another is still answered later does not keep c-ares retrying") {
  // never.test is never answered (its check gives up after 1 s); slow.test is answered after 2.5 s. Once
  // slow.test is delivered nobody waits for c-ares any more: the orphan is cancelled then, and `once`
  // ends with its runs instead of when c-ares' retries of never.test run out.
  TestServer server([](const TestRequest&) { return TestResponse{}; });
  ScriptedDns dns([](const std::string& name, int) {
    if (name == "never.test") return ScriptedDns::Reply{.silent = true};
    std::this_thread::sleep_for(2500ms);
    return ScriptedDns::Reply{.ipv4 = {"127.0.0.1"}};
  });
  const std::string port = std::to_string(server.port());
  auto never = make_check("http://never.test:" + port + "/", "never");
  never.settings.timeout = 1s;
  auto slow = make_check("http://slow.test:" + port + "/", "slow");
  slow.settings.timeout = 10s;
  slow.settings.ip_version = config::IpVersion::v4;
  const auto started = std::chrono::steady_clock::now();
  const auto results = run_once({finish(never), finish(slow)}, 10, through(dns.server()));
  const auto took = std::chrono::steady_clock::now() - started;
  CHECK(results.at(0).reason == std::optional<Reason>(Reason::dns));
  CHECK_MESSAGE(results.at(1).success, results.at(1).message);
  CHECK_MESSAGE(took < 6s, std::chrono::duration<double>(took).count() << " s");  // c-ares alone: 14 s and more
}

TEST_CASE("a runner destroyed while lookups are pending frees them and reports nothing") {
  SilentDns dns;
  bool reported = false;
  {
    boost::asio::io_context io(1);
    CurlMulti multi(io);
    CheckRunner runner(multi, through(dns.server()));
    for (int i = 0; i < 3; ++i)
      runner.run(finish(make_check("http://shop.test:8080/", "c" + std::to_string(i))), [&](RunResult&&) { reported = true; });
    io.run_for(100ms);
    CHECK(runner.in_flight() == 3);
  }
  CHECK_FALSE(reported);
}

TEST_CASE("the io_context stopped mid-lookup, then everything destroyed: no leak, no late callback") {
  SilentDns dns;
  bool reported = false;
  boost::asio::io_context io(1);
  {
    CurlMulti multi(io);
    CheckRunner runner(multi, through(dns.server()));
    runner.run(finish(make_check("http://shop.test:8080/")), [&](RunResult&&) { reported = true; });
    io.poll();
    io.stop();
  }
  io.restart();
  io.run_for(50ms);
  CHECK_FALSE(reported);
}

TEST_CASE("synthprobe once: dns_servers from the config") {
  ShopByName shop;
  REQUIRE_DNSMASQ(shop.dns);
  auto& [dir, dns, recorder, server, port] = shop;
  const std::string config = dir.write("probe.toml",
      "[probe]\ndns_servers = [\"" + dns.server() + "\"]\n"
      "[[check]]\nname = \"by-name\"\nurl = \"http://shop.test:" + port + "/\"\n"
      "[[check]]\nname = \"missing\"\nurl = \"http://nope.test:" + port + "/\"\n");
  std::string out;
  const int status = run_command(std::string(std::getenv("SYNTHPROBE_BIN")) + " once --format json --config " + config, &out);
  CHECK(status != 0);  // "missing" fails
  CHECK_MESSAGE(contains(out, R"("name":"by-name","kind":"check","site":"shop.test","area":"by-name","success":true)"), out);
  CHECK_MESSAGE(contains(out, R"x("reason":"dns","message":"cannot resolve nope.test: no such host (NXDOMAIN)")x"), out);
}

TEST_CASE("synthprobe run: the daemon's checks look names up through dns_servers") {
  ShopByName shop;
  REQUIRE_DNSMASQ(shop.dns);
  auto& [dir, dns, recorder, server, port] = shop;
  ProbeDaemon probe(dir, "probe",
                    "[probe]\nlisten = \"127.0.0.1:LISTEN_PORT\"\nstate_dir = \"state\"\n"
                    "dns_servers = [\"" + dns.server() + "\"]\n"
                    "[[check]]\nname = \"by-name\"\nurl = \"http://shop.test:" + port + "/\"\ninterval = \"1s\"\ntimeout = \"900ms\"\n"
                    "[[check]]\nname = \"missing\"\nurl = \"http://nope.test:" + port + "/\"\ninterval = \"1s\"\ntimeout = \"900ms\"\n");
  REQUIRE(eventually([&] { return sample_value(probe.metrics(), "probe_success{check=\"by-name\"}") == 1.0; }, 10s));
  REQUIRE(eventually([&] { return sample_value(probe.metrics(), "synthprobe_check_failures_total{check=\"missing\",reason=\"dns\"}") >= 1.0; }, 10s));
  const std::string text = probe.metrics();
  CHECK(sample_value(text, "probe_http_duration_seconds{check=\"by-name\",phase=\"resolve\"}") > 0.0);
  probe.process().signal(SIGTERM);
  CHECK(probe.process().wait(10s) == 0);
}

TEST_CASE("ip_version = any with both families: IPv6 when this host can reach it") {
  std::optional<TestServer> server;
  try {
    server.emplace([](const TestRequest&) { return TestResponse{}; }, ListenOn{"::1", 0});
  } catch (const std::exception& e) {
    MESSAGE("skipped: ::1 is not available here: " << e.what());
    return;
  }
  // Nothing listens on 127.0.0.1 at that port: only the IPv6 answer reaches the server.
  ScriptedDns dns([](const std::string&, int) { return ScriptedDns::Reply{.ipv4 = {"127.0.0.1"}, .ipv6 = {"::1"}}; });
  const RunResult r = run_through(dns.server(), make_check("http://dual.test:" + std::to_string(server->port()) + "/"));
  CHECK_MESSAGE(r.success, r.message);
  CHECK(dns.questions("dual.test", 1) == 1);
  CHECK(dns.questions("dual.test", 28) == 1);
}

TEST_CASE("SIGTERM while the daemon's runs wait for a silent DNS server: they end at their timeout, exit 0") {
  TempDir dir;
  SilentDns dns;
  ProbeDaemon probe(dir, "probe",
                    "[probe]\nlisten = \"127.0.0.1:LISTEN_PORT\"\nstate_dir = \"state\"\n"
                    "dns_servers = [\"" + dns.server() + "\"]\n"
                    "[[check]]\nname = \"a\"\nurl = \"http://shop.test:8080/\"\ninterval = \"5s\"\ntimeout = \"2s\"\n"
                    "[[check]]\nname = \"b\"\nurl = \"http://pay.test:8080/\"\ninterval = \"5s\"\ntimeout = \"2s\"\n");
  // Both runs are waiting for the lookup once the in-flight gauge says so.
  REQUIRE(eventually([&] { return sample_value(probe.metrics(), "synthprobe_checks_in_flight") == 2.0; }, 10s));
  probe.process().signal(SIGTERM);
  CHECK(probe.process().wait(10s) == 0);
}
