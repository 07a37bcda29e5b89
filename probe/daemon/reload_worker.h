#pragma once
// Reads and validates the config file off the check loop (parsing 100,000 checks takes most of a second):
// one worker thread, one request at a time; the result is handed back on the loop's io_context, where the
// daemon swaps it in. Requests that arrive while one is running join it.

#include <boost/asio/io_context.hpp>

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "config/config_loader.h"

namespace synthprobe {

class ReloadWorker {
 public:
  using Done = std::function<void(config::LoadResult&)>;

  ReloadWorker(boost::asio::io_context& loop, std::string config_path);
  ~ReloadWorker();
  ReloadWorker(const ReloadWorker&) = delete;
  ReloadWorker& operator=(const ReloadWorker&) = delete;

  // Loads the file on the worker, then runs `done` on the loop. Thread-safe.
  void request(Done done);
  // Joins the worker; requests not started yet are dropped (their `done` never runs).
  void stop();

 private:
  void run();

  boost::asio::io_context& loop_;
  const std::string path_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<Done> waiting_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace synthprobe
