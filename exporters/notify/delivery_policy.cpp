#include "exporters/notify/delivery_policy.h"

#include <algorithm>
#include <cmath>

namespace synthprobe {

std::string_view to_string(DeliveryResult result) {
  switch (result) {
    case DeliveryResult::delivered: return "delivered";
    case DeliveryResult::retry: return "retry";
    case DeliveryResult::permanent_failure: return "permanent_failure";
    case DeliveryResult::expired: return "expired";
  }
  return "retry";
}

DeliveryResult classify(int http_status) {
  if (http_status < 100 || http_status > 599) return DeliveryResult::retry;
  if (http_status >= 200 && http_status <= 299) return DeliveryResult::delivered;
  if (http_status == 408 || http_status == 429 || http_status >= 500) return DeliveryResult::retry;
  return DeliveryResult::permanent_failure;
}

DeliveryResult classify(std::optional<int> http_status) {
  return http_status ? classify(*http_status) : DeliveryResult::retry;
}

DeliveryResult combine(std::span<const DeliveryResult> results) {
  auto any = [&](DeliveryResult r) { return std::find(results.begin(), results.end(), r) != results.end(); };
  if (any(DeliveryResult::retry)) return DeliveryResult::retry;
  if (any(DeliveryResult::permanent_failure)) return DeliveryResult::permanent_failure;
  return DeliveryResult::delivered;
}

std::chrono::milliseconds backoff_ceiling(int failed_attempts) {
  // 2^9 s already passes the cap: stop doubling before anything can overflow.
  const int doublings = std::clamp(failed_attempts - 1, 0, 16);
  return std::min(kBackoffFirst * (std::int64_t{1} << doublings), kBackoffCap);
}

std::chrono::milliseconds backoff(int failed_attempts, double unit_random) {
  if (!(unit_random >= 0.0)) unit_random = 0.0;  // also NaN
  unit_random = std::min(unit_random, 1.0);
  const auto ceiling = backoff_ceiling(failed_attempts);
  const auto half = ceiling / 2;
  const auto jitter = std::chrono::milliseconds(
      static_cast<std::int64_t>(std::floor(static_cast<double>((ceiling - half).count()) * unit_random)));
  return std::min(half + jitter, ceiling);
}

}  // namespace synthprobe

namespace synthprobe {

std::chrono::milliseconds retry_delay(int failed_attempts, double unit_random,
                                      std::optional<std::chrono::seconds> retry_after) {
  const std::chrono::milliseconds ours = backoff(failed_attempts, unit_random);
  if (!retry_after) return ours;
  const auto asked = std::min<std::chrono::milliseconds>(*retry_after, kRetryAfterCap);
  return std::max(ours, asked);
}

}  // namespace synthprobe
