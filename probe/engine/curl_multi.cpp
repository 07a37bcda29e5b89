#include "probe/engine/curl_multi.h"

#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <cassert>
#include <cstdint>
#include <cstdio>
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

// Per-descriptor-number state, reused by every socket that gets the number. Pending handlers hold it
// (shared_ptr) and the generation they were armed in: a REMOVE or close that arrives while a wait is
// pending, or inside the socket_action that a handler is running, bumps the generation and the handler
// then touches nothing else (not even the CurlMulti, which may be gone).
//
// Readiness: asio registers descriptors edge-triggered, and curl may stop reading before a socket is
// drained (it bounds its read loop), so an edge can be spent while no wait is pending. No poll() is
// needed for that: every async_wait of Boost.Asio's epoll reactor re-arms the descriptor with
// EPOLL_CTL_MOD, which makes the kernel re-check readiness and report the descriptor at once if it is
// ready now (tests: a 3 MiB body, keep-alive reuse). So a wait is armed only while curl wants the
// direction, and it costs one system call, the same as the poll() it replaces, which then also needed a
// MOD when the socket was not ready yet.
struct CurlMulti::SocketWatch {
  explicit SocketWatch(net::io_context& io) : descriptor(io) {}
  net::posix::stream_descriptor descriptor;
  curl_socket_t fd = CURL_SOCKET_BAD;
  std::uint32_t generation = 0;
  int want = 0;  // CURL_POLL_IN / CURL_POLL_OUT bits
  bool read_armed = false;
  bool write_armed = false;
  bool assigned = false;  // registered with the reactor
  bool ours = false;      // opened by on_open_socket: its close comes through on_close_socket
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
  for (auto& watch : watches_)
    if (watch) release_watch(*watch);
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

void CurlMulti::add_active(TransferSink* sink, CURL* easy) {
  sink->transfer_easy_ = easy;
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

bool CurlMulti::start(CURL* easy, TransferSink* sink) {
  curl_easy_setopt(easy, CURLOPT_PRIVATE, sink);
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  // Connections keep these (they are copied when a connection is made), whoever uses them later.
  curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, &CurlMulti::on_open_socket);
  curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, this);
  curl_easy_setopt(easy, CURLOPT_CLOSESOCKETFUNCTION, &CurlMulti::on_close_socket);
  curl_easy_setopt(easy, CURLOPT_CLOSESOCKETDATA, this);
  const CURLMcode code = curl_multi_add_handle(multi_, easy);
  check(code, "curl_multi_add_handle");
  if (code == CURLM_OK) {
    ++running_;
    add_active(sink, easy);
  }
  return code == CURLM_OK;
}

void CurlMulti::cancel(CURL* easy) {
  TransferSink* sink = nullptr;
  curl_easy_getinfo(easy, CURLINFO_PRIVATE, &sink);
  remove_active(sink);
  if (curl_multi_remove_handle(multi_, easy) == CURLM_OK && running_ > 0) --running_;
}

CurlMulti::SocketWatch* CurlMulti::watch_of(curl_socket_t fd) const {
  if (fd < 0 || static_cast<std::size_t>(fd) >= watches_.size()) return nullptr;
  return watches_[static_cast<std::size_t>(fd)].get();
}

// Never closes curl's descriptor: stops waiting, deregisters it and hands it back. Handlers still
// pending see the new generation and leave.
void CurlMulti::release_watch(SocketWatch& watch) {
  ++watch.generation;
  watch.want = 0;
  watch.read_armed = watch.write_armed = false;
  watch.ours = false;
  if (!watch.assigned) return;
  watch.assigned = false;
  boost::system::error_code ignored;
  watch.descriptor.cancel(ignored);
  watch.descriptor.release();
}

curl_socket_t CurlMulti::on_open_socket(void* self_ptr, curlsocktype, curl_sockaddr* address) {
  auto* self = static_cast<CurlMulti*>(self_ptr);
  // Close-on-exec: no child process inherits the socket, so closing it really ends its epoll registration.
  const curl_socket_t fd = ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
  if (fd == CURL_SOCKET_BAD) return fd;
  const auto index = static_cast<std::size_t>(fd);
  if (index >= self->watches_.size()) self->watches_.resize(index + 1);
  auto& watch = self->watches_[index];
  if (!watch) watch = std::make_shared<SocketWatch>(self->io_);
  // The number was free, so whatever was watched under it is gone (closed behind our back): forget it.
  if (watch->assigned) self->release_watch(*watch);
  watch->ours = true;
  return fd;
}

int CurlMulti::on_close_socket(void* self_ptr, curl_socket_t fd) {
  auto* self = static_cast<CurlMulti*>(self_ptr);
  if (SocketWatch* watch = self->watch_of(fd)) self->release_watch(*watch);
  return ::close(fd);
}

int CurlMulti::on_socket(CURL*, curl_socket_t fd, int what, void* self_ptr, void* watch_ptr) {
  // The easy handle may be one of curl's internal ones: never depend on its private pointer here.
  auto* self = static_cast<CurlMulti*>(self_ptr);
  if (what == CURL_POLL_REMOVE) {
    if (!watch_ptr) return 0;  // a socket we never saw
    SocketWatch* watch = self->watch_of(fd);
    if (!watch || !watch->assigned) return 0;
    if (watch->ours) {
      // Curl lets go of the socket but it stays open: a connection going back to the pool, or about to be
      // closed (on_close_socket follows at once). Keep it registered, so a re-add of the same socket (curl
      // does this a lot) costs no deregistration and registration; a wait still pending finds nothing
      // wanted and ends.
      watch->want = 0;
      return 0;
    }
    // A socket curl closes itself (a resolver's): its close would not be seen, so let go of it now.
    self->release_watch(*watch);
    return 0;
  }
  if (fd < 0) return 0;
  const auto index = static_cast<std::size_t>(fd);
  if (index >= self->watches_.size()) self->watches_.resize(index + 1);
  auto& watch = self->watches_[index];
  if (!watch) watch = std::make_shared<SocketWatch>(self->io_);
  if (watch->assigned && !watch->ours && !watch_ptr) {
    // A socket curl opened itself (a resolver's) that curl no longer knows as ours: it was closed without
    // a REMOVE and its number reused. Its registration went with the close; register the new one afresh.
    self->release_watch(*watch);
  }
  if (!watch->assigned) {
    boost::system::error_code ec;
    watch->descriptor.assign(fd, ec);
    if (ec) {
      std::fprintf(stderr, "level=error msg=\"cannot watch socket %d: %s\"\n", static_cast<int>(fd),
                   ec.message().c_str());
      return 0;  // curl's own timeout will end that transfer; -1 would abort every transfer
    }
    watch->assigned = true;
    watch->fd = fd;
    if (watch_ptr != watch.get()) curl_multi_assign(self->multi_, fd, watch.get());
  } else if (!watch_ptr) {
    curl_multi_assign(self->multi_, fd, watch.get());  // a parked socket curl hands back
  }
  watch->want = what;
  if (what & CURL_POLL_IN) self->arm(watch, false);
  if (what & CURL_POLL_OUT) self->arm(watch, true);
  return 0;
}

void CurlMulti::arm(const std::shared_ptr<SocketWatch>& watch, bool for_write) {
  bool& armed = for_write ? watch->write_armed : watch->read_armed;
  if (armed) return;  // asio waits fire once; one pending wait per direction is enough
  armed = true;
  watch->descriptor.async_wait(
      for_write ? net::posix::stream_descriptor::wait_write : net::posix::stream_descriptor::wait_read,
      [this, watch, generation = watch->generation, for_write](boost::system::error_code ec) {
        if (watch->generation != generation) return;  // released (and maybe reused) meanwhile
        (for_write ? watch->write_armed : watch->read_armed) = false;
        if (ec == net::error::operation_aborted) return;
        const int direction = for_write ? CURL_POLL_OUT : CURL_POLL_IN;
        if (!(watch->want & direction)) return;  // curl no longer cares about this direction
        socket_action(watch->fd, ec ? CURL_CSELECT_ERR : (for_write ? CURL_CSELECT_OUT : CURL_CSELECT_IN));
        if (watch->generation != generation) return;  // curl let go of it inside socket_action
        if (watch->want & direction) arm(watch, for_write);
      });
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
    if (running_ > 0) --running_;
    if (sink) sink->on_transfer_done(result);
  }
}

}  // namespace synthprobe
