#pragma once
// libcurl's multi-socket API driven by a Boost.Asio io_context: curl says which sockets it wants to
// read or write and when it next needs a timeout; the loop waits for exactly that (the sockets in an
// epoll set of their own, epoll_set.h; the timeout on an asio timer) and hands the events back.
// Everything runs on the io_context's one thread; no curl_multi_perform polling loop.

#include <curl/curl.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "probe/engine/epoll_set.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <memory>
#include <vector>

namespace synthprobe {

// Receives the end of one transfer. Lives at least until on_transfer_done is called or the
// transfer is cancelled.
class TransferSink {
 public:
  virtual void on_transfer_done(CURLcode result) = 0;
  // The multi is going away with the transfer still running: free what it owns, report nothing.
  // The easy handle was already removed from the multi and may be given back with release_easy().
  virtual void on_transfer_abandoned() = 0;

 protected:
  ~TransferSink() = default;

 private:
  friend class CurlMulti;
  CURL* transfer_easy_ = nullptr;  // the transfer in the multi, while there is one
  std::size_t active_slot_ = 0;  // its place in CurlMulti::active_
};

class CurlMulti {
 public:
  explicit CurlMulti(boost::asio::io_context& io);
  ~CurlMulti();
  CurlMulti(const CurlMulti&) = delete;
  CurlMulti& operator=(const CurlMulti&) = delete;

  // A ready-to-configure easy handle: new or fresh from curl_easy_reset, cookies cleared, on the multi's TLS
  // session share (see tls_sessions_). A handle given a share of its own (CURLOPT_SHARE) must have TLS
  // sessions in that share too (new_cookie_jar): curl would otherwise give it a session cache of its own,
  // and lose that when release_easy() puts the handle back on the multi's share.
  CURL* acquire_easy();
  // The same, or a handle that kept the options of the run that gave it back with keep_options (then
  // `configured` is set): HttpExchange's plain requests, whose next prepare() need set only what varies.
  CURL* acquire_easy(bool& configured);
  // Gives back a handle that is not (or no longer) in the multi. keep_options skips curl_easy_reset: only
  // for a handle that HttpExchange::keeps_options() allows (every option it has is set again on each run,
  // and curl kept no other state that a reset would clear); acquire_easy() without `configured` resets it
  // before handing it out.
  void release_easy(CURL* easy, bool keep_options = false);

  // Starts the configured transfer; `sink` is told on this io_context when it ends (never from inside
  // this call). The transfers started in one turn of the loop are handed to curl together afterwards, so
  // their connects go out back to back. A handle curl refuses ends with CURLE_FAILED_INIT.
  void start(CURL* easy, TransferSink* sink);

  std::size_t running() const { return running_; }
  boost::asio::io_context& io() const { return io_; }

 private:
  struct SocketState;

  static int on_socket(CURL* easy, curl_socket_t fd, int what, void* self, void* socket_data);
  static int on_timer(CURLM* multi, long timeout_ms, void* self);
  static curl_socket_t on_open_socket(void* self, curlsocktype purpose, curl_sockaddr* address);
  static int on_close_socket(void* self, curl_socket_t fd);
  static void on_ready(void* self, std::uint64_t key, std::uint32_t events);
  void socket_action(curl_socket_t fd, int events);
  void drain_finished();
  void add_started();
  void transfer_ended();  // one fewer running; none left: the loop stops waiting for the sockets
  void reset_easy(CURL* easy);  // defaults, no cookies, on the multi's TLS session share
  void arm_timer(std::chrono::steady_clock::time_point at);
  SocketState& state_of(curl_socket_t fd);
  void watch_socket(curl_socket_t fd, SocketState& state);
  static void forget(SocketState& state);
  void let_go(curl_socket_t fd, SocketState& state);
  void add_active(TransferSink* sink, CURL* easy);
  void remove_active(TransferSink* sink);

  boost::asio::io_context& io_;
  boost::asio::steady_timer timer_;
  std::optional<std::chrono::steady_clock::time_point> deadline_;      // curl's latest timeout
  std::optional<std::chrono::steady_clock::time_point> timer_expiry_;  // when timer_ fires
  bool timeout_posted_ = false;
  bool add_posted_ = false;
  std::vector<TransferSink*> starting_;  // started since the last add_started()
  std::vector<TransferSink*> adding_;    // add_started()'s batch (kept for its capacity)
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // posted handlers check it outlived us
  CURLM* multi_ = nullptr;
  // curl's sockets, in an epoll set of their own (epoll_set.h), and what each wants, indexed by
  // descriptor number: the state of a number is reused by the next socket that gets it, no allocation.
  EpollSet sockets_set_;
  std::vector<SocketState> sockets_;
  std::vector<TransferSink*> active_;  // transfers in the multi, for shutdown (each knows its slot)
  std::vector<CURL*> idle_easies_;       // reset
  std::vector<CURL*> idle_configured_;  // released with keep_options
  // TLS session slots shared by every handle of this multi. Without a share curl gives each handle its
  // own cache (0.9 KiB, allocated on its first transfer), which is most of a pooled handle's memory beyond
  // curl's own state. Keep-alive checks resume sessions from it like one browser; fresh-connection checks
  // do not use it (CURLOPT_SSL_SESSIONID_CACHE 0).
  CURLSH* tls_sessions_ = nullptr;
  std::size_t running_ = 0;
};

}  // namespace synthprobe
