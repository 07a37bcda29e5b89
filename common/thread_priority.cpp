#include "common/thread_priority.h"

#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

namespace synthprobe {

bool lower_this_thread_priority(int nice_increment) {
  // On Linux PRIO_PROCESS with a thread id sets that thread's nice value alone.
  const auto tid = static_cast<id_t>(syscall(SYS_gettid));
  errno = 0;
  const int current = getpriority(PRIO_PROCESS, tid);
  if (current == -1 && errno != 0) return false;
  return setpriority(PRIO_PROCESS, tid, current + nice_increment) == 0;
}

namespace {

// The kernel's struct sched_attr, first version (48 bytes, the one every kernel since 3.14 takes): glibc
// 2.36 has neither the struct nor a wrapper, and <linux/sched/types.h> clashes with glibc's <sched.h>.
struct sched_attr {
  std::uint32_t size = sizeof(sched_attr);
  std::uint32_t sched_policy = 0;
  std::uint64_t sched_flags = 0;
  std::int32_t sched_nice = 0;
  std::uint32_t sched_priority = 0;
  std::uint64_t sched_runtime = 0;
  std::uint64_t sched_deadline = 0;
  std::uint64_t sched_period = 0;
};
static_assert(sizeof(sched_attr) == 48);

bool read_attr(sched_attr& attr) { return syscall(SYS_sched_getattr, 0, &attr, sizeof(attr), 0) == 0; }
}  // namespace

bool request_short_slices(std::chrono::microseconds slice) {
  sched_attr attr{};
  if (!read_attr(attr)) return false;
  if (attr.sched_policy != SCHED_OTHER) return false;  // a real-time or batch policy set by the operator stays
  attr.size = sizeof(attr);
  attr.sched_flags = 0;  // the nice value read above is kept
  attr.sched_runtime = static_cast<std::uint64_t>(std::chrono::nanoseconds(slice).count());
  return syscall(SYS_sched_setattr, 0, &attr, 0) == 0;
}

std::chrono::nanoseconds this_thread_slice() {
  sched_attr attr{};
  if (!read_attr(attr) || attr.sched_policy != SCHED_OTHER) return {};
  return std::chrono::nanoseconds(attr.sched_runtime);
}

}  // namespace synthprobe
