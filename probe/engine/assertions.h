#pragma once
// Judges one final HTTP response against a check's `expect` table. Pure: no I/O, no clock of its own.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config_model.h"
#include "probe/engine/run_result.h"

namespace synthprobe {

// What evaluate() needs to know about a response; it borrows, never copies.
struct ResponseView {
  long status_code = 0;
  std::string_view body;
  // Names lower case; the final response only (after redirects). Null means "no headers".
  const std::vector<std::pair<std::string, std::string>>* headers = nullptr;
  double total_seconds = 0;  // the whole exchange, redirects included
  std::optional<std::int64_t> cert_expiry_unix;  // earliest notAfter of the peer chain; nullopt without TLS
  std::int64_t now_unix = 0;                     // injected so certificate days are testable
};

// The verdict on one response. A degraded response has passed == true, degraded == true and no reason or
// message: degradation is a note, not a failure. `message` is only built when the response fails.
struct Verdict {
  bool passed = true;
  std::optional<Reason> reason;  // status, assertion or latency; nullopt when passed
  std::string message;           // e.g. `status 503 not in [2xx]`; empty when passed
  bool degraded = false;
  // A body (contains, not contains, regex) or header failure, as blackbox_exporter's probe_failed_due_to_regex.
  bool failed_due_to_regex = false;
};

// Checks, stopping at the first failure: status, body (contains, not contains, regex), headers, JSON values,
// JSON absences, certificate days, max_latency; then degraded_latency on a passing response.
// An empty expect.status means the default ["2xx"].
// Expectations with run-time values (what earlier flow steps extracted, built-ins) are rendered with
// `values`, and messages show them rendered; the rest are used as loaded, with no copy and no compile. A
// regex whose rendering is not a valid RE2 fails the response (assertion) with RE2's reason.
Verdict evaluate(const config::Expect& expect, const ResponseView& response, const config::RenderInputs& values = {});

}  // namespace synthprobe
