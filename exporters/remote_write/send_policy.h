#pragma once
// What a remote-write sender does with a receiver's answer (remote-write 1.0, "Retries & Backoff"):
// 2xx delivered; 5xx, 429 and no answer at all are retried with exponential backoff; any other status
// means the receiver will never take this batch, so it is dropped (and counted).

#include <chrono>
#include <optional>

namespace synthprobe::remote_write {

enum class SendOutcome { delivered, retry, rejected };

// `status`: nullopt when there was no HTTP answer (refused, timed out, reset).
SendOutcome classify_answer(std::optional<int> status);

// The wait after a failed try: `previous` doubled (min_backoff after a success), at most `max`; a
// receiver's Retry-After is honoured when longer, up to kMaxRetryAfter.
inline constexpr std::chrono::milliseconds kMaxRetryAfter = std::chrono::minutes(5);
std::chrono::milliseconds next_backoff(std::chrono::milliseconds previous, std::chrono::milliseconds min,
                                       std::chrono::milliseconds max);
std::chrono::milliseconds retry_wait(std::chrono::milliseconds backoff, std::optional<std::chrono::seconds> retry_after);

}  // namespace synthprobe::remote_write
