// lower_this_thread_priority: the background threads give way to the check loop, and only they do;
// request_short_slices: the loop's own thread asks for short slices.
#include <doctest/doctest.h>

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "common/thread_priority.h"

using namespace synthprobe;

namespace {
int nice_of(id_t tid) { return getpriority(PRIO_PROCESS, tid); }
id_t this_tid() { return static_cast<id_t>(syscall(SYS_gettid)); }
}  // namespace

TEST_CASE("lowers the calling thread's priority and leaves the others alone") {
  const int main_before = nice_of(this_tid());
  int before = 0, after = 0;
  bool lowered = false;
  std::thread background([&] {
    before = nice_of(this_tid());
    lowered = lower_this_thread_priority(kBackgroundNice);
    after = nice_of(this_tid());
  });
  background.join();
  REQUIRE(lowered);
  // Nice values stop at 19.
  CHECK(after == std::min(before + kBackgroundNice, 19));
  CHECK(nice_of(this_tid()) == main_before);
}

TEST_CASE("the check loop's short slices: asked for on this thread only, the nice value kept") {
  std::chrono::nanoseconds asked{}, other{};
  int nice_before = 0, nice_after = 0;
  bool granted = false;
  std::thread loop([&] {
    nice_before = nice_of(this_tid());
    granted = request_short_slices(kLoopSlice);
    nice_after = nice_of(this_tid());
    asked = this_thread_slice();
  });
  loop.join();
  REQUIRE(granted);
  CHECK(nice_after == nice_before);
  other = this_thread_slice();
  // Kernels before 6.12 accept the request and report no slice; from 6.12 on it reads back as asked.
  if (asked.count() != 0) {
    CHECK(asked == kLoopSlice);
    CHECK(other != asked);
  }
}
