#include "probe/engine/epoll_set.h"

#include <sys/epoll.h>
#include <unistd.h>

#include <boost/asio/post.hpp>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace synthprobe {
namespace net = boost::asio;

namespace {
// Events taken per epoll_wait; a fuller wake-up goes round again through the loop, so other work (timers,
// the HTTP server's posts) never waits behind a long queue of sockets.
constexpr int kBatch = 256;
}  // namespace

EpollSet::EpollSet(net::io_context& io, Ready ready, void* context)
    : io_(io), descriptor_(io), ready_(ready), context_(context) {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) {
    std::fprintf(stderr, "level=error msg=\"epoll_create1 failed: %s\"\n", std::strerror(errno));
    std::abort();
  }
  boost::system::error_code ec;
  descriptor_.assign(epoll_fd_, ec);
  if (ec) {
    std::fprintf(stderr, "level=error msg=\"cannot watch the epoll set: %s\"\n", ec.message().c_str());
    std::abort();
  }
}

EpollSet::~EpollSet() {
  boost::system::error_code ignored;
  descriptor_.close(ignored);  // closes the epoll descriptor; the pending wait ends as aborted
}

int EpollSet::watch(int fd, std::uint32_t events, std::uint64_t key, bool in_set) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = key;
  const int first = in_set ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
  if (::epoll_ctl(epoll_fd_, first, fd, &ev) == 0) return 0;
  // MOD of a socket no longer in the set (closed, its number reused) or ADD of one still in it.
  if (errno != (in_set ? ENOENT : EEXIST)) return errno;
  if (::epoll_ctl(epoll_fd_, in_set ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &ev) == 0) return 0;
  return errno;
}

int EpollSet::unwatch(int fd) {
  epoll_event ev{};
  return ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, &ev) == 0 ? 0 : errno;
}

void EpollSet::set_active(bool active) {
  active_ = active;
  if (active) return arm();
  if (!waiting_) return;
  waiting_ = false;
  ++wait_generation_;
  boost::system::error_code ignored;
  descriptor_.cancel(ignored);
}

// Asio re-arms its registration of the set with EPOLL_CTL_MOD on every wait, which makes the kernel look
// at the set again: members still ready (level-triggered) report it at once.
void EpollSet::arm() {
  if (!active_ || waiting_ || draining_) return;
  waiting_ = true;
  descriptor_.async_wait(
      net::posix::stream_descriptor::wait_read,
      [this, alive = std::weak_ptr<int>(alive_), generation = wait_generation_](boost::system::error_code ec) {
        if (alive.expired() || generation != wait_generation_) return;  // gone, or cancelled
        waiting_ = false;
        if (ec)  // unexpected: say so, and look at the set anyway (drain() waits again), so no transfer stalls
          std::fprintf(stderr, "level=error msg=\"waiting for the socket set failed: %s\"\n", ec.message().c_str());
        drain();
      });
}

void EpollSet::drain() {
  draining_ = true;
  epoll_event events[kBatch];
  const int n = ::epoll_wait(epoll_fd_, events, kBatch, 0);
  if (n < 0 && errno != EINTR)
    std::fprintf(stderr, "level=error msg=\"epoll_wait on the socket set failed: %s\"\n", std::strerror(errno));
  std::weak_ptr<int> alive = alive_;
  for (int i = 0; i < n; ++i) {
    ready_(context_, events[i].data.u64, events[i].events);
    if (alive.expired()) return;  // the owner went away inside the callback
  }
  if (n == kBatch) {
    net::post(io_, [this, alive] {
      if (alive.expired()) return;
      if (active_) return drain();
      draining_ = false;
    });
    return;
  }
  draining_ = false;
  arm();
}

}  // namespace synthprobe
