#include "probe/engine/curl_multi.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/post.hpp>

#include <cassert>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>

#include "probe/engine/wake_grid.h"

namespace synthprobe {
namespace net = boost::asio;

namespace {

// Idle easy handles kept for reuse; beyond this they are freed.
constexpr std::size_t kMaxIdleEasies = 512;

void global_init_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

void check(CURLMcode code, const char* what) {
  if (code != CURLM_OK) std::fprintf(stderr, "level=error msg=\"%s: %s\"\n", what, curl_multi_strerror(code));
}

}  // namespace

// Per-descriptor-number state, reused by every socket that gets the number. The generation goes into the
// key the epoll set reports back, so an event still queued for a socket that was closed (and its number
// reused) inside an earlier callback of the same wake-up is recognised and dropped.
struct CurlMulti::SocketState {
  std::uint32_t generation = 0;
  int want = 0;                // CURL_POLL_IN / CURL_POLL_OUT bits curl asked for; 0 after its REMOVE
  std::uint32_t watched = 0;   // the epoll events the set has for it
  bool in_set = false;         // in the epoll set (as far as we know: a close drops it silently)
  bool ours = false;           // opened by on_open_socket: its close comes through on_close_socket
};

namespace {
std::uint64_t key_of(curl_socket_t fd, std::uint32_t generation) {
  return (static_cast<std::uint64_t>(generation) << 32) | static_cast<std::uint32_t>(fd);
}
}  // namespace

CurlMulti::CurlMulti(net::io_context& io) : io_(io), timer_(io), sockets_set_(io, &CurlMulti::on_ready, this) {
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
  tls_sessions_ = curl_share_init();
  if (!tls_sessions_ || curl_share_setopt(tls_sessions_, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK) {
    std::fprintf(stderr, "level=error msg=\"curl_share_init failed\"\n");
    std::abort();
  }
}

CurlMulti::~CurlMulti() {
  // Transfers still running (a notification to a slow receiver at shutdown) are taken out first and
  // their owners told, so nothing they allocated outlives the multi.
  auto active = std::move(active_);
  active_.clear();
  for (TransferSink* sink : active) {
    CURL* easy = sink->transfer_easy_;
    sink->transfer_easy_ = nullptr;
    curl_multi_remove_handle(multi_, easy);
    sink->on_transfer_abandoned();
  }
  // The multi handle goes before the sockets: its cleanup may still call on_socket with REMOVE, and
  // on_close_socket for the connections it kept.
  curl_multi_cleanup(multi_);
  multi_ = nullptr;
  sockets_.clear();
  timer_.cancel();
  for (CURL* easy : idle_easies_) curl_easy_cleanup(easy);
  for (CURL* easy : idle_configured_) {
    // Its options still point into runs that may be gone. curl's cleanup is not known to read them; the
    // reset makes sure (on release_easy's full-pool path the run is still there).
    curl_easy_reset(easy);
    curl_easy_cleanup(easy);
  }
  // Last: a share refuses to go while a handle still uses it (one that outlived us would be a bug).
  if (curl_share_cleanup(tls_sessions_) != CURLSHE_OK)
    std::fprintf(stderr, "level=error msg=\"a curl handle outlived its multi; its TLS session share is left\"\n");
}

CURL* CurlMulti::acquire_easy() {
  if (idle_easies_.empty() && !idle_configured_.empty()) {
    CURL* easy = idle_configured_.back();
    idle_configured_.pop_back();
    reset_easy(easy);
    return easy;
  }
  if (idle_easies_.empty()) {
    CURL* easy = curl_easy_init();
    if (easy) curl_easy_setopt(easy, CURLOPT_SHARE, tls_sessions_);
    return easy;
  }
  CURL* easy = idle_easies_.back();
  idle_easies_.pop_back();
  return easy;
}

CURL* CurlMulti::acquire_easy(bool& configured) {
  configured = !idle_configured_.empty();
  if (!configured) return acquire_easy();
  CURL* easy = idle_configured_.back();
  idle_configured_.pop_back();
  return easy;
}

void CurlMulti::reset_easy(CURL* easy) {
  // Reset keeps cookies: drop them so no run sees another's session.
  curl_easy_setopt(easy, CURLOPT_COOKIELIST, "ALL");
  curl_easy_reset(easy);
  // Back on the multi's session slots if a cookie jar took the handle off them (a reset keeps the share).
  curl_easy_setopt(easy, CURLOPT_SHARE, tls_sessions_);
}

void CurlMulti::release_easy(CURL* easy, bool keep_options) {
  if (!easy) return;
  if (idle_easies_.size() + idle_configured_.size() >= kMaxIdleEasies) {
    curl_easy_cleanup(easy);
    return;
  }
  if (keep_options) {
    idle_configured_.push_back(easy);
    return;
  }
  reset_easy(easy);
  idle_easies_.push_back(easy);
}

void CurlMulti::add_active(TransferSink* sink, CURL* easy) {
  sink->transfer_easy_ = easy;
  if (!easy) return;  // no handle (curl_easy_init out of memory): nothing to abandon, add_started() refuses it
  sink->active_slot_ = active_.size();
  active_.push_back(sink);
}

void CurlMulti::remove_active(TransferSink* sink) {
  if (!sink || !sink->transfer_easy_) return;
  const std::size_t slot = sink->active_slot_;
  assert(slot < active_.size() && active_[slot] == sink);
  if (slot < active_.size() && active_[slot] == sink) {
    active_[slot] = active_.back();
    active_[slot]->active_slot_ = slot;
    active_.pop_back();
  }
  sink->transfer_easy_ = nullptr;
}

void CurlMulti::start(CURL* easy, TransferSink* sink) {
  curl_easy_setopt(easy, CURLOPT_PRIVATE, sink);
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  // Connections keep these (they are copied when a connection is made), whoever uses them later.
  curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, &CurlMulti::on_open_socket);
  curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, this);
  curl_easy_setopt(easy, CURLOPT_CLOSESOCKETFUNCTION, &CurlMulti::on_close_socket);
  curl_easy_setopt(easy, CURLOPT_CLOSESOCKETDATA, this);
  if (running_++ == 0) sockets_set_.set_active(true);
  add_active(sink, easy);
  // Added to curl at once, a transfer would connect inside curl's next socket action, between the
  // answers that action handles; added together, the turn's connects go out back to back (a local target
  // woken once for all of them, not once each).
  starting_.push_back(sink);
  if (add_posted_) return;
  add_posted_ = true;
  net::post(io_, [this, alive = std::weak_ptr<void>(alive_)] {
    if (!alive.expired()) add_started();
  });
}

void CurlMulti::add_started() {
  add_posted_ = false;
  adding_.swap(starting_);
  for (TransferSink* sink : adding_) {
    const CURLMcode code = curl_multi_add_handle(multi_, sink->transfer_easy_);
    if (code == CURLM_OK) continue;
    check(code, "curl_multi_add_handle");
    remove_active(sink);
    transfer_ended();
    sink->on_transfer_done(CURLE_FAILED_INIT);  // may start another: it goes into starting_
  }
  adding_.clear();
  // Run them now, together: left to the "now" that every add asks of curl's timer (posted, after the
  // handlers already queued), they would connect inside the actions for sockets that became ready
  // meanwhile, between those sockets' answers. That posted action then finds nothing due.
  socket_action(CURL_SOCKET_TIMEOUT, 0);
}

void CurlMulti::transfer_ended() {
  if (--running_ == 0) sockets_set_.set_active(false);
}

CurlMulti::SocketState& CurlMulti::state_of(curl_socket_t fd) {
  const auto index = static_cast<std::size_t>(fd);
  if (index >= sockets_.size()) sockets_.resize(index + 1);
  return sockets_[index];
}

// The number's socket is gone (closed) or no longer ours to watch: a new generation, so events still
// queued for it are dropped, and nothing known about it.
void CurlMulti::forget(SocketState& s) { s = SocketState{s.generation + 1, 0, 0, false, false}; }

// Never closes curl's descriptor: takes it out of the set and forgets it.
void CurlMulti::let_go(curl_socket_t fd, SocketState& s) {
  if (s.in_set) sockets_set_.unwatch(fd);
  forget(s);
}

curl_socket_t CurlMulti::on_open_socket(void* self_ptr, curlsocktype, curl_sockaddr* address) {
  auto* self = static_cast<CurlMulti*>(self_ptr);
  // Close-on-exec: no child process inherits the socket, so closing it really takes it out of the set.
  const curl_socket_t fd = ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
  if (fd == CURL_SOCKET_BAD) return fd;
  // The number was free, so whatever had it is closed and out of the set: a new socket, a new generation.
  SocketState& s = self->state_of(fd);
  forget(s);
  s.ours = true;
  return fd;
}

int CurlMulti::on_close_socket(void* self_ptr, curl_socket_t fd) {
  auto* self = static_cast<CurlMulti*>(self_ptr);
  // The close takes it out of the set, with no call of ours.
  if (fd >= 0 && static_cast<std::size_t>(fd) < self->sockets_.size())
    forget(self->sockets_[static_cast<std::size_t>(fd)]);
  return ::close(fd);
}

int CurlMulti::on_socket(CURL*, curl_socket_t fd, int what, void* self_ptr, void* socket_data) {
  // The easy handle may be one of curl's internal ones: never depend on its private pointer here.
  auto* self = static_cast<CurlMulti*>(self_ptr);
  if (fd < 0) return 0;
  if (what == CURL_POLL_REMOVE) {
    if (static_cast<std::size_t>(fd) >= self->sockets_.size()) return 0;  // a socket we never saw
    SocketState& s = self->sockets_[static_cast<std::size_t>(fd)];
    if (s.ours) {
      // Curl lets go of the socket but it stays open: a connection going back to the pool, or about to be
      // closed (on_close_socket follows at once, and the close takes it out of the set for free). It stays
      // in the set as it is; an event for it meanwhile finds nothing wanted and takes it out then.
      s.want = 0;
      return 0;
    }
    // A socket curl closes itself (a resolver's): its close would not be seen, so let go of it now.
    self->let_go(fd, s);
    return 0;
  }
  SocketState& s = self->state_of(fd);
  if (!s.ours && !socket_data) {
    // A socket curl opened itself, new to curl's own table: if another such socket had the number before,
    // it was closed with no REMOVE and the close took it out of the set, so the set is told to add (or, if
    // that was wrong, to change). Marked in curl's table so its later calls are not taken for new ones.
    s.in_set = false;
    curl_multi_assign(self->multi_, fd, &self->sockets_);
  }
  s.want = what;
  self->watch_socket(fd, s);
  return 0;
}

// Makes the set's interest in `fd` what curl wants of it; failures are logged and leave curl's own
// timeout to end the transfer (returning -1 from the socket callback would abort every transfer).
void CurlMulti::watch_socket(curl_socket_t fd, SocketState& s) {
  const std::uint32_t events =
      ((s.want & CURL_POLL_IN) ? EPOLLIN : 0u) | ((s.want & CURL_POLL_OUT) ? EPOLLOUT : 0u);
  if (s.in_set && s.watched == events) return;
  if (const int error = sockets_set_.watch(fd, events, key_of(fd, s.generation), s.in_set)) {
    std::fprintf(stderr, "level=error msg=\"cannot watch socket %d: %s\"\n", static_cast<int>(fd),
                 std::strerror(error));
    s.watched = 0;  // unknown: the next call or event sets it again (in_set stays the best guess)
    return;
  }
  s.in_set = true;
  s.watched = events;
}

void CurlMulti::on_ready(void* self_ptr, std::uint64_t key, std::uint32_t events) {
  auto* self = static_cast<CurlMulti*>(self_ptr);
  const auto fd = static_cast<curl_socket_t>(key & 0xffffffffu);
  const auto generation = static_cast<std::uint32_t>(key >> 32);
  if (fd < 0 || static_cast<std::size_t>(fd) >= self->sockets_.size()) return;
  SocketState& s = self->sockets_[static_cast<std::size_t>(fd)];
  if (s.generation != generation) return;  // closed (and maybe reused) since it was reported
  if (s.want == 0 || !s.in_set) {
    // Ready while curl wants nothing of it (a pooled connection the server closed), or still in the set
    // after a change that failed: level-triggered, it would be reported on every wake-up. Out of the set
    // until curl wants it again.
    self->sockets_set_.unwatch(fd);
    s.in_set = false;
    s.watched = 0;
    if (s.want == 0) return;
    self->watch_socket(fd, s);
  }
  int mask = 0;
  const bool trouble = events & (EPOLLERR | EPOLLHUP);
  if ((s.want & CURL_POLL_IN) && ((events & EPOLLIN) || trouble)) mask |= CURL_CSELECT_IN;
  if ((s.want & CURL_POLL_OUT) && ((events & EPOLLOUT) || trouble)) mask |= CURL_CSELECT_OUT;
  if (events & EPOLLERR) mask |= CURL_CSELECT_ERR;
  if (mask == 0) {
    // Reported for a direction curl no longer wants (the set's interest is stale after a failed change).
    s.watched = 0;
    self->watch_socket(fd, s);
    return;
  }
  self->socket_action(fd, mask);
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
  // On the loop's millisecond grid (wake_grid.h): curl's timeouts share wake-ups with each other and with
  // the runs the daemon starts. curl counts in milliseconds itself, and never fires early.
  self->deadline_ = on_wake_grid(std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms));
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
    remove_active(sink);
    if (running_ > 0) transfer_ended();
    if (sink) sink->on_transfer_done(result);
  }
}

}  // namespace synthprobe
