#pragma once
// The probe's own HTTP server (Boost.Beast) on a thread and io_context of its own, so that rendering a
// large /metrics or /api/status never delays the event loop that runs checks.
//
// It must stay up when clients misbehave: at most kMaxConnections at once (when full, the oldest idle
// connection is closed to make room, so idle clients never lock out a scrape), a request must arrive
// whole within kRequestTimeout and fit kMaxHeaderBytes / kMaxBodyBytes, idle keep-alive connections close
// after kIdleTimeout, and when accept() fails (out of descriptors) it backs off instead of spinning. HEAD
// answers as GET without the body.
//
// A large body (/metrics of 100,000 checks is hundreds of megabytes) need not exist whole: a reply may
// give a `stream` that makes it piece by piece, and each piece is sent before the next is made.

#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace synthprobe {

struct HttpReply {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // more headers (Allow, ...)
  // Set when the answer is not ready yet (a reload): the server waits for it without blocking its thread,
  // at most kDeferredTimeout, then answers 503.
  std::shared_ptr<std::future<HttpReply>> later;
  // Set for a body made piece by piece (then `body` is ignored): called on the server's thread, each call
  // appends the next piece to `out` (empty on entry) and returns false once the body is complete. Each
  // piece is sent before the next call, as one chunk (HTTP/1.1, Transfer-Encoding: chunked) or, to an
  // HTTP/1.0 client, as it is, the connection's close ending the body. Between calls the server serves
  // other connections. Never called for HEAD; dropped unfinished when the client goes away.
  std::function<bool(std::string& out)> stream = nullptr;
};

struct HttpRequestView {
  std::string_view method;
  std::string_view target;
  std::string_view content_type;   // "" when absent
  std::string_view authorization;  // "" when absent
  std::string_view origin;         // "" when absent: a browser sends one on a cross-site POST
  std::string_view body;           // at most kMaxBodyBytes
};

// Called on the server's thread for every request.
using HttpHandler = std::function<HttpReply(const HttpRequestView& request)>;

class HttpServer {
 public:
  static constexpr std::size_t kMaxConnections = 512;
  static constexpr std::size_t kMaxHeaderBytes = 16 * 1024;
  static constexpr std::size_t kMaxBodyBytes = 64 * 1024;
  static constexpr std::chrono::seconds kRequestTimeout{10};
  static constexpr std::chrono::seconds kIdleTimeout{30};
  static constexpr std::chrono::seconds kDeferredTimeout{30};

  explicit HttpServer(HttpHandler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds `listen` ("127.0.0.1:9464", "[::1]:9464", ":9464") and starts serving. False with `error` set
  // when the address is invalid or taken.
  bool start(const std::string& listen, std::string& error);
  void stop();
  unsigned short port() const;
  std::size_t connections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace synthprobe
