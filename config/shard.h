#pragma once
// Splitting one config over replicas: `[probe] shard = "K/N"` keeps the checks and flows whose name
// hashes to K modulo N, the way Prometheus' `hashmod` relabelling splits targets (MD5 of the name, its
// last 8 bytes as a big-endian integer, modulo N), so N probes with shards 0/N .. N-1/N run every check
// exactly once and a check stays on its shard whatever else the config holds.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace synthprobe::config {

struct Shard {
  std::uint32_t index = 0;  // 0 .. count - 1
  std::uint32_t count = 1;
  std::string to_string() const { return std::to_string(index) + "/" + std::to_string(count); }
};

// "2/5": index 2 of 5. nullopt with `why` otherwise (count 1 to 1000, index below it).
std::optional<Shard> parse_shard(std::string_view text, std::string& why);

// MD5(name)[8..16) as a big-endian integer, modulo `modulus` (Prometheus' hashmod).
std::uint64_t hashmod(std::string_view name, std::uint64_t modulus);

inline bool in_shard(std::string_view check_name, const Shard& shard) {
  return hashmod(check_name, shard.count) == shard.index;
}

}  // namespace synthprobe::config
