#pragma once
// What the end-to-end tests of `synthprobe run` share: a test shop whose pages the test switches between
// healthy and failing, notification receivers that record what they get and answer as told, config
// snippets, and a daemon started on a fresh port with its log, metrics and API at hand.
// Header-only: each test executable includes it once.

#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "tests/support/exposition.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_server.h"

namespace synthprobe::testing::e2e {

namespace json = boost::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

inline std::string bin() {
  const char* b = std::getenv("SYNTHPROBE_BIN");
  REQUIRE(b);
  return b;
}

// ---- the shop ----------------------------------------------------------------------------------

// Every path answers 200 unless switched: `down_paths` lists "/" style targets answering 503 (a target's
// path up to '?' is matched), `all_down` makes every answer 503.
struct Shop {
  std::atomic<bool> all_down{false};
  std::mutex mutex;
  std::set<std::string> down;  // paths answering 503
  TestServer server{[this](const TestRequest& req) {
    TestResponse r;
    const std::string path = req.target.substr(0, req.target.find('?'));
    bool is_down = all_down.load();
    {
      std::lock_guard lock(mutex);
      is_down = is_down || down.contains(path);
    }
    r.status = is_down ? 503 : 200;
    r.body = is_down ? "unavailable" : "shop page";
    return r;
  }};

  void set_down(const std::string& path, bool is_down) {
    std::lock_guard lock(mutex);
    if (is_down) down.insert(path);
    else down.erase(path);
  }
  void heal() {
    all_down = false;
    std::lock_guard lock(mutex);
    down.clear();
  }
  std::string base() const { return server.url(""); }
};

// ---- notification receivers --------------------------------------------------------------------

struct Received {
  SteadyClock::time_point at;
  std::string method;
  std::string target;
  std::string body;
  int answered = 0;  // the status answered; 0 when the request was left hanging
};

// Records every request; `decide` (index from 0, request) says how to answer. Runs on the server's thread.
class Receiver {
 public:
  using Decide = std::function<TestResponse(std::size_t, const TestRequest&)>;

  explicit Receiver(Decide decide = {}) : decide_(std::move(decide)) {}

  std::string url(std::string_view path) const { return server_.url(path); }
  unsigned short port() const { return server_.port(); }

  std::vector<Received> all() const {
    std::lock_guard lock(mutex_);
    return received_;
  }
  std::size_t count() const {
    std::lock_guard lock(mutex_);
    return received_.size();
  }
  // Webhook bodies of requests to `path` that were answered 2xx, in arrival order.
  std::vector<json::object> accepted_events(const std::string& path = "/hook") const {
    std::vector<json::object> out;
    for (const auto& r : all()) {
      if (r.target != path || r.answered < 200 || r.answered >= 300) continue;
      boost::system::error_code ec;
      json::value v = json::parse(r.body, ec);
      if (!ec && v.is_object()) out.push_back(v.as_object());
    }
    return out;
  }
  std::size_t count_path(const std::string& path) const {
    std::size_t n = 0;
    for (const auto& r : all()) n += r.target.substr(0, r.target.find('?')) == path;
    return n;
  }

 private:
  TestResponse on(const TestRequest& req) {
    std::lock_guard lock(mutex_);
    const std::size_t index = received_.size();
    TestResponse resp = decide_ ? decide_(index, req) : TestResponse{};
    received_.push_back({SteadyClock::now(), req.method, req.target, req.body,
                         resp.action == TestResponse::Action::hang ? 0 : resp.status});
    return resp;
  }

  Decide decide_;
  mutable std::mutex mutex_;
  std::vector<Received> received_;
  TestServer server_{[this](const TestRequest& req) { return on(req); }};  // last: stops first
};

inline TestResponse answer(int status) {
  TestResponse r;
  r.status = status;
  r.body = "{}";
  return r;
}

// ---- config and daemon -------------------------------------------------------------------------

inline std::string probe_header() {
  return "[probe]\nname = \"e2e-probe\"\nregion = \"test-region\"\nlisten = \"127.0.0.1:LISTEN_PORT\"\n"
         "state_dir = \"state\"\n\n[defaults]\ninterval = \"1s\"\ntimeout = \"800ms\"\n\n";
}

inline std::string site_table(const std::string& name, const std::string& base) {
  return "[[site]]\nname = \"" + name + "\"\nlabels = { team = \"web\" }\nvars = { base = \"" + base +
         "\" }\nopen_after = 1\nresolve_after = 1\n\n";
}

inline std::string check_table(const std::string& name, const std::string& site, const std::string& area,
                        const std::string& severity, const std::string& path) {
  return "[[check]]\nname = \"" + name + "\"\nsite = \"" + site + "\"\narea = \"" + area + "\"\nseverity = \"" +
         severity + "\"\nurl = \"${base}" + path + "\"\n\n";
}

inline std::string webhook_table(const std::string& name, const std::string& url, const std::string& extra = "") {
  return "[[notifier]]\nname = \"" + name + "\"\ntype = \"webhook\"\nurl = \"" + url + "\"\n" + extra + "\n";
}

// A daemon started on a fresh port with `config` (LISTEN_PORT replaced) in `dir`; state in dir/state.
struct Daemon {
  Daemon(const TempDir& dir, const std::string& config)
      : port(closed_port()),
        config_path(dir.write("probe.toml", std::regex_replace(config, std::regex("LISTEN_PORT"), std::to_string(port)))),
        log_path((dir.path() / "daemon.log").string()),
        state_dir(dir.path() / "state"),
        process({bin(), "run", "--config", config_path}, log_path) {
    REQUIRE_MESSAGE(eventually([&] { return http_request(url("/-/ready")).status == 200; }, 30s), log());
  }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port) + path; }
  std::string metrics() const { return http_request(url("/metrics")).body; }
  std::string log() const {
    std::ifstream in(log_path);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  std::optional<json::value> get_json(const std::string& path) const {
    HttpGetResult r = http_request(url(path));
    if (r.status != 200) return std::nullopt;
    boost::system::error_code ec;
    json::value v = json::parse(r.body, ec);
    if (ec) return std::nullopt;
    return v;
  }
  json::array incidents() const {
    auto v = get_json("/api/incidents");
    return v ? v->at("incidents").as_array() : json::array{};
  }
  // Every enabled check of every site has run and is up.
  bool all_up(std::size_t expected_checks) const {
    auto v = get_json("/api/status");
    if (!v) return false;
    std::size_t up = 0;
    for (const auto& site : v->at("sites").as_array())
      for (const auto& c : site.at("checks").as_array()) {
        if (c.at("state") != "up") return false;
        ++up;
      }
    return up == expected_checks;
  }

  unsigned short port;
  std::string config_path;
  std::string log_path;
  fs::path state_dir;
  ChildProcess process;
};

// The value of the sample `series` ("name{labels}"; the series may carry more labels), nullopt if absent.
inline std::optional<double> sample(const std::string& text, const std::string& series) {
  return synthprobe::testing::sample_value(text, series);
}

inline std::string notifications(const std::string& notifier, const std::string& event, const std::string& result) {
  return "synthprobe_notifications_total{event=\"" + event + "\",notifier=\"" + notifier + "\",result=\"" + result + "\"}";
}

inline bool sample_is(const Daemon& d, const std::string& series, double value) {
  auto v = sample(d.metrics(), series);
  return v && *v == value;
}

inline std::string str(const json::value& v) { return v.is_string() ? std::string(v.as_string()) : ""; }

inline std::set<std::string> timeline_events(const json::object& incident) {
  std::set<std::string> out;
  for (const auto& e : incident.at("timeline").as_array()) out.insert(str(e.at("event")));
  return out;
}

inline std::string describe(const std::vector<json::object>& events) {
  std::string out;
  for (const auto& e : events) {
    out += str(e.at("event")) + " #" + json::serialize(e.at("sequence")) + " " + str(e.at("incident").at("site")) + " " +
           str(e.at("incident").at("severity")) + " " + str(e.at("incident").at("extent")) + "\n";
  }
  return out;
}

inline std::uint64_t sequence_of(const json::object& e) { return e.at("sequence").to_number<std::uint64_t>(); }

}  // namespace synthprobe::testing::e2e
