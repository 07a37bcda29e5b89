// remote_write's pieces: reading the exposition, encoding requests, the bounded queue, the answer policy,
// the [[remote_write]] table, and the service against a loopback receiver that fails, rejects and recovers.
#include <doctest/doctest.h>

#include <prometheus/registry.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "config/config_loader.h"
#include "exporters/remote_write/exposition_reader.h"
#include "exporters/remote_write/remote_write_metrics.h"
#include "exporters/remote_write/remote_write_service.h"
#include "exporters/remote_write/send_policy.h"
#include "exporters/remote_write/send_queue.h"
#include "exporters/remote_write/write_request_encoder.h"
#include "exporters/metrics/metrics_text.h"
#include "tests/support/exposition.h"
#include "tests/support/process.h"
#include "tests/support/test_server.h"

using namespace synthprobe;
using namespace synthprobe::remote_write;
using namespace std::chrono_literals;
using synthprobe::testing::TestRequest;
using synthprobe::testing::TestResponse;
using synthprobe::testing::TestServer;

namespace {

using Labels = std::vector<std::pair<std::string, std::string>>;

std::string label(const DecodedSeries& s, const std::string& name) {
  for (const auto& [n, v] : s.labels)
    if (n == name) return v;
  return "";
}

config::LoadResult load(const std::string& text) {
  return config::load_config_string(text, "t.toml", [](const char* name) -> const char* {
    return std::string(name) == "RW_TOKEN" ? "rw-secret" : nullptr;
  });
}

std::string errors_of(const config::LoadResult& r) {
  std::string out;
  for (const auto& e : r.errors) out += e.to_string() + "\n";
  return out;
}

const char* const kProbe = "[probe]\nname = \"p1\"\nregion = \"eu\"\n";

}  // namespace

TEST_CASE("exposition lines: names, escaped label values, special values, comments, errors") {
  auto s = read_exposition_line(R"(probe_success{check="a\"b",note="x\\y\nz",site="s"} 1)");
  REQUIRE(s);
  CHECK(s->name == "probe_success");
  CHECK(s->labels == Labels{{"check", "a\"b"}, {"note", "x\\y\nz"}, {"site", "s"}});
  CHECK(s->value == 1);
  CHECK(s->series == R"(probe_success{check="a\"b",note="x\\y\nz",site="s"})");

  CHECK(read_exposition_line("up 0.25")->value == 0.25);
  CHECK(read_exposition_line("up 1 1700000000000")->value == 1);  // a timestamp is ignored
  CHECK(std::isnan(read_exposition_line("x NaN")->value));
  CHECK(read_exposition_line("x +Inf")->value == INFINITY);
  CHECK(read_exposition_line("x -Inf")->value == -INFINITY);
  CHECK(read_exposition_line("x 1e+06")->value == 1e6);
  CHECK(read_exposition_line("x{} 3")->labels.empty());
  CHECK(read_exposition_line("x{a=\"1\",} 3")->labels == Labels{{"a", "1"}});

  std::string error;
  CHECK(!read_exposition_line("# HELP x y", &error));
  CHECK(error.empty());
  CHECK(!read_exposition_line("", &error));
  CHECK(error.empty());
  for (const char* bad : {"x", "x{a=\"1\"} ", "x{a=\"1} 2", "x{a=1} 2", "x abc", "9x 1", "x{=\"1\"} 2"}) {
    CHECK_MESSAGE(!read_exposition_line(bad, &error), bad);
    CHECK_MESSAGE(!error.empty(), bad);
  }
}

TEST_CASE("every line of a real exposition reads, with the values the text holds") {
  // Made by the same writer /metrics uses, with label values that need escaping.
  std::string text;
  text += "# HELP probe_success x\n# TYPE probe_success gauge\n";
  text += "probe_success{check=" + std::string("\"we\\\"ird\\\\name\"") + ",probe=\"p\"} 1\n";
  text += "probe_duration_seconds{check=\"c\"} 0.0123\n";
  for (const auto& line : {text}) {
    std::size_t samples = 0;
    std::string_view rest = line;
    while (!rest.empty()) {
      const auto end = rest.find('\n');
      std::string error;
      if (read_exposition_line(rest.substr(0, end), &error)) ++samples;
      CHECK(error.empty());
      rest = rest.substr(end + 1);
    }
    CHECK(samples == 2);
  }
  CHECK(read_exposition_line("probe_success{check=\"we\\\"ird\\\\name\",probe=\"p\"} 1")->labels.front().second ==
        "we\"ird\\name");
}

TEST_CASE("requests: labels sorted with __name__, extra labels only where the series has none, batches of at most N") {
  WriteRequestEncoder encoder({{"job", "synthprobe"}, {"instance", "p1"}, {"zone", ""}}, 2);
  auto a = read_exposition_line(R"(probe_success{site="shop",check="home",instance="own"} 1)");
  auto b = read_exposition_line(R"(synthprobe_incident_open{site="shop",empty=""} 0)");
  auto c = read_exposition_line("synthprobe_build_info 1");
  CHECK(!encoder.add(*a, 1000));
  auto first = encoder.add(*b, 1000);
  REQUIRE(first);
  CHECK(first->samples == 2);
  CHECK(!encoder.add(*c, 2000));
  auto last = encoder.finish();
  REQUIRE(last);
  CHECK(last->samples == 1);
  CHECK(!encoder.finish());

  auto decoded = decode_write_request(first->body);
  REQUIRE(decoded);
  REQUIRE(decoded->size() == 2);
  CHECK((*decoded)[0].labels == Labels{{"__name__", "probe_success"},
                                       {"check", "home"},
                                       {"instance", "own"},
                                       {"job", "synthprobe"},
                                       {"site", "shop"}});
  CHECK((*decoded)[0].samples == std::vector<std::pair<std::int64_t, double>>{{1000, 1.0}});
  CHECK(label((*decoded)[1], "empty") == "");
  CHECK((*decoded)[1].labels.size() == 4);  // __name__, instance, job, site: no empty values
  auto tail = decode_write_request(last->body);
  REQUIRE(tail);
  CHECK((*tail)[0].samples.front().first == 2000);

  CHECK(!decode_write_request("not snappy at all"));
  CHECK(std::isnan(stale_marker()));
  CHECK(is_stale_marker(stale_marker()));
  CHECK(!is_stale_marker(std::nan("")));
}

TEST_CASE("the queue is bounded in samples and drops the oldest batches first") {
  SendQueue q(10);
  CHECK(q.push({"a", 4}) == 0);
  CHECK(q.push({"b", 4}) == 0);
  CHECK(q.samples() == 8);
  CHECK(q.push({"c", 4}) == 4);  // "a" goes
  CHECK(q.take().body == "b");
  CHECK(q.push({"huge", 11}) == 11);  // never fits: itself dropped
  CHECK(q.samples() == 4);
  CHECK(q.clear() == 4);
  CHECK(q.empty());
}

TEST_CASE("answers: 2xx delivered, 5xx/429/none retried with doubling backoff, other 4xx rejected") {
  CHECK(classify_answer(200) == SendOutcome::delivered);
  CHECK(classify_answer(204) == SendOutcome::delivered);
  CHECK(classify_answer(500) == SendOutcome::retry);
  CHECK(classify_answer(503) == SendOutcome::retry);
  CHECK(classify_answer(429) == SendOutcome::retry);
  CHECK(classify_answer(std::nullopt) == SendOutcome::retry);
  CHECK(classify_answer(400) == SendOutcome::rejected);
  CHECK(classify_answer(404) == SendOutcome::rejected);
  CHECK(classify_answer(301) == SendOutcome::rejected);

  CHECK(next_backoff(0ms, 100ms, 1000ms) == 100ms);
  CHECK(next_backoff(100ms, 100ms, 1000ms) == 200ms);
  CHECK(next_backoff(600ms, 100ms, 1000ms) == 1000ms);
  CHECK(next_backoff(1000ms, 100ms, 1000ms) == 1000ms);
  CHECK(retry_wait(200ms, std::nullopt) == 200ms);
  CHECK(retry_wait(200ms, std::chrono::seconds(3)) == 3000ms);
  CHECK(retry_wait(200ms, std::chrono::seconds(0)) == 200ms);
  CHECK(retry_wait(200ms, std::chrono::seconds(86400)) == kMaxRetryAfter);
}

TEST_CASE("[[remote_write]]: defaults, secrets, labels and every mistake named") {
  auto ok = load(std::string(kProbe) + R"(
[[remote_write]]
url = "http://127.0.0.1:9090/api/v1/write"
bearer_token = "${env:RW_TOKEN}"
labels = { job = "probes", team = "web" }

[[remote_write]]
name = "backup"
url = "https://metrics.example.com/write"
interval = "30s"
basic_auth = { username = "u", password = "s3cret-pw" }
max_samples_per_send = 500
queue_capacity = 1000
)");
  REQUIRE_MESSAGE(ok.config, errors_of(ok));
  const auto& rw = ok.config->remote_writes;
  REQUIRE(rw.size() == 2);
  CHECK(rw[0].name == "remote_write");
  CHECK(rw[0].bearer_token == "rw-secret");
  CHECK(rw[0].interval == 15s);
  CHECK(rw[0].labels == std::map<std::string, std::string>{{"instance", "p1"}, {"job", "probes"}, {"team", "web"}});
  CHECK(rw[1].name == "backup");
  CHECK(rw[1].username == "u");
  CHECK(rw[1].password == "s3cret-pw");
  CHECK(rw[1].max_samples_per_send == 500);
  CHECK(ok.config->redact("token rw-secret") == "token <secret>");
  CHECK(ok.config->redact("password s3cret-pw") == "password <secret>");  // written literally, still a secret

  const auto bad = [](const std::string& table) {
    auto r = load(std::string(kProbe) + "[[remote_write]]\n" + table);
    CHECK_MESSAGE(!r.config, table);
    return errors_of(r);
  };
  CHECK(bad("interval = \"1s\"\n").find("missing required key \"url\"") != std::string::npos);
  CHECK(bad("url = \"ftp://x/\"\n").find("url") != std::string::npos);
  CHECK(bad("url = \"http://x/\"\nbearer_token = \"a\"\nbasic_auth = { username = \"u\" }\n")
            .find("at most one") != std::string::npos);
  CHECK(bad("url = \"http://x/\"\nmin_backoff = \"5s\"\nmax_backoff = \"1s\"\n").find("min_backoff") != std::string::npos);
  CHECK(bad("url = \"http://x/\"\nqueue_capacity = 10\n").find("queue_capacity") != std::string::npos);
  CHECK(bad("url = \"http://x/\"\nlabels = { region = \"x\" }\n").find("reserved") != std::string::npos);
  CHECK(bad("url = \"http://x/\"\ninterval = \"500ms\"\n").find("at least 1s") != std::string::npos);
  CHECK(bad("url = \"http://x/\"\ntimeout = \"0s\"\n").find("more than 0s") != std::string::npos);
  CHECK(bad("url = \"http://x/\"\nmax_samples_per_send = 1\nqueue_capacity = 20000000\n").find("queue_capacity") !=
        std::string::npos);
  CHECK(bad("url = \"http://x/\"\nbearer_token = \"${env:NOPE}\"\n").find("NOPE") != std::string::npos);
  CHECK(bad("url = \"http://x/\"\nbatch = 3\n").find("batch") != std::string::npos);
  auto twice = load(std::string(kProbe) + "[[remote_write]]\nurl = \"http://a/\"\n[[remote_write]]\nurl = \"http://b/\"\n");
  CHECK(errors_of(twice).find("duplicate remote_write name") != std::string::npos);
}

namespace {

// A receiver on loopback that answers from a script (then 204 forever) and keeps what it accepted.
struct Receiver {
  explicit Receiver(std::vector<int> script = {})
      : server([this](const TestRequest& req) { return answer(req); }), script_(std::move(script)) {}

  TestResponse answer(const TestRequest& req) {
    std::lock_guard lock(mutex);
    TestResponse r;
    r.status = next < script_.size() ? script_[next] : 204;
    ++next;
    requests.push_back(req);
    if (r.status == 204) {
      if (auto series = decode_write_request(req.body))
        for (auto& s : *series) accepted.push_back(std::move(s));
    }
    if (r.status == 400) r.body = "out of order sample";
    return r;
  }
  std::size_t count() {
    std::lock_guard lock(mutex);
    return requests.size();
  }
  std::vector<DecodedSeries> taken() {
    std::lock_guard lock(mutex);
    return accepted;
  }

  std::mutex mutex;
  std::vector<TestRequest> requests;
  std::vector<DecodedSeries> accepted;
  std::size_t next = 0;
  TestServer server;

 private:
  std::vector<int> script_;
};

// An exposition the test changes between samples.
struct Source {
  std::mutex mutex;
  std::string text;
  void set(std::string t) {
    std::lock_guard lock(mutex);
    text = std::move(t);
  }
  // Pieces of 7 bytes: lines span pieces, as they may in MetricsText's.
  RemoteWriteService::OpenExposition opener() {
    return [this] {
      std::lock_guard lock(mutex);
      auto copy = std::make_shared<std::string>(text);
      auto at = std::make_shared<std::size_t>(0);
      return RemoteWriteService::PieceSource([copy, at](std::string& out) {
        if (*at >= copy->size()) return false;
        out += copy->substr(*at, 7);
        *at += 7;
        return true;
      });
    };
  }
};

// A service with its metrics, reading `source`.
struct Sender {
  Source source;
  prometheus::Registry registry;
  RemoteWriteMetrics metrics{registry, {"p1", "eu"}};
  Logger logger;
  RemoteWriteService service{source.opener(), metrics, logger};

  std::string metrics_text() const { return render_metrics({&registry}); }
};

config::RemoteWrite remote_to(const std::string& url) {
  config::RemoteWrite c;
  c.name = "test";
  c.url = url;
  c.interval = 200ms;
  c.timeout = 2s;
  c.min_backoff = 20ms;
  c.max_backoff = 100ms;
  c.bearer_token = "tok";
  c.labels = {{"job", "synthprobe"}, {"instance", "p1"}};
  return c;
}

double sample_of(const std::string& exposition, const std::string& name, const std::map<std::string, std::string>& labels) {
  std::string selector = name + "{";
  for (const auto& [k, v] : labels) selector += (selector.back() == '{' ? "" : ",") + k + "=\"" + v + "\"";
  return synthprobe::testing::sample_value(exposition, selector + "}").value_or(-1);
}

}  // namespace

TEST_CASE("the service sends samples with the spec's headers, retries 5xx and 429, drops 4xx, ends vanished series") {
  Receiver receiver({503, 429, 400});
  Sender sender;
  auto& [source, registry, metrics, logger, service] = sender;
  source.set("# TYPE a gauge\na{site=\"s\"} 1\nb 2\n");
  service.configure({remote_to(receiver.server.url("/api/v1/write"))});

  // First request 503, then 429, then 400 (that batch is dropped), then every later one accepted.
  REQUIRE(synthprobe::testing::eventually([&] { return receiver.taken().size() >= 4; }, 20s));
  {
    std::lock_guard lock(receiver.mutex);
    const TestRequest& req = receiver.requests.front();
    CHECK(req.method == "POST");
    CHECK(req.target == "/api/v1/write");
    CHECK(req.header("content-encoding") == "snappy");
    CHECK(req.header("content-type") == "application/x-protobuf");
    CHECK(req.header("x-prometheus-remote-write-version") == "0.1.0");
    CHECK(req.header("authorization") == "Bearer tok");
    CHECK(req.header("user-agent").starts_with("synthprobe/"));
  }
  const auto first = receiver.taken().front();
  CHECK(first.labels == Labels{{"__name__", "a"}, {"instance", "p1"}, {"job", "synthprobe"}, {"site", "s"}});
  CHECK(first.samples.front().second == 1);

  // `a` goes away: its next sample is a stale marker, and nothing more of it follows.
  source.set("b 3\n");
  REQUIRE(synthprobe::testing::eventually(
      [&] {
        for (const auto& s : receiver.taken())
          if (label(s, "__name__") == "a" && is_stale_marker(s.samples.front().second)) return true;
        return false;
      },
      20s));
  const std::size_t seen = receiver.taken().size();
  REQUIRE(synthprobe::testing::eventually([&] { return receiver.taken().size() >= seen + 4; }, 20s));
  const auto all = receiver.taken();
  for (std::size_t i = seen; i < all.size(); ++i) CHECK(label(all[i], "__name__") == "b");

  service.stop();
  // Timestamps never go backwards within a series.
  std::map<std::string, std::int64_t> last;
  for (const auto& s : all) {
    auto& t = last[label(s, "__name__")];
    CHECK(s.samples.front().first > t);
    t = s.samples.front().first;
  }
  const std::string text = sender.metrics_text();
  CHECK(sample_of(text, "synthprobe_remote_write_retries_total", {{"remote", "test"}}) >= 2);
  CHECK(sample_of(text, "synthprobe_remote_write_samples_total", {{"remote", "test"}, {"result", "rejected"}}) == 2);
  CHECK(sample_of(text, "synthprobe_remote_write_samples_total", {{"remote", "test"}, {"result", "sent"}}) >= 4);
  CHECK(sample_of(text, "synthprobe_remote_write_last_sent_timestamp_seconds", {{"remote", "test"}}) > 1.7e9);
}

TEST_CASE("a receiver that is down: the queue stays bounded, drops are counted, and it catches up when back") {
  std::atomic<bool> down{true};
  TestServer server([&](const TestRequest&) {
    TestResponse r;
    r.status = down ? 500 : 200;
    return r;
  });
  Sender sender;
  auto& [source, registry, metrics, logger, service] = sender;
  std::string text;
  for (int i = 0; i < 30; ++i) text += "s{i=\"" + std::to_string(i) + "\"} 1\n";
  source.set(text);
  auto c = remote_to(server.url("/write"));
  c.interval = 50ms;
  c.max_samples_per_send = 10;
  c.queue_capacity = 40;
  service.configure({c});
  REQUIRE(synthprobe::testing::eventually(
      [&] {
        return sample_of(sender.metrics_text(), "synthprobe_remote_write_samples_total",
                         {{"remote", "test"}, {"result", "dropped"}}) >= 60;
      },
      20s));
  const double queued = sample_of(sender.metrics_text(), "synthprobe_remote_write_queue_samples",
                                  {{"remote", "test"}});
  CHECK(queued <= 50);  // the queue's 40 and the batch being tried
  down = false;
  REQUIRE(synthprobe::testing::eventually(
      [&] {
        return sample_of(sender.metrics_text(), "synthprobe_remote_write_samples_total",
                         {{"remote", "test"}, {"result", "sent"}}) >= 60;
      },
      20s));
  service.stop();
  service.stop();  // idempotent
}

TEST_CASE("a reload keeps a receiver whose name and url stay, and drops one whose url changed") {
  std::atomic<bool> down{true};
  TestServer a([&](const TestRequest&) {
    TestResponse r;
    r.status = down ? 503 : 204;
    return r;
  });
  Receiver b;
  Sender sender;
  auto& [source, registry, metrics, logger, service] = sender;
  source.set("x 1\ny 2\n");
  auto c = remote_to(a.url("/w"));
  service.configure({c});
  const auto queued = [&] {
    return sample_of(sender.metrics_text(), "synthprobe_remote_write_queue_samples", {{"remote", "test"}});
  };
  REQUIRE(synthprobe::testing::eventually([&] { return queued() >= 6; }, 20s));
  // Other settings change, name and url stay: nothing is dropped, the queue goes on growing.
  c.labels["team"] = "web";
  c.max_backoff = 50ms;
  service.configure({c});
  REQUIRE(synthprobe::testing::eventually([&] { return queued() >= 10; }, 20s));
  CHECK(sample_of(sender.metrics_text(), "synthprobe_remote_write_samples_total",
                  {{"remote", "test"}, {"result", "dropped"}}) == -1);  // never counted: no drop
  // The url changes: what waited for `a` is dropped and counted; `b` gets samples from now on.
  service.configure({remote_to(b.server.url("/w"))});
  REQUIRE(synthprobe::testing::eventually([&] { return b.taken().size() >= 2; }, 20s));
  CHECK(sample_of(sender.metrics_text(), "synthprobe_remote_write_samples_total",
                  {{"remote", "test"}, {"result", "dropped"}}) >= 10);
  // A receiver that is gone takes its series with it.
  service.configure({});
  REQUIRE(synthprobe::testing::eventually(
      [&] { return sender.metrics_text().find("synthprobe_remote_write_queue_samples{") == std::string::npos; }, 20s));
  down = false;
  service.stop();
}

TEST_CASE("a hanging receiver times out and is retried; Retry-After is honoured; stop() ends within its flush time") {
  std::mutex mutex;
  std::vector<std::chrono::steady_clock::time_point> arrivals;
  std::atomic<int> mode{0};  // 0: hang, 1: 503 with Retry-After: 1, 2: accept
  TestServer server([&](const TestRequest&) {
    {
      std::lock_guard lock(mutex);
      arrivals.push_back(std::chrono::steady_clock::now());
    }
    TestResponse r;
    if (mode == 0) r.action = TestResponse::Action::hang;
    r.status = mode == 1 ? 503 : 204;
    if (mode == 1) r.headers.push_back({"Retry-After", "1"});
    return r;
  });
  const auto count = [&] {
    std::lock_guard lock(mutex);
    return arrivals.size();
  };
  Sender sender;
  auto& [source, registry, metrics, logger, service] = sender;
  source.set("x 1\n");
  auto c = remote_to(server.url("/w"));
  c.timeout = 300ms;
  service.configure({c});
  REQUIRE(synthprobe::testing::eventually([&] { return count() >= 2; }, 20s));  // timed out, tried again
  CHECK(sample_of(sender.metrics_text(), "synthprobe_remote_write_retries_total", {{"remote", "test"}}) >= 1);

  mode = 1;
  const std::size_t before = count();
  REQUIRE(synthprobe::testing::eventually([&] { return count() >= before + 3; }, 30s));
  {
    std::lock_guard lock(mutex);
    // Once a 503 with Retry-After: 1 is answered, the next try waits a second, not the 20-100 ms backoff.
    const auto gap = arrivals[before + 2] - arrivals[before + 1];
    CHECK(gap >= 900ms);
  }

  // stop() with a request hanging: one last sample is sent for at most the flush time, then it ends.
  mode = 0;
  REQUIRE(synthprobe::testing::eventually([&] { return count() >= before + 4; }, 30s));
  const auto started = std::chrono::steady_clock::now();
  service.stop();
  CHECK(std::chrono::steady_clock::now() - started < RemoteWriteService::kShutdownFlush + 3s);
  CHECK(sample_of(sender.metrics_text(), "synthprobe_remote_write_samples_total",
                  {{"remote", "test"}, {"result", "dropped"}}) >= 1);
}

TEST_CASE("stop() sends one last sample, so the receiver has the state at shutdown") {
  Receiver receiver;
  Sender sender;
  auto& [source, registry, metrics, logger, service] = sender;
  source.set("incident_open 1\n");
  auto c = remote_to(receiver.server.url("/w"));
  c.interval = 60s;  // no second sample before stop()
  service.configure({c});
  REQUIRE(synthprobe::testing::eventually([&] { return receiver.taken().size() == 1; }, 20s));
  source.set("incident_open 0\n");
  service.stop();
  const auto all = receiver.taken();
  REQUIRE(all.size() == 2);
  CHECK(all.back().samples.front().second == 0);
  CHECK(all.back().samples.front().first > all.front().samples.front().first);
}
