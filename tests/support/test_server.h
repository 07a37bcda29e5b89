#pragma once
// An HTTP/1.1 server on loopback for tests, on a thread of its own, that answers each request as a
// handler says: normally, slowly, never, with garbage, or by resetting the connection mid-body.
// With TLS files it speaks HTTPS. By default on 127.0.0.1 and a free port; any loopback address
// (127.0.0.2, ::1) and a given port can be chosen, e.g. two servers on one port at different addresses.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace synthprobe::testing {

struct TestRequest {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower case
  std::string body;
  std::string header(std::string_view name) const;  // "" when absent
};

struct TestResponse {
  enum class Action {
    respond,         // status, headers, body
    hang,            // read the request, never answer
    garbage,         // send `body` as raw bytes, then close
    reset_mid_body,  // headers promising the whole body, half of it, then a TCP reset
  };
  Action action = Action::respond;
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // "Connection: close" closes after the answer
  std::string body;
  std::chrono::milliseconds delay{0};  // before the first byte of the answer
};

struct TlsFiles {
  std::string cert_file;
  std::string key_file;
};

// Where a server listens: an IP address (IPv6 without brackets) and a port (0: any free one).
struct ListenOn {
  std::string address = "127.0.0.1";
  unsigned short port = 0;
};

class TestServer {
 public:
  using Handler = std::function<TestResponse(const TestRequest&)>;

  explicit TestServer(Handler handler, std::optional<TlsFiles> tls = std::nullopt);
  // Throws when the address cannot be bound (e.g. ::1 on a host without IPv6).
  TestServer(Handler handler, const ListenOn& where, std::optional<TlsFiles> tls = std::nullopt);
  ~TestServer();
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  unsigned short port() const;
  // "http://127.0.0.1:PORT" + path (https with TLS; the address in brackets when IPv6).
  std::string url(std::string_view path = "/") const;
  std::size_t requests() const;
  // TLS handshakes completed, and how many of them resumed an earlier session (abbreviated handshakes).
  std::size_t tls_handshakes() const;
  std::size_t tls_resumptions() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A self-signed certificate for 127.0.0.1 and localhost, valid for `days`, written into `dir`.
TlsFiles make_self_signed_certificate(const std::string& dir, int days);

// A TCP port on 127.0.0.1 where nothing listens (bound, then closed).
unsigned short closed_port();

}  // namespace synthprobe::testing
