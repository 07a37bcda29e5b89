#include "probe/engine/result_json.h"

#include <array>
#include <charconv>
#include <cmath>

#include <boost/json/serialize.hpp>

#include "common/json_format.h"

namespace synthprobe {
namespace {

namespace json = boost::json;

// curl measures in microseconds; anything finer is float noise from summing phases.
double seconds(double s) { return std::round(s * 1e6) / 1e6; }

json::object phases_to_json(const Phases& p) {
  json::object o;
  o.reserve(5);
  o.emplace("resolve", seconds(p.resolve));
  o.emplace("connect", seconds(p.connect));
  o.emplace("tls", seconds(p.tls));
  o.emplace("processing", seconds(p.processing));
  o.emplace("transfer", seconds(p.transfer));
  return o;
}

json::value reason_or_null(const std::optional<Reason>& reason) {
  if (!reason) return nullptr;
  return json::string(to_string(*reason));
}

json::value string_or_null(std::string_view text) {
  if (text.empty()) return nullptr;
  return json::string(text);
}

json::object step_to_json(const StepResult& step) {
  json::object o;
  o.reserve(10);
  o.emplace("name", step.name);
  o.emplace("success", step.success ? json::value(*step.success) : json::value(nullptr));
  const bool failed = step.success == false;
  o.emplace("reason", failed ? reason_or_null(step.reason) : json::value(nullptr));
  o.emplace("message", failed ? json::value(json::string(step.message)) : json::value(nullptr));
  o.emplace("status_code", static_cast<std::int64_t>(step.status_code));
  o.emplace("duration_seconds", seconds(step.duration_seconds));
  o.emplace("phases", phases_to_json(step.phases));
  o.emplace("http_version", string_or_null(step.http_version));
  o.emplace("body_bytes", step.body_bytes);
  o.emplace("redirects", step.redirects);
  return o;
}

}  // namespace

json::object result_to_json(const RunResult& r) {
  json::object o;
  o.reserve(17);
  o.emplace("name", r.name);
  o.emplace("kind", r.is_flow ? "flow" : "check");
  o.emplace("site", r.site);
  o.emplace("area", r.area);
  o.emplace("success", r.success);
  o.emplace("degraded", r.degraded);
  o.emplace("reason", r.success ? json::value(nullptr) : reason_or_null(r.reason));
  o.emplace("message", r.success ? json::value(nullptr) : json::value(json::string(r.message)));
  o.emplace("failed_step",
            r.is_flow && !r.success && r.failed_step ? json::value(json::string(*r.failed_step))
                                                     : json::value(nullptr));
  o.emplace("duration_seconds", seconds(r.duration_seconds));
  o.emplace("status_code", static_cast<std::int64_t>(r.status_code));
  o.emplace("phases", phases_to_json(r.phases));
  o.emplace("http_version", string_or_null(r.http_version));
  o.emplace("body_bytes", r.body_bytes);
  o.emplace("redirects", r.redirects);
  o.emplace("cert_expiry_unix", r.cert_expiry_unix ? json::value(*r.cert_expiry_unix) : json::value(nullptr));
  if (r.is_flow) {
    json::array steps;
    steps.reserve(r.steps.size());
    for (const auto& s : r.steps) steps.emplace_back(step_to_json(s));
    o.emplace("steps", std::move(steps));
  }
  return o;
}

std::string results_to_json(std::string_view probe, std::string_view region,
                            const std::vector<RunResult>& results) {
  json::object doc;
  doc.emplace("probe", probe);
  doc.emplace("region", region);
  json::array list;
  list.reserve(results.size());
  for (const auto& r : results) list.emplace_back(result_to_json(r));
  doc.emplace("results", std::move(list));
  return serialize_json(doc);
}


}  // namespace synthprobe
