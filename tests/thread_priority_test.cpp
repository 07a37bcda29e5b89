// lower_this_thread_priority: the background threads give way to the check loop, and only they do.
#include <doctest/doctest.h>

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
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
