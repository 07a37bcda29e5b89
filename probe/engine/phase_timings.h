#pragma once
// Reduces libcurl's cumulative timestamps into blackbox_exporter's five phases.

#include <cstdint>

#include "probe/engine/run_result.h"

namespace synthprobe {

// CURLINFO_*_TIME_T values: microseconds from the start of the transfer, already summed over redirects.
// A phase that did not happen is 0 (curl reports 0 for e.g. APPCONNECT without TLS).
struct CurlTimes {
  // Our own lookup before curl started (the resolver, probe/engine/dns_resolver.h), microseconds; curl
  // then connects to the address it was handed and its NAMELOOKUP is about 0. 0 when there was none.
  std::int64_t lookup_us = 0;
  std::int64_t namelookup_us = 0;
  std::int64_t connect_us = 0;
  std::int64_t appconnect_us = 0;
  std::int64_t starttransfer_us = 0;
  std::int64_t total_us = 0;
};

// resolve = lookup + NAMELOOKUP (curl still resolves a redirect to another host itself); connect = CONNECT - NAMELOOKUP; tls = APPCONNECT - CONNECT (0 without TLS);
// processing = STARTTRANSFER - max(CONNECT, APPCONNECT); transfer = TOTAL - STARTTRANSFER.
// A transfer that failed part-way leaves later stamps at 0: those phases stay 0, never negative.
Phases compute_phases(const CurlTimes& t);

}  // namespace synthprobe
