// Fuzzes config::load_config_string on arbitrary TOML text.
//
// ${env:} comes from fuzz_support's fake environment and the config "lives" in an empty folder, so
// ${file:...}, ca_file and state_dir find nothing real. Properties beyond "no crash, no UB, no leak":
// - a config comes back exactly when there are no errors, and every error has a message;
// - no error message shows a secret from the environment, whole or in part (when the text does not
//   spell it out itself);
// - every template of a loaded config renders (with a value for each run-time variable);
// - every duration of a loaded config converts to nanoseconds, the unit of the clocks it is used with.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "config/config_loader.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

namespace config = synthprobe::config;
using synthprobe::fuzz::require;

// A part of each secret long enough that it cannot turn up by chance.
constexpr std::string_view kSecretParts[] = {"fuzz-secret", "rather-long-secret", "fuzz-url-secret"};

bool fits_clocks(config::Duration d) {
  return d.count() >= 0 && d <= std::chrono::duration_cast<config::Duration>(std::chrono::nanoseconds::max());
}

void check_durations(const config::Config& c) {
  const auto request = [](const config::RequestSettings& r) {
    require(fits_clocks(r.interval) && fits_clocks(r.interval_when_failing.value_or(r.interval)) &&
                fits_clocks(r.timeout) && fits_clocks(r.expect.max_latency.value_or(config::Duration{})) &&
                fits_clocks(r.expect.degraded_latency.value_or(config::Duration{})),
            "check durations fit the clocks");
  };
  require(fits_clocks(c.probe.state_retention), "state_retention fits the clocks");
  for (const auto& check : c.checks) {
    request(check.settings);
    for (const auto& step : check.steps) request(step.request);
  }
  for (const auto& n : c.notifiers)
    require(fits_clocks(n.resend_interval) && fits_clocks(n.timeout) && fits_clocks(n.max_delivery_age),
            "notifier durations fit the clocks");
  for (const auto& h : c.heartbeats) require(fits_clocks(h.interval), "heartbeat intervals fit the clocks");
}

void render_all(const config::Check& check) {
  std::mt19937_64 rng(1);
  std::vector<std::pair<std::string, std::string>> vars;
  for (const auto& step : check.steps)
    for (const auto& x : step.extract) vars.emplace_back(x.variable, "value of " + x.variable);
  const config::RenderInputs inputs{&vars, 1700000000123, &rng};
  std::string out;
  for (const auto& step : check.steps) {
    const auto& r = step.request;
    r.url.render(out, inputs);
    r.body.render(out, inputs);
    for (const auto& h : r.headers) h.value.render(out, inputs);
    for (const auto& f : r.form) f.value.render(out, inputs);
    for (const auto& t : r.expect.body_contains) t.render(out, inputs);
    for (const auto& t : r.expect.body_not_contains) t.render(out, inputs);
    for (const auto& re : r.expect.body_regex) re.source.render(out, inputs);
    for (const auto& j : r.expect.json)
      for (const auto& t : j.templates) t.text.render(out, inputs);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = synthprobe::fuzz::as_text(data, size);
  static const std::string path = synthprobe::fuzz::empty_dir() + "/synthprobe.toml";

  const config::LoadResult result = config::load_config_string(text, path, synthprobe::fuzz::fake_getenv);
  require(result.config.has_value() == result.errors.empty(), "a config exactly when there are no errors");
  for (const auto& e : result.errors) {
    require(!e.message.empty(), "every error has a message");
    const std::string line = e.to_string();
    for (std::string_view secret : kSecretParts)
      require(text.find(secret) != std::string_view::npos || line.find(secret) == std::string::npos,
              "no error message shows a secret");
  }
  if (result.config) {
    check_durations(*result.config);
    for (const auto& check : result.config->checks) render_all(check);
  }
  return 0;
}
