#include "tests/support/test_server.h"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "tests/support/temp_dir.h"

namespace synthprobe::testing {
namespace net = boost::asio;
using tcp = net::ip::tcp;

std::string TestRequest::header(std::string_view name) const {
  for (const auto& [n, v] : headers)
    if (n == name) return v;
  return "";
}

namespace {

const char* reason_phrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Status";
  }
}

std::string to_lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool parse_head(const std::string& head, TestRequest& req, std::size_t& content_length) {
  std::size_t line_end = head.find("\r\n");
  const std::string first = head.substr(0, line_end);
  const auto sp1 = first.find(' ');
  const auto sp2 = first.find(' ', sp1 + 1);
  if (sp1 == std::string::npos || sp2 == std::string::npos) return false;
  req.method = first.substr(0, sp1);
  req.target = first.substr(sp1 + 1, sp2 - sp1 - 1);
  content_length = 0;
  std::size_t pos = line_end + 2;
  while (pos < head.size()) {
    const std::size_t end = head.find("\r\n", pos);
    const std::string line = head.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    if (line.empty()) break;
    const auto colon = line.find(':');
    if (colon != std::string::npos) {
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      req.headers.emplace_back(to_lower(line.substr(0, colon)), value);
      if (req.headers.back().first == "content-length") content_length = std::stoul(value);
    }
    if (end == std::string::npos) break;
    pos = end + 2;
  }
  return true;
}

// The handler said "Connection: close": the server closes the connection after this answer.
bool closes_connection(const TestResponse& r) {
  for (const auto& [n, v] : r.headers)
    if (to_lower(n) == "connection" && to_lower(v) == "close") return true;
  return false;
}

std::string serialize(const TestResponse& r, std::size_t body_bytes_sent_claim) {
  std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " + reason_phrase(r.status) + "\r\n";
  bool has_length = false;
  for (const auto& [n, v] : r.headers) {
    out += n + ": " + v + "\r\n";
    has_length = has_length || to_lower(n) == "content-length";
  }
  if (!has_length) out += "Content-Length: " + std::to_string(body_bytes_sent_claim) + "\r\n";
  if (!closes_connection(r)) out += "Connection: keep-alive\r\n";
  out += "\r\n";
  return out;
}

}  // namespace

struct TestServer::Impl {
  Handler handler;
  net::io_context io{1};
  tcp::acceptor acceptor{io};
  std::optional<net::ssl::context> tls;
  std::atomic<std::size_t> requests{0};
  std::atomic<std::size_t> handshakes{0};
  std::atomic<std::size_t> resumptions{0};
  std::string address;
  std::thread thread;

  template <typename Stream>
  net::awaitable<void> serve(Stream& stream, tcp::socket& socket) {
    std::string buffer;
    for (;;) {
      auto [ec, n] = co_await net::async_read_until(stream, net::dynamic_buffer(buffer), "\r\n\r\n",
                                                      net::as_tuple(net::use_awaitable));
      if (ec) co_return;
      TestRequest req;
      std::size_t content_length = 0;
      if (!parse_head(buffer.substr(0, n), req, content_length)) co_return;
      buffer.erase(0, n);
      if (buffer.size() < content_length) {
        auto [ec2, m] = co_await net::async_read(stream, net::dynamic_buffer(buffer),
                                                 net::transfer_exactly(content_length - buffer.size()),
                                                 net::as_tuple(net::use_awaitable));
        if (ec2) co_return;
      }
      req.body = buffer.substr(0, content_length);
      buffer.erase(0, content_length);
      ++requests;

      TestResponse resp = handler(req);
      if (resp.delay.count() > 0 || resp.action == TestResponse::Action::hang) {
        net::steady_timer timer(io);
        timer.expires_after(resp.action == TestResponse::Action::hang ? std::chrono::hours(1) : resp.delay);
        co_await timer.async_wait(net::as_tuple(net::use_awaitable));
        if (resp.action == TestResponse::Action::hang) co_return;
      }
      switch (resp.action) {
        case TestResponse::Action::hang:
          co_return;
        case TestResponse::Action::garbage: {
          co_await net::async_write(stream, net::buffer(resp.body), net::as_tuple(net::use_awaitable));
          co_return;
        }
        case TestResponse::Action::reset_mid_body: {
          const std::string head = serialize(resp, resp.body.size());
          const std::string half = resp.body.substr(0, resp.body.size() / 2);
          co_await net::async_write(stream, net::buffer(head + half), net::as_tuple(net::use_awaitable));
          boost::system::error_code ignored;
          socket.set_option(net::socket_base::linger(true, 0), ignored);  // close sends RST
          socket.close(ignored);
          co_return;
        }
        case TestResponse::Action::respond: {
          const bool no_body = req.method == "HEAD" || resp.status == 204 || resp.status == 304;
          std::string out = serialize(resp, no_body ? 0 : resp.body.size());
          if (!no_body) out += resp.body;
          auto [wec, w] = co_await net::async_write(stream, net::buffer(out), net::as_tuple(net::use_awaitable));
          if (wec || closes_connection(resp)) co_return;
          break;
        }
      }
    }
  }

  net::awaitable<void> session(tcp::socket socket) {
    if (tls) {
      net::ssl::stream<tcp::socket&> stream(socket, *tls);
      auto [ec] = co_await stream.async_handshake(net::ssl::stream_base::server, net::as_tuple(net::use_awaitable));
      if (ec) co_return;
      ++handshakes;
      if (SSL_session_reused(stream.native_handle()) == 1) ++resumptions;
      co_await serve(stream, socket);
    } else {
      co_await serve(socket, socket);
    }
  }

  net::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(net::as_tuple(net::use_awaitable));
      if (ec) co_return;
      net::co_spawn(io, session(std::move(socket)), net::detached);
    }
  }
};

TestServer::TestServer(Handler handler, std::optional<TlsFiles> tls)
    : TestServer(std::move(handler), ListenOn{}, std::move(tls)) {}

TestServer::TestServer(Handler handler, const ListenOn& where, std::optional<TlsFiles> tls)
    : impl_(std::make_unique<Impl>()) {
  impl_->handler = std::move(handler);
  impl_->address = where.address;
  if (tls) {
    impl_->tls.emplace(net::ssl::context::tls_server);
    impl_->tls->use_certificate_chain_file(tls->cert_file);
    impl_->tls->use_private_key_file(tls->key_file, net::ssl::context::pem);
  }
  tcp::endpoint endpoint(net::ip::make_address(where.address), where.port);
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(endpoint);
  impl_->acceptor.listen(4096);
  net::co_spawn(impl_->io, impl_->accept_loop(), net::detached);
  impl_->thread = std::thread([this] { impl_->io.run(); });
}

TestServer::~TestServer() {
  impl_->io.stop();
  impl_->thread.join();
}

unsigned short TestServer::port() const { return impl_->acceptor.local_endpoint().port(); }

std::string TestServer::url(std::string_view path) const {
  const bool v6 = impl_->address.find(':') != std::string::npos;
  const std::string host = v6 ? "[" + impl_->address + "]" : impl_->address;
  return std::string(impl_->tls ? "https" : "http") + "://" + host + ":" + std::to_string(port()) + std::string(path);
}

std::size_t TestServer::requests() const { return impl_->requests.load(); }
std::size_t TestServer::tls_handshakes() const { return impl_->handshakes.load(); }
std::size_t TestServer::tls_resumptions() const { return impl_->resumptions.load(); }

TlsFiles make_self_signed_certificate(const std::string& dir, int days) {
  TlsFiles files{dir + "/cert.pem", dir + "/key.pem"};
  const std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -keyout " + files.key_file + " -out " +
                          files.cert_file + " -days " + std::to_string(days) +
                          " -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1,DNS:localhost";
  std::string output;
  if (run_command(cmd, &output) != 0) throw std::runtime_error("openssl failed: " + output);
  return files;
}

unsigned short closed_port() {
  net::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  const unsigned short port = acceptor.local_endpoint().port();
  acceptor.close();
  return port;
}

}  // namespace synthprobe::testing
