#pragma once
// How remote_write is doing, per receiver (`remote` label): samples sent, rejected by the receiver and
// dropped by the probe (queue full, reload, shutdown), retries, the queue's length and the last delivery.
// prometheus-cpp families on the daemon's registry; every method is thread-safe.

#include <cstddef>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "exporters/metrics/probe_identity.h"

namespace synthprobe::remote_write {

class RemoteWriteMetrics {
 public:
  RemoteWriteMetrics(prometheus::Registry& registry, const ProbeIdentity& who);

  void add_sent(const std::string& remote, std::size_t samples, double now_unix_seconds);
  void add_rejected(const std::string& remote, std::size_t samples);
  void add_dropped(const std::string& remote, std::size_t samples);
  void add_retry(const std::string& remote);
  void set_queue(const std::string& remote, std::size_t samples);
  // A receiver a reload removed: its series go, so no alert watches a receiver that is not there.
  void forget(const std::string& remote);

 private:
  prometheus::Family<prometheus::Counter>& samples_;
  prometheus::Family<prometheus::Counter>& retries_;
  prometheus::Family<prometheus::Gauge>& queue_;
  prometheus::Family<prometheus::Gauge>& last_sent_;
};

}  // namespace synthprobe::remote_write
