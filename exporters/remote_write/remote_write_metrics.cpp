#include "exporters/remote_write/remote_write_metrics.h"

namespace synthprobe::remote_write {

RemoteWriteMetrics::RemoteWriteMetrics(prometheus::Registry& registry, const ProbeIdentity& who)
    : samples_(prometheus::BuildCounter()
                   .Name("synthprobe_remote_write_samples_total")
                   .Help("Samples for a remote_write receiver by result: sent (accepted), rejected (a 4xx other "
                         "than 429: never retried), dropped (queue full, reload or shutdown)")
                   .Labels(who.labels())
                   .Register(registry)),
      retries_(prometheus::BuildCounter()
                   .Name("synthprobe_remote_write_retries_total")
                   .Help("Requests to a remote_write receiver tried again after a 5xx, a 429 or no answer")
                   .Labels(who.labels())
                   .Register(registry)),
      queue_(prometheus::BuildGauge()
                 .Name("synthprobe_remote_write_queue_samples")
                 .Help("Samples waiting to be sent to a remote_write receiver")
                 .Labels(who.labels())
                 .Register(registry)),
      last_sent_(prometheus::BuildGauge()
                     .Name("synthprobe_remote_write_last_sent_timestamp_seconds")
                     .Help("When a remote_write receiver last accepted a request, Unix seconds")
                     .Labels(who.labels())
                     .Register(registry)) {}

void RemoteWriteMetrics::add_sent(const std::string& remote, std::size_t samples, double now_unix_seconds) {
  samples_.Add({{"remote", remote}, {"result", "sent"}}).Increment(static_cast<double>(samples));
  last_sent_.Add({{"remote", remote}}).Set(now_unix_seconds);
}

void RemoteWriteMetrics::add_rejected(const std::string& remote, std::size_t samples) {
  samples_.Add({{"remote", remote}, {"result", "rejected"}}).Increment(static_cast<double>(samples));
}

void RemoteWriteMetrics::add_dropped(const std::string& remote, std::size_t samples) {
  samples_.Add({{"remote", remote}, {"result", "dropped"}}).Increment(static_cast<double>(samples));
}

void RemoteWriteMetrics::add_retry(const std::string& remote) { retries_.Add({{"remote", remote}}).Increment(); }

void RemoteWriteMetrics::forget(const std::string& remote) {
  for (const char* result : {"sent", "rejected", "dropped"})
    samples_.Remove(&samples_.Add({{"remote", remote}, {"result", result}}));
  retries_.Remove(&retries_.Add({{"remote", remote}}));
  queue_.Remove(&queue_.Add({{"remote", remote}}));
  last_sent_.Remove(&last_sent_.Add({{"remote", remote}}));
}

void RemoteWriteMetrics::set_queue(const std::string& remote, std::size_t samples) {
  queue_.Add({{"remote", remote}}).Set(static_cast<double>(samples));
}

}  // namespace synthprobe::remote_write
