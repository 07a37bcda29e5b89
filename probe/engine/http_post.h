#pragma once
// One outgoing POST on the check loop's CurlMulti, for notifications and heartbeats: never blocks
// the loop, always ends with a status code or a transport error.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "probe/engine/curl_multi.h"

namespace synthprobe {

struct HttpPostResult {
  std::optional<int> status;  // nullopt: no HTTP answer (network error, timeout)
  std::string error;          // curl's message when status is nullopt
  std::string body;           // the answer's first kMaxBody bytes (a receiver's error text)
  // The answer's Retry-After (seconds, or an HTTP date turned into seconds from now), when it sent one.
  std::optional<std::chrono::seconds> retry_after;
  static constexpr std::size_t kMaxBody = 1024;
};

struct HttpPostRequest {
  std::string method = "POST";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds timeout{10000};
};

// Starts the request; `done` runs on the io_context's thread when it ends.
void http_post(CurlMulti& multi, HttpPostRequest request, std::function<void(HttpPostResult)> done);

}  // namespace synthprobe
