#include "exporters/remote_write/send_policy.h"

#include <algorithm>

namespace synthprobe::remote_write {

SendOutcome classify_answer(std::optional<int> status) {
  if (!status) return SendOutcome::retry;
  if (*status >= 200 && *status < 300) return SendOutcome::delivered;
  if (*status == 429 || *status >= 500) return SendOutcome::retry;
  return SendOutcome::rejected;
}

std::chrono::milliseconds next_backoff(std::chrono::milliseconds previous, std::chrono::milliseconds min,
                                       std::chrono::milliseconds max) {
  if (previous < min) return std::min(min, max);
  return previous >= max / 2 ? max : previous * 2;
}

std::chrono::milliseconds retry_wait(std::chrono::milliseconds backoff, std::optional<std::chrono::seconds> retry_after) {
  if (!retry_after) return backoff;
  return std::max(backoff, std::min<std::chrono::milliseconds>(*retry_after, kMaxRetryAfter));
}

}  // namespace synthprobe::remote_write
