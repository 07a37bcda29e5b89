#pragma once
// Runs a set of checks once, concurrently on one event loop, at most `max_in_flight` at a time.

#include <memory>
#include <vector>

#include "config/config_model.h"
#include "probe/engine/dns_resolver.h"
#include "probe/engine/run_result.h"

namespace synthprobe {

// Results come back in the order of `checks`. Host names are looked up as `dns` says.
std::vector<RunResult> run_once(const std::vector<std::shared_ptr<const config::Check>>& checks,
                                std::size_t max_in_flight, const DnsResolver::Options& dns = {});

// The resolver settings of a probe's config (`[probe] dns_servers`).
DnsResolver::Options dns_options(const config::Probe& probe);

}  // namespace synthprobe
