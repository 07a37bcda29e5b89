#pragma once
// Every transfer in flight holds file descriptors: its socket, and while a name is being resolved the
// resolver's socket pair; the loop, the listener, the state store and logs hold a few more. The default
// soft limit (often 1024) is far below max_in_flight = 1000 times that, and hitting it makes transfers
// fail as "connect" errors that look like outages of the targets.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace synthprobe {

// Raises the soft RLIMIT_NOFILE to the hard limit; returns the soft limit in force afterwards
// (nullopt: unlimited or unknown).
std::optional<std::uint64_t> raise_fd_limit();

// Descriptors `max_in_flight` concurrent transfers may need, with headroom for everything else.
std::uint64_t fds_needed(std::size_t max_in_flight);

// A warning when `limit` descriptors cannot carry `runs` concurrent runs (at most `max_in_flight`: fewer
// when only a few checks run once), else nullopt.
std::optional<std::string> fd_limit_warning(std::optional<std::uint64_t> limit, std::size_t runs,
                                            std::size_t max_in_flight);

}  // namespace synthprobe
