#include "probe/engine/http_post.h"

#include <algorithm>
#include <ctime>

namespace synthprobe {
namespace {

// Keeps the start of the answer (receivers explain a refusal there) and drops the rest.
std::size_t keep_start(char* data, std::size_t size, std::size_t count, void* user) {
  auto* body = static_cast<std::string*>(user);
  const std::size_t n = size * count;
  if (body->size() < HttpPostResult::kMaxBody) body->append(data, std::min(n, HttpPostResult::kMaxBody - body->size()));
  return n;
}

std::optional<std::chrono::seconds> retry_after(CURL* easy) {
  curl_header* h = nullptr;
  if (curl_easy_header(easy, "Retry-After", 0, CURLH_HEADER, -1, &h) != CURLHE_OK || !h || !h->value) return std::nullopt;
  const std::string value = h->value;
  if (!value.empty() && value.find_first_not_of("0123456789") == std::string::npos && value.size() < 10)
    return std::chrono::seconds(std::stoll(value));
  const time_t when = curl_getdate(value.c_str(), nullptr);  // an HTTP date
  if (when < 0) return std::nullopt;
  const auto wait = when - std::time(nullptr);
  return std::chrono::seconds(wait > 0 ? wait : 0);
}

// Owns itself from start until the transfer ends.
class PostTransfer final : public TransferSink {
 public:
  PostTransfer(CurlMulti& multi, HttpPostRequest request, std::function<void(HttpPostResult)> done)
      : multi_(multi), request_(std::move(request)), done_(std::move(done)) {}

  void start() {
    easy_ = multi_.acquire_easy();
    curl_easy_setopt(easy_, CURLOPT_URL, request_.url.c_str());
    curl_easy_setopt(easy_, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy_, CURLOPT_PROXY, "");
    curl_easy_setopt(easy_, CURLOPT_ERRORBUFFER, error_);
    curl_easy_setopt(easy_, CURLOPT_TIMEOUT_MS, static_cast<long>(std::max<std::int64_t>(1, request_.timeout.count())));
    curl_easy_setopt(easy_, CURLOPT_WRITEFUNCTION, &keep_start);
    curl_easy_setopt(easy_, CURLOPT_WRITEDATA, &body_);
    if (request_.method == "GET") {
      curl_easy_setopt(easy_, CURLOPT_HTTPGET, 1L);
    } else {
      curl_easy_setopt(easy_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request_.body.size()));
      curl_easy_setopt(easy_, CURLOPT_POSTFIELDS, request_.body.c_str());
      if (request_.method != "POST") curl_easy_setopt(easy_, CURLOPT_CUSTOMREQUEST, request_.method.c_str());
    }
    for (const auto& [name, value] : request_.headers)
      headers_ = curl_slist_append(headers_, (name + ": " + value).c_str());
    headers_ = curl_slist_append(headers_, "Expect:");
    curl_easy_setopt(easy_, CURLOPT_HTTPHEADER, headers_);
    multi_.start(easy_, this);
  }

  void on_transfer_abandoned() override {
    curl_slist_free_all(headers_);
    multi_.release_easy(easy_);
    delete this;
  }

  void on_transfer_done(CURLcode code) override {
    HttpPostResult result;
    if (code == CURLE_OK) {
      long status = 0;
      curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &status);
      result.status = static_cast<int>(status);
      result.retry_after = retry_after(easy_);
      result.body = std::move(body_);
    } else {
      result.error = error_[0] ? error_ : curl_easy_strerror(code);
    }
    curl_slist_free_all(headers_);
    multi_.release_easy(easy_);
    auto done = std::move(done_);
    delete this;
    done(std::move(result));
  }

 private:
  CurlMulti& multi_;
  HttpPostRequest request_;
  std::function<void(HttpPostResult)> done_;
  CURL* easy_ = nullptr;
  curl_slist* headers_ = nullptr;
  std::string body_;
  char error_[CURL_ERROR_SIZE] = {};
};

}  // namespace

void http_post(CurlMulti& multi, HttpPostRequest request, std::function<void(HttpPostResult)> done) {
  (new PostTransfer(multi, std::move(request), std::move(done)))->start();
}

}  // namespace synthprobe
