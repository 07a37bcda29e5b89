#include "config/shard.h"

#include <openssl/evp.h>

#include <charconv>

namespace synthprobe::config {

std::optional<Shard> parse_shard(std::string_view text, std::string& why) {
  const auto slash = text.find('/');
  Shard s;
  const auto number = [](std::string_view digits, std::uint32_t& out) {
    if (digits.empty()) return false;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), out);
    return ec == std::errc() && end == digits.data() + digits.size();
  };
  if (slash == std::string_view::npos || !number(text.substr(0, slash), s.index) ||
      !number(text.substr(slash + 1), s.count) || s.count < 1 || s.count > 1000 || s.index >= s.count) {
    why = "must be \"K/N\": this probe's shard K of N replicas, counted from 0 (like \"2/5\"; N from 1 to 1000)";
    return std::nullopt;
  }
  return s;
}

std::uint64_t hashmod(std::string_view name, std::uint64_t modulus) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(name.data(), name.size(), digest, &size, EVP_md5(), nullptr);
  std::uint64_t value = 0;
  for (int i = 8; i < 16; ++i) value = value << 8 | digest[i];
  return value % modulus;
}

}  // namespace synthprobe::config
