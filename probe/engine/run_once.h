#pragma once
// Runs a set of checks once, concurrently on one event loop, at most `max_in_flight` at a time.

#include <memory>
#include <vector>

#include "config/config_model.h"
#include "probe/engine/run_result.h"

namespace synthprobe {

// Results come back in the order of `checks`.
std::vector<RunResult> run_once(const std::vector<std::shared_ptr<const config::Check>>& checks,
                                std::size_t max_in_flight);

}  // namespace synthprobe
