// Faults around the daemon: the disk refusing writes, kill -9 again and again during an outage, and
// secrets, which must never appear in anything the probe writes or serves.
#include <doctest/doctest.h>

#include <csignal>
#include <map>
#include <random>
#include <thread>

#include "tests/support/incident_fixture.h"

using namespace synthprobe::testing;
using namespace synthprobe::testing::e2e;

namespace {

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void set_file_size_limit(int pid, const std::string& limit) {
  std::string out;
  REQUIRE_MESSAGE(run_command("prlimit --pid " + std::to_string(pid) + " --fsize=" + limit, &out) == 0, out);
}

}  // namespace

TEST_CASE("the disk refuses writes: checks run on, the incident is paged, errors are counted, and it all lands later") {
  Shop shop;
  Receiver hook([](std::size_t, const TestRequest&) { return answer(200); });
  TempDir dir;
  const std::string config = probe_header() + site_table("shop", shop.base()) +
                             check_table("checkout", "shop", "checkout", "P2", "/checkout") +
                             webhook_table("hook", hook.url("/hook"));
  std::string id;
  {
    Daemon d(dir, config);
    REQUIRE_MESSAGE(eventually([&] { return d.all_up(1); }, 30s), d.log());
    set_file_size_limit(d.process.pid(), "1:unlimited");  // no file of the probe's may grow any more
    shop.set_down("/checkout", true);
    // Paged all the same (durable or not, depending on whether SQLite's log still had room).
    REQUIRE_MESSAGE(eventually([&] { return hook.accepted_events().size() == 1; }, 30s), d.log());
    id = str(hook.accepted_events()[0].at("incident").at("id"));
    REQUIRE_MESSAGE(eventually([&] { return sample(d.metrics(), "synthprobe_state_write_errors_total").value_or(0) >= 1; }, 20s),
                    d.log());
    // (The log file is on the same disk: its lines wait for the disk too. The recovery below is logged.)
    // Checks keep their schedule while the disk refuses.
    const double runs = sample(d.metrics(), "probe_all_success_count{check=\"checkout\"}").value_or(0);
    CHECK(eventually([&] { return sample(d.metrics(), "probe_all_success_count{check=\"checkout\"}").value_or(0) >= runs + 2; }, 10s));

    set_file_size_limit(d.process.pid(), "unlimited:unlimited");  // room again
    CHECK_MESSAGE(eventually([&] { return d.log().find("state store writes again") != std::string::npos; }, 15s), d.log());
    std::this_thread::sleep_for(1500ms);
    d.process.signal(SIGKILL);
    REQUIRE(d.process.wait(10s) == std::optional<int>(-SIGKILL));
  }
  // What waited in memory reached the disk: the restart carries on with the same incident.
  Daemon d(dir, config);
  REQUIRE_MESSAGE(eventually([&] { return !d.incidents().empty(); }, 20s), d.log());
  CHECK(str(d.incidents()[0].at("id")) == id);
  std::this_thread::sleep_for(2s);
  for (const auto& e : hook.accepted_events()) CHECK(str(e.at("incident").at("id")) == id);  // never opened twice
  d.process.signal(SIGTERM);
  CHECK(d.process.wait(30s) == std::optional<int>(0));
}

TEST_CASE("kill -9 twenty times during a scripted outage: every incident paged in order, none opened twice") {
  Shop shop;
  std::mt19937 rng(2026);
  std::atomic<int> requests{0};
  // A receiver that sometimes fails, so retries are pending at some of the kills.
  Receiver hook([&](std::size_t, const TestRequest&) { return answer(requests++ % 5 == 3 ? 503 : 200); });
  TempDir dir;
  // No recovery watch: each outage of the script is an incident of its own, so there are many to check.
  const std::string config = probe_header() + site_table("shop", shop.base()) + "recovery_watch = \"0s\"\n" +
                             check_table("home", "shop", "storefront", "P3", "/") +
                             check_table("checkout", "shop", "checkout", "P2", "/checkout") +
                             webhook_table("hook", hook.url("/hook"));
  // The outage script: checkout down and up every few seconds, the whole shop down for a while.
  std::atomic<bool> stop{false};
  std::thread script([&] {
    for (int phase = 0; !stop; ++phase) {
      if (phase % 3 == 0) shop.set_down("/checkout", true);
      if (phase % 3 == 1) shop.all_down = true;
      if (phase % 3 == 2) shop.heal();
      for (int i = 0; i < 25 && !stop; ++i) std::this_thread::sleep_for(100ms);
    }
  });
  for (int round = 0; round < 20; ++round) {
    Daemon d(dir, config);
    std::this_thread::sleep_for(std::chrono::milliseconds(300 + rng() % 2200));
    d.process.signal(SIGKILL);
    REQUIRE(d.process.wait(10s) == std::optional<int>(-SIGKILL));
  }
  stop = true;
  script.join();
  shop.heal();
  // One last, undisturbed run until the shop is up, nothing is open and the queue is empty.
  Daemon d(dir, config);
  REQUIRE_MESSAGE(eventually([&] {
                    if (!d.all_up(2)) return false;
                    const auto list = d.incidents();
                    for (const auto& in : list)
                      if (in.at("resolved_at").is_null()) return false;
                    return sample(d.metrics(), "synthprobe_notification_queue{notifier=\"hook\"}") == 0.0;
                  }, 60s),
                  d.log());

  // Per incident: its open first, sequences never going back, each event at least once, its resolve last.
  std::map<std::string, std::vector<json::object>> by_incident;
  for (const auto& e : hook.accepted_events()) by_incident[str(e.at("incident").at("id"))].push_back(e);
  CHECK(by_incident.size() >= 2);
  for (const auto& [id, events] : by_incident) {
    INFO(id << "\n" << describe(events));
    CHECK(events.front().at("event") == "open");
    CHECK(events.back().at("event") == "resolve");
    std::set<std::string> opens;
    std::uint64_t previous = 0;
    std::set<std::uint64_t> seen;
    for (const auto& e : events) {
      if (e.at("event") == "open") opens.insert(str(e.at("event_id")));
      CHECK(sequence_of(e) >= previous);  // a repeat after a crash may resend the last one, never an older one
      previous = sequence_of(e);
      seen.insert(sequence_of(e));
    }
    CHECK(opens.size() == 1);
    CHECK(seen.size() == previous);  // 1..n, none lost
  }
  // Never two incidents of the site open at once.
  std::vector<std::pair<std::string, std::string>> spans;
  for (const auto& in : d.incidents()) spans.emplace_back(str(in.at("opened_at")), str(in.at("resolved_at")));
  std::sort(spans.begin(), spans.end());
  for (std::size_t i = 1; i < spans.size(); ++i) CHECK(spans[i].first >= spans[i - 1].second);
  d.process.signal(SIGTERM);
  CHECK(d.process.wait(30s) == std::optional<int>(0));
}

TEST_CASE("secrets never appear in logs, errors, APIs, metrics, pages, reports, the store or once's output") {
  const std::map<std::string, std::string> secrets{{"SP_HEADER", "hdr-5ecret-7781"},
                                                   {"SP_PASSWORD", "pw-5ecret-2290"},
                                                   {"SP_TOKEN", "tok-5ecret-4413"},
                                                   {"SP_ROUTING", "rk-5ecret-9051"},
                                                   {"SP_HOOK", "hook-5ecret-6632"},
                                                   {"SP_API", "api-5ecret-0000-aaaa"},
                                                   {"SP_OPSGENIE", "og-5ecret-5772"}};
  for (const auto& [k, v] : secrets) ::setenv(k.c_str(), v.c_str(), 1);
  const std::string file_secret = "file-5ecret-3141";
  const std::string cookie_secret = "cookie-5ecret-2718";
  TestServer shop([&](const TestRequest& req) {
    TestResponse r;
    r.status = req.target.starts_with("/login") ? 200 : 503;
    r.headers = {{"Set-Cookie", "session=" + cookie_secret + "; Path=/"}};
    r.body = "no";
    return r;
  });
  Receiver pd([](std::size_t, const TestRequest&) { return answer(202); });
  Receiver hook([](std::size_t, const TestRequest&) { return answer(200); });
  Receiver opsgenie([](std::size_t, const TestRequest&) { return answer(202); });
  Receiver slack([](std::size_t, const TestRequest&) { return answer(200); });
  // A Slack webhook URL is itself the credential.
  const std::string slack_secret = "slack-5ecret-1618";
  ::setenv("SP_SLACK", slack.url("/services/T0/B0/" + slack_secret).c_str(), 1);
  TempDir dir;
  dir.write("secret.txt", file_secret + "\n");
  const std::string config =
      "[probe]\nname = \"p\"\nregion = \"r\"\nlisten = \"127.0.0.1:LISTEN_PORT\"\nstate_dir = \"state\"\n"
      "api_token = \"${env:SP_API}\"\n\n[defaults]\ninterval = \"1s\"\ntimeout = \"800ms\"\n\n" +
      site_table("shop", shop.url("")) +
      "[[check]]\nname = \"api\"\nsite = \"shop\"\nurl = \"${base}/api?key=${file:secret.txt}\"\n"
      "headers = { X-Api-Key = \"${env:SP_HEADER}\" }\nbasic_auth = { username = \"u\", password = \"${env:SP_PASSWORD}\" }\n\n"
      "[[flow]]\nname = \"buy\"\nsite = \"shop\"\n[[flow.step]]\nname = \"login\"\nurl = \"${base}/login\"\n"
      "bearer_token = \"${env:SP_TOKEN}\"\nextract = { sid = { cookie = \"session\" } }\n"
      "[[flow.step]]\nname = \"pay\"\nurl = \"${base}/pay?sid=${sid}\"\n\n"
      "[[notifier]]\nname = \"pd\"\ntype = \"pagerduty\"\nurl = \"" + pd.url("/v2/enqueue") + "\"\nrouting_key = \"${env:SP_ROUTING}\"\n\n" +
      webhook_table("hook", hook.url("/hook"), "headers = { Authorization = \"Bearer ${env:SP_HOOK}\" }") +
      "[[notifier]]\nname = \"og\"\ntype = \"opsgenie\"\nurl = \"" + opsgenie.url("/v2/alerts") +
      "\"\napi_key = \"${env:SP_OPSGENIE}\"\n\n[[notifier]]\nname = \"chat\"\ntype = \"slack\"\nurl = \"${env:SP_SLACK}\"\n";
  std::string everything;
  {
    Daemon d(dir, config);
    REQUIRE_MESSAGE(eventually([&] { return !d.incidents().empty() && pd.count() >= 1 && opsgenie.count() >= 1 && slack.count() >= 1; }, 30s), d.log());
    const std::string id = str(d.incidents()[0].at("id"));
    const HttpGetResult drill = http_post_json(d.url("/api/drills"), R"({"site":"shop","severity":"P1","duration":"1s"})",
                                               {"Authorization: Bearer " + secrets.at("SP_API")});
    REQUIRE_MESSAGE(drill.status == 201, drill.body);
    // Finished: its review draft (with the receivers' answers) is written and served too.
    const std::string drill_id = str(json::parse(drill.body).at("id"));
    REQUIRE_MESSAGE(eventually([&] {
                      const auto r = d.get_json("/api/drills/" + drill_id);
                      return r && r->at("finished") == true;
                    }, 30s),
                    d.log());
    REQUIRE(eventually([&] { return fs::exists(d.state_dir / "drills" / (drill_id + ".md")); }, 10s));
    everything += http_request(d.url("/api/drills/" + drill_id)).body;
    everything += http_request(d.url("/api/drills/" + drill_id + "/report")).body;
    for (const char* path : {"/metrics", "/api/status", "/status", "/status.json", "/status/operator", "/api/incidents", "/api/drills"})
      everything += http_request(d.url(path)).body;
    everything += http_request(d.url("/api/incidents/" + id)).body;
    everything += http_request(d.url("/api/incidents/" + id + "/report")).body;
    everything += http_request(d.url("/-/reload"), true, {"Authorization: Bearer wrong"}).body;
    d.process.signal(SIGTERM);
    REQUIRE(d.process.wait(30s) == std::optional<int>(0));
    everything += d.log();
  }
  for (const auto& entry : fs::recursive_directory_iterator(dir.path() / "state"))
    if (entry.is_regular_file()) everything += read_all(entry.path());
  std::string out;
  run_command(bin() + " once --config " + (dir.path() / "probe.toml").string() + " --format json", &out);
  everything += out;
  run_command(bin() + " once --config " + (dir.path() / "probe.toml").string(), &out);
  everything += out;
  // A broken config quotes the line that holds a secret: still redacted.
  dir.write("broken.toml", "[probe]\napi_token = \"${env:SP_API}\"\nbogus = \"${env:SP_TOKEN}\"\n");
  run_command(bin() + " check-config " + (dir.path() / "broken.toml").string(), &out);
  everything += out;
  REQUIRE(everything.size() > 10000);
  for (const auto& [k, v] : secrets) CHECK_MESSAGE(everything.find(v) == std::string::npos, k);
  CHECK(everything.find(file_secret) == std::string::npos);
  CHECK(everything.find(cookie_secret) == std::string::npos);
  CHECK(everything.find(slack_secret) == std::string::npos);
  // ... and the receivers did get what they need.
  CHECK(pd.all().front().body.find(secrets.at("SP_ROUTING")) != std::string::npos);
  for (const auto& [k, v] : secrets) ::unsetenv(k.c_str());
  ::unsetenv("SP_SLACK");
}

TEST_CASE("a notifier that black-holes (accepts, never answers): checks keep their schedule") {
  Shop shop;
  Receiver hole([](std::size_t, const TestRequest&) {
    TestResponse r;
    r.action = TestResponse::Action::hang;
    return r;
  });
  TempDir dir;
  Daemon d(dir, probe_header() + site_table("shop", shop.base()) +
                    check_table("checkout", "shop", "checkout", "P2", "/checkout") +
                    check_table("home", "shop", "storefront", "P3", "/") +
                    webhook_table("hook", hole.url("/hook"), "timeout = \"2s\""));
  REQUIRE_MESSAGE(eventually([&] { return d.all_up(2); }, 30s), d.log());
  shop.set_down("/checkout", true);
  REQUIRE_MESSAGE(eventually([&] { return hole.count() >= 2; }, 30s), d.log());  // tried, timed out, tried again
  const auto count = [&] { return sample(d.metrics(), "probe_all_success_count{check=\"home\"}").value_or(0); };
  const double before = count();
  std::this_thread::sleep_for(5s);
  CHECK(count() - before >= 4);  // about one run a second, as scheduled
  CHECK(sample(d.metrics(), "synthprobe_checks_skipped_total").value_or(0) == 0.0);
  CHECK(sample(d.metrics(), "synthprobe_notification_queue{notifier=\"hook\"}") == 1.0);
  d.process.signal(SIGTERM);
  CHECK(d.process.wait(30s) == std::optional<int>(0));
}
