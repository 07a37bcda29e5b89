#include "exporters/web/http_server.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <list>
#include <thread>

#include "common/listen_address.h"
#include "common/thread_priority.h"

namespace synthprobe {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

constexpr auto kAcceptBackoff = std::chrono::milliseconds(100);
constexpr auto kDeferredPoll = std::chrono::milliseconds(10);

std::string_view header_of(const http::request<http::string_body>& req, http::field f) {
  auto it = req.find(f);
  return it == req.end() ? std::string_view() : std::string_view(it->value().data(), it->value().size());
}

}  // namespace

struct HttpServer::Impl {
  explicit Impl(HttpHandler h) : handler(std::move(h)) {}
  HttpHandler handler;
  net::io_context io{1};
  tcp::acceptor acceptor{io};
  std::thread thread;
  std::atomic<std::size_t> open{0};

  // A deferred answer, awaited in small steps so other connections are served meanwhile.
  net::awaitable<HttpReply> resolve(HttpReply reply) {
    net::steady_timer timer(co_await net::this_coro::executor);
    const auto give_up = std::chrono::steady_clock::now() + kDeferredTimeout;
    while (reply.later) {
      if (reply.later->wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
        try {
          HttpReply done = reply.later->get();
          reply = std::move(done);
        } catch (const std::future_error&) {  // dropped, e.g. by a shutdown
          co_return HttpReply{503, "text/plain; charset=utf-8", "not completed\n", {}, {}};
        }
        continue;
      }
      if (std::chrono::steady_clock::now() > give_up) co_return HttpReply{503, "text/plain; charset=utf-8", "not completed in time\n", {}, {}};
      timer.expires_after(kDeferredPoll);
      co_await timer.async_wait(net::as_tuple(net::use_awaitable));
    }
    co_return reply;
  }

  // One client connection. `idle` while it waits for a request: such a connection may be closed to make
  // room when the server is full, so idle clients can never lock out a scrape.
  struct Conn {
    explicit Conn(tcp::socket s) : stream(std::move(s)) {}
    beast::tcp_stream stream;
    bool idle = true;
  };
  std::list<std::weak_ptr<Conn>> conns;  // oldest first

  // Closes the oldest idle connection; false when every connection is busy. Its session ends (and `open`
  // drops) once its pending read sees the close.
  bool make_room() {
    for (auto it = conns.begin(); it != conns.end();) {
      auto conn = it->lock();
      if (!conn) {
        it = conns.erase(it);
        continue;
      }
      if (conn->idle) {
        boost::system::error_code ignored;
        conn->stream.socket().close(ignored);
        conns.erase(it);
        return true;
      }
      ++it;
    }
    return false;
  }

  // Sets what every answer carries.
  template <typename Body>
  static void set_headers(http::response<Body>& res, const HttpReply& reply) {
    res.set(http::field::server, "synthprobe");
    res.set(http::field::content_type, reply.content_type);
    for (const auto& [name, value] : reply.headers) res.set(name, value);
  }

  // A body made piece by piece (HttpReply::stream). True when the connection may serve another request.
  net::awaitable<bool> send_stream(beast::tcp_stream& stream, const http::request<http::string_body>& req, bool head,
                                   HttpReply& reply) {
    const bool chunked = req.version() >= 11;
    http::response<http::empty_body> res{static_cast<http::status>(reply.status), req.version()};
    set_headers(res, reply);
    res.keep_alive(chunked && req.keep_alive());  // without chunks, the close is what ends the body
    if (chunked) res.chunked(true);
    http::response_serializer<http::empty_body> sr{res};
    stream.expires_after(kRequestTimeout);
    auto [hec, hn] = co_await http::async_write_header(stream, sr, net::as_tuple(net::use_awaitable));
    if (hec) co_return false;
    if (head) co_return res.keep_alive();
    std::string piece;
    for (;;) {
      piece.clear();
      if (!reply.stream(piece)) break;
      if (piece.empty()) continue;  // an empty chunk would end the body
      stream.expires_after(kRequestTimeout);
      auto [wec, wn] = chunked ? co_await net::async_write(stream, http::make_chunk(net::buffer(piece)),
                                                           net::as_tuple(net::use_awaitable))
                               : co_await net::async_write(stream, net::buffer(piece), net::as_tuple(net::use_awaitable));
      if (wec) co_return false;
    }
    if (!chunked) co_return false;
    stream.expires_after(kRequestTimeout);
    auto [lec, ln] = co_await net::async_write(stream, http::make_chunk_last(), net::as_tuple(net::use_awaitable));
    co_return !lec && res.keep_alive();
  }

  net::awaitable<void> session(std::shared_ptr<Conn> conn) {
    beast::tcp_stream& stream = conn->stream;
    beast::flat_buffer buffer;
    for (bool first = true;; first = false) {
      // Waiting for the next request on an idle connection; then the request must arrive whole in time.
      conn->idle = true;
      stream.expires_after(first ? kRequestTimeout : kIdleTimeout);
      http::request_parser<http::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(kMaxHeaderBytes));
      parser.body_limit(kMaxBodyBytes);
      auto [hec, hn] = co_await http::async_read_header(stream, buffer, parser, net::as_tuple(net::use_awaitable));
      boost::system::error_code ec = hec;
      if (!ec) {
        conn->idle = false;
        stream.expires_after(kRequestTimeout);
        auto [bec, n] = co_await http::async_read(stream, buffer, parser, net::as_tuple(net::use_awaitable));
        ec = bec;
      }
      if (ec) {
        if (ec == http::error::body_limit || ec == http::error::header_limit) {
          http::response<http::string_body> res{http::status::payload_too_large, 11};
          res.set(http::field::connection, "close");
          res.body() = "request too large\n";
          res.prepare_payload();
          stream.expires_after(kRequestTimeout);
          co_await http::async_write(stream, res, net::as_tuple(net::use_awaitable));
        }
        break;
      }
      const http::request<http::string_body>& req = parser.get();
      const bool head = req.method() == http::verb::head;
      const HttpRequestView view{head ? std::string_view("GET") : std::string_view(req.method_string()),
                                 std::string_view(req.target()), header_of(req, http::field::content_type),
                                 header_of(req, http::field::authorization), header_of(req, http::field::origin),
                                 std::string_view(req.body())};
      HttpReply reply = handler(view);
      if (reply.later) reply = co_await resolve(std::move(reply));
      if (reply.stream) {
        if (!co_await send_stream(stream, req, head, reply)) break;
        continue;
      }
      http::response<http::string_body> res{static_cast<http::status>(reply.status), req.version()};
      set_headers(res, reply);
      res.keep_alive(req.keep_alive());
      if (head) {
        res.content_length(reply.body.size());  // what a GET would get, without the body
      } else {
        res.body() = std::move(reply.body);
        res.prepare_payload();
      }
      stream.expires_after(kRequestTimeout);
      http::response_serializer<http::string_body> sr{res};
      if (head) sr.split(true);
      auto [wec, w] = head ? co_await http::async_write_header(stream, sr, net::as_tuple(net::use_awaitable))
                           : co_await http::async_write(stream, sr, net::as_tuple(net::use_awaitable));
      if (wec || !res.keep_alive()) break;
    }
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    --open;
  }

  net::awaitable<void> accept_loop() {
    net::steady_timer pause(io);
    for (;;) {
      // Full: the oldest idle connection goes; when every one is busy, the rest wait in the listen backlog.
      if (open >= kMaxConnections && !make_room()) {
        pause.expires_after(kAcceptBackoff);
        co_await pause.async_wait(net::as_tuple(net::use_awaitable));
        continue;
      }
      auto [ec, socket] = co_await acceptor.async_accept(net::as_tuple(net::use_awaitable));
      if (ec == net::error::operation_aborted) co_return;
      if (ec) {
        // Out of descriptors (EMFILE) and the like: accepting again at once would spin a core.
        pause.expires_after(kAcceptBackoff);
        co_await pause.async_wait(net::as_tuple(net::use_awaitable));
        continue;
      }
      ++open;
      auto conn = std::make_shared<Conn>(std::move(socket));
      conns.push_back(conn);
      net::co_spawn(io, session(std::move(conn)), net::detached);
    }
  }
};

HttpServer::HttpServer(HttpHandler handler) : impl_(std::make_unique<Impl>(std::move(handler))) {}

HttpServer::~HttpServer() { stop(); }

bool HttpServer::start(const std::string& listen, std::string& error) {
  std::string why;
  const auto parsed = parse_listen_address(listen, why);
  if (!parsed) {
    error = "invalid listen address \"" + listen + "\": " + why;
    return false;
  }
  boost::system::error_code ec;
  const tcp::endpoint endpoint(net::ip::make_address(parsed->host, ec), parsed->port);
  if (!ec) impl_->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(endpoint, ec);
  if (!ec) impl_->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    error = "cannot listen on " + listen + ": " + ec.message();
    return false;
  }
  net::co_spawn(impl_->io, impl_->accept_loop(), net::detached);
  impl_->thread = std::thread([this] {
    lower_this_thread_priority(kBackgroundNice);  // pages and scrapes give way to the check loop
    impl_->io.run();
  });
  return true;
}

void HttpServer::stop() {
  if (!impl_->thread.joinable()) return;
  impl_->io.stop();
  impl_->thread.join();
}

unsigned short HttpServer::port() const {
  boost::system::error_code ec;
  const auto ep = impl_->acceptor.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

std::size_t HttpServer::connections() const { return impl_->open.load(); }

}  // namespace synthprobe
