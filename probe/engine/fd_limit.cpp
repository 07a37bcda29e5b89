#include "probe/engine/fd_limit.h"

#include <sys/resource.h>

namespace synthprobe {
namespace {

constexpr std::uint64_t kPerTransfer = 3;  // the socket, and the resolver's pair while a name resolves
constexpr std::uint64_t kHeadroom = 64;    // loop, listener, store, logs, the web UI's connections

}  // namespace

std::optional<std::uint64_t> raise_fd_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return std::nullopt;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  if (limit.rlim_cur == RLIM_INFINITY) return std::nullopt;
  return static_cast<std::uint64_t>(limit.rlim_cur);
}

std::uint64_t fds_needed(std::size_t max_in_flight) { return kPerTransfer * max_in_flight + kHeadroom; }

std::optional<std::string> fd_limit_warning(std::optional<std::uint64_t> limit, std::size_t runs,
                                            std::size_t max_in_flight) {
  if (!limit) return std::nullopt;
  const std::uint64_t needed = fds_needed(runs);
  if (*limit >= needed) return std::nullopt;
  return "the open files limit (" + std::to_string(*limit) + ") is below the about " + std::to_string(needed) +
         " descriptors that " + std::to_string(runs) + " concurrent runs may need (max_in_flight = " +
         std::to_string(max_in_flight) +
         "); runs beyond it fail as connect errors: raise the hard limit (LimitNOFILE=, ulimit -Hn) or lower "
         "max_in_flight";
}

}  // namespace synthprobe
