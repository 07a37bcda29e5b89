#pragma once
// The probe's own HTTP server (Boost.Beast) on a thread and io_context of its own, so that rendering a
// large /metrics or /api/status never delays the event loop that runs checks.

#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace synthprobe {

struct HttpReply {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

// Called on the server's thread for every request.
using HttpHandler = std::function<HttpReply(std::string_view method, std::string_view target)>;

class HttpServer {
 public:
  explicit HttpServer(HttpHandler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds `listen` ("127.0.0.1:9464", "[::1]:9464", ":9464") and starts serving. False with `error` set
  // when the address is invalid or taken.
  bool start(const std::string& listen, std::string& error);
  void stop();
  unsigned short port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace synthprobe
