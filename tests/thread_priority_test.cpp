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

// `change` run on a thread of its own: what it returned, and that thread's nice value around it.
struct Changed {
  bool granted = false;
  int nice_before = 0;
  int nice_after = 0;
};
template <typename Change>
Changed on_new_thread(Change change) {
  Changed c;
  std::thread t([&] {
    c.nice_before = nice_of(this_tid());
    c.granted = change();
    c.nice_after = nice_of(this_tid());
  });
  t.join();
  return c;
}
}  // namespace

TEST_CASE("lowers the calling thread's priority and leaves the others alone") {
  const int main_before = nice_of(this_tid());
  const Changed c = on_new_thread([] { return lower_this_thread_priority(kBackgroundNice); });
  REQUIRE(c.granted);
  // Nice values stop at 19.
  CHECK(c.nice_after == std::min(c.nice_before + kBackgroundNice, 19));
  CHECK(nice_of(this_tid()) == main_before);
}

TEST_CASE("the check loop's short slices: asked for on this thread only, the nice value kept") {
  std::chrono::nanoseconds asked{};
  const Changed c = on_new_thread([&] {
    const bool granted = request_short_slices(kLoopSlice);
    asked = this_thread_slice();
    return granted;
  });
  REQUIRE(c.granted);
  CHECK(c.nice_after == c.nice_before);
  const std::chrono::nanoseconds other = this_thread_slice();
  // Kernels before 6.12 accept the request and report no slice; from 6.12 on it reads back as asked.
  if (asked.count() != 0) {
    CHECK(asked == kLoopSlice);
    CHECK(other != asked);
  }
}
