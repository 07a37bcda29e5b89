// The check loop's epoll set for curl's sockets: level-triggered reports with the caller's key, changes of
// interest, sockets taken out, and a set that leaves the loop free to return when it is not active.
#include <doctest/doctest.h>

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <functional>
#include <vector>

#include "probe/engine/epoll_set.h"

using namespace synthprobe;
using namespace std::chrono_literals;

namespace {

struct Pair {
  int a = -1;
  int b = -1;
  Pair() {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0);
    a = fds[0];
    b = fds[1];
  }
  ~Pair() {
    if (a >= 0) ::close(a);
    if (b >= 0) ::close(b);
  }
};

struct Seen {
  std::uint64_t key;
  std::uint32_t events;
};

struct Recorder {
  std::vector<Seen> seen;
  std::function<void(const Seen&)> then;
  static void ready(void* self, std::uint64_t key, std::uint32_t events) {
    auto* r = static_cast<Recorder*>(self);
    r->seen.push_back({key, events});
    if (r->then) r->then(r->seen.back());
  }
};

// Runs the loop for `d` of wall time (a timer keeps it busy), so a set that reports nothing shows it.
void run_for(boost::asio::io_context& io, std::chrono::milliseconds d) {
  boost::asio::steady_timer stop(io, d);
  stop.async_wait([&](boost::system::error_code) { io.stop(); });
  io.restart();
  io.run();
}

// A loop and a set on it whose reports are recorded; the set starts inactive.
struct Loop {
  boost::asio::io_context io;
  Recorder r;
  EpollSet set{io, &Recorder::ready, &r};
};

}  // namespace

TEST_CASE_FIXTURE(Loop, "a ready socket is reported with its key, again and again while it stays ready") {
  set.set_active(true);
  Pair p;
  REQUIRE(set.watch(p.a, EPOLLIN, 42, false) == 0);
  run_for(io, 20ms);
  CHECK(r.seen.empty());  // nothing to read yet

  REQUIRE(::write(p.b, "x", 1) == 1);
  r.then = [&](const Seen&) {
    if (r.seen.size() == 3) io.stop();  // not read: level-triggered, so it comes back
  };
  run_for(io, 2000ms);
  REQUIRE(r.seen.size() >= 3);
  for (const auto& s : r.seen) {
    CHECK(s.key == 42);
    CHECK((s.events & EPOLLIN));
  }

  // Read, it stops.
  char c;
  REQUIRE(::read(p.a, &c, 1) == 1);
  r.seen.clear();
  r.then = nullptr;
  run_for(io, 20ms);
  CHECK(r.seen.empty());
}

TEST_CASE_FIXTURE(Loop, "interest changes and removal take effect; a wrong belief about membership is mended") {
  set.set_active(true);
  Pair p;
  // Said to be in the set when it is not: added anyway.
  REQUIRE(set.watch(p.a, EPOLLOUT, 7, true) == 0);
  r.then = [&](const Seen&) { io.stop(); };
  run_for(io, 2000ms);
  REQUIRE(r.seen.size() == 1);
  CHECK(r.seen[0].key == 7);
  CHECK((r.seen[0].events & EPOLLOUT));

  // Said not to be in the set when it is: changed anyway, now for reading only (nothing to read).
  REQUIRE(set.watch(p.a, EPOLLIN, 8, false) == 0);
  r.seen.clear();
  r.then = nullptr;
  run_for(io, 20ms);
  CHECK(r.seen.empty());

  REQUIRE(::write(p.b, "y", 1) == 1);
  REQUIRE(set.unwatch(p.a) == 0);
  run_for(io, 20ms);
  CHECK(r.seen.empty());
  CHECK(set.unwatch(p.a) == ENOENT);
  CHECK(set.watch(-1, EPOLLIN, 9, false) == EBADF);
}

TEST_CASE_FIXTURE(Loop, "a socket closed in the callback, and an inactive set that lets the loop return") {
  Pair p;
  REQUIRE(set.watch(p.a, EPOLLOUT, 1, false) == 0);
  // Not active: nothing of the set is pending, run() returns at once though the socket is ready.
  io.run();
  CHECK(r.seen.empty());

  set.set_active(true);
  r.then = [&](const Seen&) {
    ::close(p.a);  // the close takes it out of the set with no call
    p.a = -1;
  };
  run_for(io, 30ms);
  CHECK(r.seen.size() == 1);

  // Turned off while a wait is pending: the loop has nothing left and returns.
  set.set_active(false);
  io.restart();
  io.run();
  CHECK(r.seen.size() == 1);
}
