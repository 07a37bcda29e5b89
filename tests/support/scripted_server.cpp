#include "tests/support/scripted_server.h"

#include <boost/asio.hpp>

#include <atomic>
#include <thread>

namespace synthprobe::testing {
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

constexpr std::size_t kMaxRequestHead = 1024 * 1024;

}  // namespace

struct ScriptedServer::Impl {
  Script script;
  std::string address;
  net::io_context io{1};
  tcp::acceptor acceptor{io};
  std::atomic<std::size_t> connections{0};
  std::thread thread;

  // Plays the script on one connection; false when the peer went away (the rest is skipped).
  net::awaitable<bool> play(const Move& move, tcp::socket& socket, std::string& buffer) {
    const auto tuple = net::as_tuple(net::use_awaitable);
    switch (move.kind) {
      case Move::Kind::read_request: {
        auto [ec, n] = co_await net::async_read_until(socket, net::dynamic_buffer(buffer, kMaxRequestHead),
                                                      "\r\n\r\n", tuple);
        if (ec) co_return false;
        buffer.erase(0, n);
        co_return true;
      }
      case Move::Kind::read_some: {
        char scratch[16 * 1024];
        auto [ec, n] = co_await socket.async_read_some(net::buffer(scratch), tuple);
        co_return !ec;
      }
      case Move::Kind::send: {
        auto [ec, n] = co_await net::async_write(socket, net::buffer(move.bytes), tuple);
        co_return !ec;
      }
      case Move::Kind::drip: {
        net::steady_timer timer(io);
        for (char c : move.bytes) {
          auto [ec, n] = co_await net::async_write(socket, net::buffer(&c, 1), tuple);
          if (ec) co_return false;
          timer.expires_after(move.every);
          co_await timer.async_wait(tuple);
        }
        co_return true;
      }
      case Move::Kind::flood:
        for (;;) {
          auto [ec, n] = co_await net::async_write(socket, net::buffer(move.bytes), tuple);
          if (ec) co_return false;
        }
      case Move::Kind::pause: {
        net::steady_timer timer(io, move.every);
        co_await timer.async_wait(tuple);
        co_return true;
      }
      case Move::Kind::stall: {
        net::steady_timer timer(io, std::chrono::hours(1));
        co_await timer.async_wait(tuple);
        co_return false;
      }
      case Move::Kind::await_close: {
        char scratch[4096];
        for (;;) {
          auto [ec, n] = co_await socket.async_read_some(net::buffer(scratch), tuple);
          if (ec) co_return false;
        }
      }
      case Move::Kind::reset: {
        boost::system::error_code ignored;
        socket.set_option(net::socket_base::linger(true, 0), ignored);
        socket.close(ignored);
        co_return false;
      }
    }
    co_return false;
  }

  net::awaitable<void> session(tcp::socket socket) {
    std::string buffer;
    for (const Move& move : script)
      if (!co_await play(move, socket, buffer)) co_return;
    boost::system::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_send, ignored);
    // Let the client read to the end before the descriptor goes: a close with unread input would reset.
    char scratch[4096];
    net::steady_timer guard(io, std::chrono::seconds(5));
    guard.async_wait([&socket](boost::system::error_code ec) {
      boost::system::error_code ignore;
      if (!ec) socket.close(ignore);
    });
    for (;;) {
      auto [ec, n] = co_await socket.async_read_some(net::buffer(scratch), net::as_tuple(net::use_awaitable));
      if (ec) break;
    }
    guard.cancel();
  }

  net::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(net::as_tuple(net::use_awaitable));
      if (ec) co_return;
      ++connections;
      net::co_spawn(io, session(std::move(socket)), net::detached);
    }
  }
};

ScriptedServer::ScriptedServer(Script script, const ListenOn& where) : impl_(std::make_unique<Impl>()) {
  impl_->script = std::move(script);
  impl_->address = where.address;
  tcp::endpoint endpoint(net::ip::make_address(where.address), where.port);
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(endpoint);
  impl_->acceptor.listen(4096);
  net::co_spawn(impl_->io, impl_->accept_loop(), net::detached);
  impl_->thread = std::thread([this] { impl_->io.run(); });
}

ScriptedServer::~ScriptedServer() {
  impl_->io.stop();
  impl_->thread.join();
}

unsigned short ScriptedServer::port() const { return impl_->acceptor.local_endpoint().port(); }

std::string ScriptedServer::url(std::string_view path, std::string_view scheme) const {
  const bool v6 = impl_->address.find(':') != std::string::npos;
  const std::string host = v6 ? "[" + impl_->address + "]" : impl_->address;
  return std::string(scheme) + "://" + host + ":" + std::to_string(port()) + std::string(path);
}

std::size_t ScriptedServer::connections() const { return impl_->connections.load(); }

}  // namespace synthprobe::testing
