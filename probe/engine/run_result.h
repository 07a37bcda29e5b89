#pragma once
// The outcome of one run of a check or flow: what `once` prints, metrics export and incidents read.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace synthprobe {

// The contract's fixed set of failure reasons (section 4). Order is the export order.
enum class Reason { dns, connect, tls, timeout, protocol, status, assertion, latency, extraction };
inline constexpr std::array<Reason, 9> kAllReasons{Reason::dns,      Reason::connect,  Reason::tls,
                                                   Reason::timeout,  Reason::protocol, Reason::status,
                                                   Reason::assertion, Reason::latency, Reason::extraction};
std::string_view to_string(Reason reason);

// Seconds per phase, as blackbox_exporter defines them, summed over redirects (and over steps for a flow).
struct Phases {
  double resolve = 0, connect = 0, tls = 0, processing = 0, transfer = 0;
  Phases& operator+=(const Phases& o) {
    resolve += o.resolve;
    connect += o.connect;
    tls += o.tls;
    processing += o.processing;
    transfer += o.transfer;
    return *this;
  }
};

// What one HTTP exchange (one step, one attempt) produced.
struct StepResult {
  std::string name;
  std::optional<bool> success;  // nullopt: not run
  std::optional<Reason> reason;
  std::string message;
  double duration_seconds = 0;
  long status_code = 0;  // 0 when no response
  Phases phases;
  // "1.0", "1.1", "2", "3"; empty when no response. Views of static text only: a result outlives its run
  // and its config, and one string of its own per result would be 24 bytes more per check in flight.
  std::string_view http_version;
  std::uint64_t body_bytes = 0;
  int redirects = 0;
  bool tls_used = false;  // a TLS handshake completed (probe_http_ssl)
  std::optional<std::int64_t> cert_expiry_unix;  // earliest notAfter of the peer chain
  bool failed_due_to_regex = false;  // a body regex / contains assertion failed (probe_failed_due_to_regex)
  bool degraded = false;
  int attempts = 0;
};

struct RunResult {
  std::string name;
  bool is_flow = false;
  std::string site;
  std::string area;
  bool success = false;
  bool degraded = false;
  std::optional<Reason> reason;
  std::string message;  // empty when passed
  std::optional<std::string> failed_step;  // flows only
  double duration_seconds = 0;
  long status_code = 0;  // of the last step run
  Phases phases;         // summed over steps run
  std::string_view http_version;  // the last step's; static text (see StepResult)
  std::uint64_t body_bytes = 0;
  int redirects = 0;
  bool tls_used = false;
  std::optional<std::int64_t> cert_expiry_unix;
  bool failed_due_to_regex = false;
  std::vector<StepResult> steps;  // flows: every configured step; checks: the single exchange
};

}  // namespace synthprobe
