#include "probe/daemon/reload_worker.h"

#include <boost/asio/post.hpp>

#include <memory>

namespace synthprobe {

ReloadWorker::ReloadWorker(boost::asio::io_context& loop, std::string config_path)
    : loop_(loop), path_(std::move(config_path)), thread_([this] { run(); }) {}

ReloadWorker::~ReloadWorker() { stop(); }

void ReloadWorker::request(Done done) {
  std::lock_guard lock(mutex_);
  if (stopping_) return;
  waiting_.push_back(std::move(done));
  wake_.notify_one();
}

void ReloadWorker::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    waiting_.clear();
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void ReloadWorker::run() {
  for (;;) {
    std::vector<Done> batch;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !waiting_.empty(); });
      if (stopping_) return;
      batch = std::move(waiting_);
      waiting_.clear();
    }
    // Everyone who asked before this read began gets its result: it is at least as new as their request.
    auto loaded = std::make_shared<config::LoadResult>(config::load_config_file(path_));
    boost::asio::post(loop_, [loaded, batch = std::move(batch)] {
      for (const auto& done : batch) done(*loaded);
    });
  }
}

}  // namespace synthprobe
