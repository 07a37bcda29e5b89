#pragma once
// What a notification attempt's answer means, and how long to wait before the next try: pure functions,
// no clock and no random source of their own.

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace synthprobe {

// Also the `result` label of synthprobe_notifications_total.
enum class DeliveryResult { delivered, retry, permanent_failure, expired };
std::string_view to_string(DeliveryResult result);

// An HTTP answer: 2xx delivered; 408, 429 and 5xx retry (the receiver may accept it later); any other
// 4xx permanent_failure (a bad key or payload does not heal by itself), as are 1xx and 3xx (redirects
// are not followed: a moved endpoint is a config error). A status outside 100-599 is no HTTP answer at
// all and retries.
DeliveryResult classify(int http_status);
// nullopt: no answer (network error, timeout, TLS failure): retry.
DeliveryResult classify(std::optional<int> http_status);

// An event sent as several requests: retry while any asks for it (resending the delivered ones is
// harmless, receivers deduplicate), else permanent_failure when any failed so, else delivered.
DeliveryResult combine(std::span<const DeliveryResult> results);

inline constexpr std::chrono::milliseconds kBackoffFirst{std::chrono::seconds(1)};
inline constexpr std::chrono::milliseconds kBackoffCap{std::chrono::minutes(5)};

// The ceiling for the retry after `failed_attempts` failures (1 or more): 1s, 2s, 4s, ... capped at 5m.
std::chrono::milliseconds backoff_ceiling(int failed_attempts);

inline constexpr std::chrono::milliseconds kRetryAfterCap{std::chrono::hours(1)};

// The wait before the next attempt when the receiver said how long to wait (Retry-After: Slack and
// PagerDuty ask for it when rate limiting, and may disable a client that keeps sending): at least that,
// at most an hour, never less than the backoff.
std::chrono::milliseconds retry_delay(int failed_attempts, double unit_random,
                                      std::optional<std::chrono::seconds> retry_after);

// The wait before the next attempt, "equal jitter": ceiling/2 + unit_random * ceiling/2, so retries of
// many events spread out yet never come sooner than half the ceiling. unit_random in [0, 1) comes from the
// caller's random source (clamped into that range).
std::chrono::milliseconds backoff(int failed_attempts, double unit_random);

}  // namespace synthprobe
