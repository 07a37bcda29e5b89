// ParkedWrites: the check loop's status writes never wait for the HTTP thread's lock, and land in order.
#include <doctest/doctest.h>

#include <chrono>
#include <future>
#include <mutex>
#include <utility>
#include <vector>

#include "probe/daemon/parked_writes.h"

using namespace synthprobe;
using namespace std::chrono_literals;

namespace {

// Holds the mutex on another thread until release() or its end (as the HTTP thread does while copying
// rows). Declared after the futures of writes that may wait for it, so it lets go before they are joined
// and a failing test ends instead of hanging.
struct Reader {
  std::mutex& mutex;
  std::promise<void> held, done;
  std::future<void> thread;
  bool released = false;
  explicit Reader(std::mutex& m) : mutex(m) {
    thread = std::async(std::launch::async, [this, release = done.get_future()]() mutable {
      std::lock_guard lock(mutex);
      held.set_value();
      release.wait();
    });
    held.get_future().wait();
  }
  ~Reader() { release(); }
  void release() {
    if (std::exchange(released, true)) return;
    done.set_value();
    thread.wait();
  }
};

}  // namespace

TEST_CASE("a free lock: the write lands at once") {
  std::mutex m;
  std::vector<int> landed;
  ParkedWrites<int> writes(m, 8);
  CHECK_FALSE(writes.write(1, [&](int&& v) { landed.push_back(v); }));
  CHECK(landed == std::vector<int>{1});
  CHECK(writes.parked().empty());
}

TEST_CASE("a held lock: writes are parked without waiting, and land in order with the next free write") {
  std::mutex m;
  std::vector<int> landed;
  const auto land = [&](int&& v) { landed.push_back(v); };
  ParkedWrites<int> writes(m, 8);
  std::future<void> parked;
  Reader reader(m);
  // On another thread, so a write that waited for the lock would show as a timeout instead of a hang.
  parked = std::async(std::launch::async, [&] {
    writes.write(1, land);
    writes.write(2, land);
    writes.flush_if_free(land);  // still held: nothing lands
  });
  REQUIRE(parked.wait_for(5s) == std::future_status::ready);
  CHECK(landed.empty());
  CHECK(writes.parked() == std::vector<int>{1, 2});
  reader.release();
  writes.write(3, land);
  CHECK(landed == std::vector<int>{1, 2, 3});
  CHECK(writes.parked().empty());
}

TEST_CASE("parked writes land with a flush once the lock is free") {
  std::mutex m;
  std::vector<int> landed;
  const auto land = [&](int&& v) { landed.push_back(v); };
  ParkedWrites<int> writes(m, 8);
  {
    Reader reader(m);
    CHECK(writes.write(7, land));
    reader.release();
  }
  CHECK(landed.empty());
  writes.flush_if_free(land);
  CHECK(landed == std::vector<int>{7});
}

TEST_CASE("past max_parked a write waits for the lock rather than grow") {
  std::mutex m;
  std::vector<int> landed;
  const auto land = [&](int&& v) { landed.push_back(v); };
  ParkedWrites<int> writes(m, 2);
  std::future<void> third;
  Reader reader(m);
  writes.write(1, land);
  writes.write(2, land);
  third = std::async(std::launch::async, [&] { writes.write(3, land); });
  CHECK(third.wait_for(200ms) == std::future_status::timeout);  // waiting for the reader
  reader.release();
  REQUIRE(third.wait_for(5s) == std::future_status::ready);
  CHECK(landed == std::vector<int>{1, 2, 3});
}
