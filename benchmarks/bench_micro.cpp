// Microbenchmarks of the per-run hot paths (issue 6): assertion evaluation, template rendering, the metric
// update of one run, phase computation, and config load. They report numbers; nothing here asserts on time.

#include <benchmark/benchmark.h>

#include <chrono>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "benchmarks/bench_config.h"
#include "config/config_loader.h"
#include "config/template_string.h"
#include "exporters/metrics/check_metrics.h"
#include "probe/engine/assertions.h"
#include "probe/engine/phase_timings.h"
#include "probe/engine/scheduler.h"

namespace {

using namespace synthprobe;

config::Config load(const std::string& toml) {
  auto loaded = config::load_config_string(toml, "micro.toml");
  if (!loaded.config) {
    for (const auto& e : loaded.errors) std::fprintf(stderr, "%s\n", e.to_string().c_str());
    std::abort();
  }
  return std::move(*loaded.config);
}

// A check's expect table, compiled by the real loader.
config::Expect expect_from(const std::string& expect_toml) {
  const auto cfg = load("[[site]]\nname = \"s\"\n[[check]]\nname = \"c\"\nsite = \"s\"\nurl = \"http://127.0.0.1/\"\n"
                        "expect = " + expect_toml + "\n");
  return cfg.checks.at(0).steps.at(0).request.expect;
}

const std::vector<std::pair<std::string, std::string>>& page_headers() {
  static const std::vector<std::pair<std::string, std::string>> headers{
      {"server", "nginx/1.22.1"},          {"date", "Thu, 27 Nov 2025 03:00:00 GMT"},
      {"content-type", "text/html"},       {"content-length", "4096"},
      {"last-modified", "Thu, 27 Nov 2025 02:00:00 GMT"}, {"connection", "close"},
      {"etag", "\"6566a0b0-1000\""},       {"accept-ranges", "bytes"}};
  return headers;
}

std::string page_body() {
  std::string body = "<html><head><title>Shop</title></head><body>";
  while (body.size() < 4000) body += "<div class=\"product\">Product</div>";
  body += "Add to cart</body></html>";
  return body;
}

ResponseView page_view(const std::string& body) {
  return ResponseView{200, body, &page_headers(), 0.012, std::nullopt, 1764212400};
}

void BM_EvaluateStatusOnly(benchmark::State& state) {
  const auto expect = expect_from("{ status = [200] }");
  const std::string body = page_body();
  const auto view = page_view(body);
  for (auto _ : state) benchmark::DoNotOptimize(evaluate(expect, view));
}
BENCHMARK(BM_EvaluateStatusOnly);

void BM_EvaluateWebPage(benchmark::State& state) {
  // What a shop page check typically asserts: status, a text on the page, one regex, a header, latency.
  const auto expect = expect_from(
      "{ status = [\"2xx\"], body_contains = [\"Add to cart\"], body_not_contains = [\"Out of stock\"], "
      "body_regex = ['<title>[^<]+</title>'], headers = { content-type = \"^text/html\" }, "
      "max_latency = \"2s\", degraded_latency = \"1s\" }");
  const std::string body = page_body();
  const auto view = page_view(body);
  for (auto _ : state) benchmark::DoNotOptimize(evaluate(expect, view));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_EvaluateWebPage);

void BM_EvaluateJsonApi(benchmark::State& state) {
  const auto expect = expect_from(
      "{ status = [200], json = { \"/status\" = \"UP\", \"/items\" = 3 }, json_absent = [\"/error\"] }");
  std::string body = R"({"status":"UP","items":3,"components":{)";
  for (int i = 0; i < 20; ++i) body += (i ? "," : "") + std::string("\"c") + std::to_string(i) + R"(":{"status":"UP"})";
  body += "}}";
  const auto view = page_view(body);
  for (auto _ : state) benchmark::DoNotOptimize(evaluate(expect, view));
}
BENCHMARK(BM_EvaluateJsonApi);

void BM_EvaluateFailingStatus(benchmark::State& state) {
  // The failure path builds a message: the one allocation a failing run may make here.
  const auto expect = expect_from("{ status = [200] }");
  const std::string body = page_body();
  auto view = page_view(body);
  view.status_code = 503;
  for (auto _ : state) benchmark::DoNotOptimize(evaluate(expect, view));
}
BENCHMARK(BM_EvaluateFailingStatus);

struct TemplateFixture {
  std::map<std::string, std::string> site{{"base", "https://shop.example.com"}};
  std::set<std::string> runtime{"csrf", "cart"};
  config::TemplateEnv env() {
    config::TemplateEnv e;
    e.site_vars = &site;
    e.runtime_vars = &runtime;
    return e;
  }
  config::TemplateString parse(std::string_view text, config::TemplateContext ctx) {
    config::TemplateString::ParseError err{};
    auto t = config::TemplateString::parse(text, ctx, env(), err);
    if (!t) std::abort();
    return *t;
  }
};

void BM_TemplateRenderConstantUrl(benchmark::State& state) {
  TemplateFixture f;
  const auto t = f.parse("${base}/category/shoes?page=1", config::TemplateContext::url);
  std::mt19937_64 rng(1);
  const config::RenderInputs inputs{nullptr, 1764212400000, &rng};
  std::string out;
  for (auto _ : state) {
    out.clear();
    t.render(out, inputs);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_TemplateRenderConstantUrl);

void BM_TemplateRenderFlowUrl(benchmark::State& state) {
  TemplateFixture f;
  const auto t = f.parse("${base}/cart/${cart}/checkout?token=${csrf}&ts=${unix_ms}&n=${random_digits:6}",
                         config::TemplateContext::url);
  const std::vector<std::pair<std::string, std::string>> vars{{"csrf", "a1b2c3+/=d4e5f6"}, {"cart", "cart 42"}};
  std::mt19937_64 rng(1);
  const config::RenderInputs inputs{&vars, 1764212400000, &rng};
  std::string out;
  for (auto _ : state) {
    out.clear();
    t.render(out, inputs);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_TemplateRenderFlowUrl);

void BM_TemplateRenderJsonBody(benchmark::State& state) {
  TemplateFixture f;
  const auto t = f.parse(R"({"cart":"${cart}","token":"${csrf}","id":"${uuid}"})", config::TemplateContext::json);
  const std::vector<std::pair<std::string, std::string>> vars{{"csrf", "a\"b\\c"}, {"cart", "cart 42"}};
  std::mt19937_64 rng(1);
  const config::RenderInputs inputs{&vars, 1764212400000, &rng};
  std::string out;
  for (auto _ : state) {
    out.clear();
    t.render(out, inputs);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_TemplateRenderJsonBody);

// CheckMetrics::record for one run, spread over N configured checks (cache misses included).
void BM_CheckMetricsRecord(benchmark::State& state) {
  bench::GeneratedConfig g;
  g.checks = static_cast<std::size_t>(state.range(0));
  auto cfg = load(bench::generate_toml(g));
  std::vector<std::shared_ptr<const config::Check>> checks;
  for (auto& c : cfg.checks) checks.push_back(std::make_shared<const config::Check>(std::move(c)));
  CheckMetrics metrics("bench", "local");
  metrics.configure(checks);
  RunResult r;
  r.success = true;
  r.duration_seconds = 0.0123;
  r.status_code = 200;
  r.phases = {0.00001, 0.0001, 0, 0.011, 0.0012};
  r.http_version = "1.1";
  r.body_bytes = 4096;
  r.steps.resize(1);
  r.steps[0].success = true;
  std::size_t i = 0;
  for (auto _ : state) {
    metrics.record(i, r, 1764212400.0);
    i = (i + 7919) % checks.size();  // a prime stride: not the same cache line every time
  }
}
BENCHMARK(BM_CheckMetricsRecord)->Arg(1)->Arg(10000);

void BM_ComputePhases(benchmark::State& state) {
  CurlTimes t{12, 95, 0, 11042, 12301};
  for (auto _ : state) {
    benchmark::DoNotOptimize(t);
    benchmark::DoNotOptimize(compute_phases(t));
  }
}
BENCHMARK(BM_ComputePhases);

// One run's worth of scheduler work (poll that starts it, finished) with N checks on the heap.
void BM_SchedulerRun(benchmark::State& state) {
  using namespace std::chrono;
  const auto n = static_cast<std::uint32_t>(state.range(0));
  const auto origin = Scheduler::Clock::time_point{} + hours(1);
  Scheduler scheduler(n, origin);
  for (std::uint32_t i = 0; i < n; ++i) scheduler.add(i, bench::check_name(i), seconds(60), seconds(60), origin);
  auto now = origin;
  std::vector<Scheduler::Start> starts;
  std::size_t runs = 0;
  for (auto _ : state) {
    // Step time to the next due run, start what is due, finish it at once.
    if (auto next = scheduler.next_wakeup(); next && *next > now) now = *next;
    starts.clear();
    scheduler.poll(now, starts);
    for (const auto& s : starts) scheduler.finished(s.id, s.run, now);
    runs += starts.size();
  }
  state.counters["runs_per_iteration"] = benchmark::Counter(static_cast<double>(runs) / state.iterations());
}
BENCHMARK(BM_SchedulerRun)->Arg(100000);

void BM_ConfigLoad(benchmark::State& state) {
  bench::GeneratedConfig g;
  g.checks = static_cast<std::size_t>(state.range(0));
  const std::string toml = bench::generate_toml(g);
  for (auto _ : state) {
    auto loaded = config::load_config_string(toml, "micro.toml");
    if (!loaded.config) state.SkipWithError("config did not load");
    benchmark::DoNotOptimize(loaded);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * g.checks));
}
BENCHMARK(BM_ConfigLoad)->Arg(1000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
