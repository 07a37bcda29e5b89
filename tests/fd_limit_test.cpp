// The open files limit: raised to the hard limit at start, and a warning when max_in_flight cannot fit.
#include <doctest/doctest.h>

#include <sys/resource.h>

#include "probe/engine/fd_limit.h"

using namespace synthprobe;

TEST_CASE("the soft limit is raised to the hard limit") {
  rlimit original{};
  REQUIRE(getrlimit(RLIMIT_NOFILE, &original) == 0);
  if (original.rlim_max == RLIM_INFINITY || original.rlim_max < 64) {
    MESSAGE("skipped: hard limit unusable here");
    return;
  }
  rlimit lowered = original;
  lowered.rlim_cur = 32;
  REQUIRE(setrlimit(RLIMIT_NOFILE, &lowered) == 0);
  const auto now = raise_fd_limit();
  REQUIRE(now.has_value());
  CHECK(*now == original.rlim_max);
  rlimit after{};
  REQUIRE(getrlimit(RLIMIT_NOFILE, &after) == 0);
  CHECK(after.rlim_cur == original.rlim_max);
}

TEST_CASE("a warning only when max_in_flight cannot fit") {
  CHECK(fds_needed(1000) > 2000);
  CHECK(fds_needed(1000) < 4000);
  CHECK_FALSE(fd_limit_warning(1'048'576, 1000, 1000).has_value());
  CHECK_FALSE(fd_limit_warning(std::nullopt, 1000, 1000).has_value());  // unlimited
  const auto warning = fd_limit_warning(1024, 1000, 1000);
  REQUIRE(warning.has_value());
  CHECK(warning->find("open files limit (1024)") != std::string::npos);
  CHECK(warning->find("1000 concurrent runs") != std::string::npos);
  CHECK(warning->find("max_in_flight = 1000") != std::string::npos);
  CHECK_FALSE(fd_limit_warning(1024, 100, 1000).has_value());  // once, with only 100 checks
}
