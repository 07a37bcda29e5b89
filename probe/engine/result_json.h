#pragma once
// Run results as JSON: the `once --format json` document (contract section 4) and the per-result object
// the daemon's API reuses.

#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "common/json_format.h"
#include "probe/engine/run_result.h"

namespace synthprobe {

// One result, keys in the contract's order: name, kind ("check" | "flow"), site, area, success, degraded,
// reason, message, failed_step, duration_seconds, status_code, phases{resolve, connect, tls, processing,
// transfer}, http_version, body_bytes, redirects, cert_expiry_unix, and for flows only `steps`, each
// {name, success, reason, message, status_code, duration_seconds, phases, http_version, body_bytes,
// redirects}. reason/message are null on success, failed_step null unless a flow failed, http_version null
// when empty, cert_expiry_unix null when unknown, a step's success null when it did not run.
// Seconds are doubles rounded to the microsecond (curl's resolution).
boost::json::object result_to_json(const RunResult& result);

// {"probe": ..., "region": ..., "results": [result_to_json(r)...]}, serialized with serialize_json.
std::string results_to_json(std::string_view probe, std::string_view region,
                            const std::vector<RunResult>& results);


}  // namespace synthprobe
