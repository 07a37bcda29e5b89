#include "probe/engine/curl_multi.h"

#include <poll.h>

#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <cstdio>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace synthprobe {
namespace net = boost::asio;

namespace {

// Idle easy handles kept for reuse; beyond this they are freed.
constexpr std::size_t kMaxIdleEasies = 512;

void global_init_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// asio registers descriptors edge-triggered. curl may stop reading before the socket is drained
// (it bounds its read loop), so an edge can be spent while no wait is pending. Before waiting,
// ask the kernel directly whether the direction is ready already.
bool ready_now(curl_socket_t fd, bool for_write) {
  pollfd p{fd, static_cast<short>(for_write ? POLLOUT : POLLIN), 0};
  return ::poll(&p, 1, 0) > 0 && p.revents != 0;
}

void check(CURLMcode code, const char* what) {
  if (code != CURLM_OK) std::fprintf(stderr, "level=error msg=\"%s: %s\"\n", what, curl_multi_strerror(code));
}

}  // namespace

// Per-socket state. Shared with pending handlers so it outlives a REMOVE that arrives while a
// wait is pending, or while the handler that runs socket_action is still on the stack.
struct CurlMulti::SocketWatch {
  explicit SocketWatch(net::io_context& io) : descriptor(io) {}
  net::posix::stream_descriptor descriptor;
  int want = 0;  // CURL_POLL_IN / CURL_POLL_OUT bits
  bool read_armed = false;
  bool write_armed = false;
  bool removed = false;

  // Never close curl's descriptor: stop waiting and hand it back.
  void forget() {
    removed = true;
    boost::system::error_code ignored;
    descriptor.cancel(ignored);
    descriptor.release();
  }
};

CurlMulti::CurlMulti(net::io_context& io) : io_(io), timer_(io) {
  global_init_once();
  multi_ = curl_multi_init();
  if (!multi_) {
    std::fprintf(stderr, "level=error msg=\"curl_multi_init failed\"\n");
    std::abort();
  }
  check(curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &CurlMulti::on_socket), "CURLMOPT_SOCKETFUNCTION");
  check(curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this), "CURLMOPT_SOCKETDATA");
  check(curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &CurlMulti::on_timer), "CURLMOPT_TIMERFUNCTION");
  check(curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this), "CURLMOPT_TIMERDATA");
}

CurlMulti::~CurlMulti() {
  // Transfers still running (a notification to a slow receiver at shutdown) are taken out first and
  // their owners told, so nothing they allocated outlives the multi.
  auto active = std::move(active_);
  active_.clear();
  for (auto& [easy, sink] : active) {
    curl_multi_remove_handle(multi_, easy);
    sink->on_transfer_abandoned();
  }
  // The multi handle goes before the sockets: its cleanup may still call on_socket with REMOVE.
  curl_multi_cleanup(multi_);
  multi_ = nullptr;
  for (auto& [fd, watch] : watches_) watch->forget();
  watches_.clear();
  timer_.cancel();
  for (CURL* easy : idle_easies_) curl_easy_cleanup(easy);
}

CURL* CurlMulti::acquire_easy() {
  if (idle_easies_.empty()) return curl_easy_init();
  CURL* easy = idle_easies_.back();
  idle_easies_.pop_back();
  return easy;
}

void CurlMulti::release_easy(CURL* easy) {
  if (!easy) return;
  if (idle_easies_.size() >= kMaxIdleEasies) {
    curl_easy_cleanup(easy);
    return;
  }
  // Reset keeps cookies: drop them so no run sees another's session.
  curl_easy_setopt(easy, CURLOPT_COOKIELIST, "ALL");
  curl_easy_reset(easy);
  idle_easies_.push_back(easy);
}

bool CurlMulti::start(CURL* easy, TransferSink* sink) {
  curl_easy_setopt(easy, CURLOPT_PRIVATE, sink);
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  const CURLMcode code = curl_multi_add_handle(multi_, easy);
  check(code, "curl_multi_add_handle");
  if (code == CURLM_OK) {
    ++running_;
    active_.emplace(easy, sink);
  }
  return code == CURLM_OK;
}

void CurlMulti::cancel(CURL* easy) {
  active_.erase(easy);
  if (curl_multi_remove_handle(multi_, easy) == CURLM_OK && running_ > 0) --running_;
}

int CurlMulti::on_socket(CURL*, curl_socket_t fd, int what, void* self_ptr, void* watch_ptr) {
  // The easy handle may be one of curl's internal ones: never depend on its private pointer here.
  auto* self = static_cast<CurlMulti*>(self_ptr);
  if (what == CURL_POLL_REMOVE) {
    if (!watch_ptr) return 0;  // a socket we never saw
    auto it = self->watches_.find(fd);
    if (it != self->watches_.end()) {
      it->second->forget();
      self->watches_.erase(it);
    }
    return 0;
  }
  std::shared_ptr<SocketWatch> watch;
  if (watch_ptr) {
    auto it = self->watches_.find(fd);
    if (it != self->watches_.end()) watch = it->second;
  }
  if (!watch) {
    watch = std::make_shared<SocketWatch>(self->io_);
    boost::system::error_code ec;
    watch->descriptor.assign(fd, ec);
    if (ec) {
      std::fprintf(stderr, "level=error msg=\"cannot watch socket %d: %s\"\n", static_cast<int>(fd),
                   ec.message().c_str());
      return 0;  // curl's own timeout will end that transfer; -1 would abort every transfer
    }
    self->watches_[fd] = watch;
    curl_multi_assign(self->multi_, fd, watch.get());
  }
  watch->want = what;
  if (what & CURL_POLL_IN) self->arm(watch, fd, false);
  if (what & CURL_POLL_OUT) self->arm(watch, fd, true);
  return 0;
}

void CurlMulti::arm(const std::shared_ptr<SocketWatch>& watch, curl_socket_t fd, bool for_write) {
  bool& armed = for_write ? watch->write_armed : watch->read_armed;
  if (armed) return;  // asio waits fire once; one pending wait per direction is enough
  armed = true;
  auto on_ready = [this, watch, fd, for_write](boost::system::error_code ec) {
    (for_write ? watch->write_armed : watch->read_armed) = false;
    if (watch->removed || ec == net::error::operation_aborted) return;
    const int direction = for_write ? CURL_POLL_OUT : CURL_POLL_IN;
    if (!(watch->want & direction)) return;  // curl no longer cares about this direction
    socket_action(fd, ec ? CURL_CSELECT_ERR : (for_write ? CURL_CSELECT_OUT : CURL_CSELECT_IN));
    if (watch->removed) return;  // curl let go of it inside socket_action
    if (watch->want & direction) arm(watch, fd, for_write);
  };
  // Both directions: a read edge can be spent before curl drained the socket, and a pooled keep-alive
  // socket that has been writable all along gives no new write edge for its next request.
  if (ready_now(fd, for_write)) {
    net::post(io_, [on_ready] { on_ready({}); });
    return;
  }
  watch->descriptor.async_wait(
      for_write ? net::posix::stream_descriptor::wait_write : net::posix::stream_descriptor::wait_read,
      std::move(on_ready));
}

int CurlMulti::on_timer(CURLM*, long timeout_ms, void* self_ptr) {
  auto* self = static_cast<CurlMulti*>(self_ptr);
  // Each call replaces curl's previous deadline. Re-arming the asio timer on every call costs a
  // timerfd_settime each time (twice per transfer), so the timer only ever moves earlier; when it
  // fires before curl's latest deadline it is simply set again for that deadline.
  if (timeout_ms < 0) {
    // Nothing left to time: drop the wait too, so an idle loop has no pending work and run() returns.
    self->deadline_.reset();
    if (self->timer_expiry_) {
      self->timer_expiry_.reset();
      self->timer_.cancel();
    }
    return 0;
  }
  if (timeout_ms == 0) {
    // "Now": never call curl from inside its own callback; post it, once however often curl asks.
    self->deadline_.reset();
    if (!self->timeout_posted_) {
      self->timeout_posted_ = true;
      net::post(self->io_, [self, alive = std::weak_ptr<void>(self->alive_)] {
        if (alive.expired()) return;
        self->timeout_posted_ = false;
        self->socket_action(CURL_SOCKET_TIMEOUT, 0);
      });
    }
    return 0;
  }
  self->deadline_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  if (!self->timer_expiry_ || *self->deadline_ < *self->timer_expiry_) self->arm_timer(*self->deadline_);
  return 0;
}

void CurlMulti::arm_timer(std::chrono::steady_clock::time_point at) {
  timer_expiry_ = at;
  timer_.expires_at(at);
  timer_.async_wait([this, alive = std::weak_ptr<void>(alive_)](boost::system::error_code ec) {
    if (ec == net::error::operation_aborted || alive.expired()) return;  // moved earlier, or gone
    timer_expiry_.reset();
    if (!deadline_) return;  // curl cancelled its timeout, or asked for "now" meanwhile
    if (*deadline_ > std::chrono::steady_clock::now()) return arm_timer(*deadline_);
    deadline_.reset();
    socket_action(CURL_SOCKET_TIMEOUT, 0);
  });
}

void CurlMulti::socket_action(curl_socket_t fd, int events) {
  int still_running = 0;
  check(curl_multi_socket_action(multi_, fd, events, &still_running), "curl_multi_socket_action");
  drain_finished();
}

void CurlMulti::drain_finished() {
  int queued = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi_, &queued)) {
    if (msg->msg != CURLMSG_DONE) continue;
    CURL* easy = msg->easy_handle;
    const CURLcode result = msg->data.result;
    TransferSink* sink = nullptr;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, &sink);
    check(curl_multi_remove_handle(multi_, easy), "curl_multi_remove_handle");
    active_.erase(easy);
    if (running_ > 0) --running_;
    if (sink) sink->on_transfer_done(result);
  }
}

}  // namespace synthprobe
