#include "probe/daemon/heartbeats.h"

#include "probe/engine/http_post.h"

namespace synthprobe {

void Heartbeats::configure(const std::vector<config::Heartbeat>& heartbeats, Clock::time_point now) {
  heartbeats_ = heartbeats;
  next_.assign(heartbeats_.size(), now);
  runs_at_ping_.assign(heartbeats_.size(), runs_);
}

void Heartbeats::tick(Clock::time_point now) {
  for (std::size_t i = 0; i < heartbeats_.size(); ++i) {
    if (now < next_[i]) continue;
    next_[i] = now + heartbeats_[i].interval;
    if (runs_at_ping_[i] == runs_) continue;  // nothing ran: stay silent so the dead man's switch fires
    runs_at_ping_[i] = runs_;
    http_post(multi_, {"GET", heartbeats_[i].url, {}, {}, std::chrono::seconds(10)}, [this](HttpPostResult r) {
      if (!r.status || *r.status >= 300)
        logger_.log(LogLevel::warn, "heartbeat failed", {{"detail", r.status ? "HTTP " + std::to_string(*r.status) : r.error}});
    });
  }
}

}  // namespace synthprobe
