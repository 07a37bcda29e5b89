#pragma once
// `synthprobe run`: keeps every check firing on its interval, serves /metrics and the status API, opens and
// resolves incidents, reloads on SIGHUP or POST /-/reload, and drains in-flight runs on SIGTERM/SIGINT.
//
// Threads: the check loop (one io_context: curl, scheduler, results, incidents, notifications); the HTTP
// server's thread, which renders from snapshots the loop publishes; the state store's writer (all disk
// I/O); the reload worker (config parsing). The loop never waits for the disk or for a page.

#include <boost/asio/io_context.hpp>

#include <functional>
#include <memory>
#include <string>

#include "config/config_model.h"

namespace synthprobe {

class Daemon {
 public:
  // `config` was loaded from `config_path`, which reloads read again.
  Daemon(boost::asio::io_context& io, std::string config_path, config::Config config);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Opens the state store, binds the HTTP server and schedules the first round. False with `error` when
  // it cannot listen.
  bool start(std::string& error);
  // Stop scheduling, let in-flight runs finish (bounded by their timeouts), save, then stop the HTTP
  // server. `io.run()` returns once that is done.
  void drain();
  // Re-reads the config file on the reload worker and swaps it in on the loop; `done` (may be empty) gets
  // "" on success, else the errors (one per line). Thread-safe.
  void request_reload(std::function<void(const std::string& errors)> done);

  unsigned short http_port() const;
  // /api/status and /api/incidents as JSON, rendered now. Thread-safe.
  std::string status_json() const;
  std::string incidents_json() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Loads the config, runs the daemon until SIGTERM/SIGINT; returns the process exit code.
int run_daemon(const std::string& config_path);

}  // namespace synthprobe
