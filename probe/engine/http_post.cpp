#include "probe/engine/http_post.h"

#include <algorithm>

namespace synthprobe {
namespace {

std::size_t discard(char*, std::size_t size, std::size_t count, void*) { return size * count; }

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
    curl_easy_setopt(easy_, CURLOPT_WRITEFUNCTION, &discard);
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
    if (!multi_.start(easy_, this)) on_transfer_done(CURLE_FAILED_INIT);
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
  char error_[CURL_ERROR_SIZE] = {};
};

}  // namespace

void http_post(CurlMulti& multi, HttpPostRequest request, std::function<void(HttpPostResult)> done) {
  (new PostTransfer(multi, std::move(request), std::move(done)))->start();
}

}  // namespace synthprobe
