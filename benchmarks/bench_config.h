#pragma once
// Generated TOML configs for the benchmarks: many plain checks against one URL, the shape a web shop's
// config has (sites with a base URL var, checks that template on it, a status and latency expectation).

#include <cstddef>
#include <string>
#include <string_view>

#include "common/json_format.h"

namespace synthprobe::bench {

struct GeneratedConfig {
  std::size_t checks = 1000;
  std::size_t checks_per_site = 100;
  std::string url = "http://127.0.0.1:8080/page.html";  // each check adds ?check=<i>, so every URL differs
  std::string interval = "60s";
  std::string timeout = "5s";
  int max_in_flight = 1000;
  std::string listen = "127.0.0.1:9464";
  std::string state_dir = "state";
  // Every flap_every-th check (0: none) points at flap_url instead of url: a server that alternates
  // between healthy and failing, so checks change state, incidents open and resolve, the store writes.
  std::size_t flap_every = 0;
  std::string flap_url;
  // Every refused_every-th check (0: none), offset by half of it so that it is never a flapping one,
  // points at refused_url instead (a closed port: every run fails at connect).
  std::size_t refused_every = 0;
  std::string refused_url;
  // Put before check=<i> in every check's query, an '&' added if it has none (blackbox_exporter's
  // "module=http_2xx&target=...&": a site var lands in the URL's path, where its '?' would be escaped).
  std::string query;
  // A text every answer's body must contain (blackbox_exporter's "probe_success 1": it answers 200 for
  // a failed probe too); empty: the status alone.
  std::string expect_body;
  // fresh_connection = false: runs reuse open connections, as Prometheus does with its targets.
  bool keep_alive = false;
};

inline std::string check_name(std::size_t i) {
  std::string digits = std::to_string(i);
  return "check-" + std::string(digits.size() < 6 ? 6 - digits.size() : 0, '0') + digits;
}

// A TOML basic string's content: TOML takes JSON's escapes (\", \\, \n, \uXXXX, ...).
inline std::string toml_escaped(std::string_view text) {
  std::string out;
  append_json_escaped(out, text);
  return out;
}

inline std::string generate_toml(const GeneratedConfig& g) {
  std::string out;
  out.reserve(g.checks * 170 + 512);
  out += "[probe]\nname = \"bench\"\nregion = \"local\"\nlisten = \"" + g.listen + "\"\nstate_dir = \"" +
         g.state_dir + "\"\nmax_in_flight = " + std::to_string(g.max_in_flight) + "\n\n";
  out += "[defaults]\ninterval = \"" + g.interval + "\"\ntimeout = \"" + g.timeout + "\"\n";
  if (g.keep_alive) out += "fresh_connection = false\n";
  out += "expect = { status = [200], max_latency = \"2s\"";
  if (!g.expect_body.empty()) out += ", body_contains = \"" + toml_escaped(g.expect_body) + "\"";
  out += " }\n\n";
  const std::size_t per_site = g.checks_per_site ? g.checks_per_site : 1;
  const std::size_t sites = (g.checks + per_site - 1) / per_site;
  const std::string base = "${base}";
  std::string query = toml_escaped(g.query);
  if (!query.empty() && query.back() != '&') query += '&';
  for (std::size_t s = 0; s < sites; ++s) {
    out += "[[site]]\nname = \"site-" + std::to_string(s) + "\"\nvars = { base = \"" + g.url + "\" }\n\n";
  }
  for (std::size_t i = 0; i < g.checks; ++i) {
    const bool flaps = g.flap_every != 0 && i % g.flap_every == 0;
    const bool refused = !flaps && g.refused_every != 0 && i % g.refused_every == g.refused_every / 2;
    const std::string& url = flaps ? g.flap_url : refused ? g.refused_url : base;
    out += "[[check]]\nname = \"" + check_name(i) + "\"\nsite = \"site-" + std::to_string(i / per_site) +
           "\"\nurl = \"" + url + "?" + query + "check=" + std::to_string(i) + "\"\n\n";
  }
  return out;
}

}  // namespace synthprobe::bench
