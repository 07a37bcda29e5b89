#pragma once
// Prometheus remote_write for probes that cannot be scraped: every receiver's `interval`, the whole
// /metrics exposition is read (the same text a scrape gets, so the series can never differ), stamped with
// one timestamp, encoded in batches and sent in order, one request at a time per receiver. Answers are
// handled as send_policy.h says; a series that was in the previous sample and is not any more gets a
// stale marker, as a scrape would give it. Batches wait in a queue bounded in samples (send_queue.h).
// Timestamps only go forward per receiver, even when the wall clock steps back.
//
// Everything runs on the service's own thread (its own io_context and CurlMulti): reading the exposition
// is O(series) and must never run on the check loop.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/log.h"
#include "config/config_model.h"
#include "exporters/remote_write/remote_write_metrics.h"

namespace synthprobe::remote_write {

class RemoteWriteService {
 public:
  // Appends the next whole lines of an exposition to `out`; false once it is complete.
  using PieceSource = std::function<bool(std::string& out)>;
  // Starts reading a new exposition (called on the service's thread).
  using OpenExposition = std::function<PieceSource()>;

  // `metrics` and `logger` must outlive the service.
  RemoteWriteService(OpenExposition open, RemoteWriteMetrics& metrics, const Logger& logger);
  ~RemoteWriteService();
  RemoteWriteService(const RemoteWriteService&) = delete;
  RemoteWriteService& operator=(const RemoteWriteService&) = delete;

  // Installs the receivers of a (re)loaded config; from any thread. A receiver keeps its queue, its
  // request in flight and its series while its name and URL stay (other settings apply from now on); a
  // removed one drops what it had not sent (counted and logged) and its metrics go. The thread starts
  // with the first receiver.
  void configure(const std::vector<config::RemoteWrite>& remotes);

  // Takes one last sample and sends what is queued for at most kShutdownFlush; what is left then is
  // counted as dropped and logged. Blocks until the thread has ended. Idempotent.
  static constexpr std::chrono::seconds kShutdownFlush{5};
  void stop();

  // Batches whose samples are older than this are dropped, not sent: receivers refuse samples that old
  // (Prometheus' head block takes about the last hour), and a receiver back after a long outage should
  // get the present first.
  static constexpr std::chrono::hours kMaxSampleAge{1};

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace synthprobe::remote_write
