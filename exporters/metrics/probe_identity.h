#pragma once
// Who exports a series: every series of the probe carries `probe` and `region` (contract section 6), so
// one Prometheus scraping several regional probes can count regions (the quorum rules) and tell probes
// apart. Both are fixed for the life of the process: a reload that changes them is logged and waits for a
// restart, like a changed `listen`.

#include <string>

#include <prometheus/labels.h>

namespace synthprobe {

struct ProbeIdentity {
  std::string probe;
  std::string region;

  prometheus::Labels labels() const { return {{"probe", probe}, {"region", region}}; }
};

}  // namespace synthprobe
