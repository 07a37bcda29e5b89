#include "probe/engine/dns_resolver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <algorithm>
#include <cstdio>
#include <mutex>

#include "config/duration.h"

namespace synthprobe {
namespace net = boost::asio;

namespace {

void library_init_once() {
  static std::once_flag once;
  std::call_once(once, [] { ares_library_init(ARES_LIB_INIT_ALL); });
}

int family_of(config::IpVersion v) {
  switch (v) {
    case config::IpVersion::v4: return AF_INET;
    case config::IpVersion::v6: return AF_INET6;
    case config::IpVersion::any: break;
  }
  return AF_UNSPEC;
}

// Whether this host has a route to `address`: a UDP connect sends nothing, it only picks a source address
// (RFC 6724's test for an unusable destination).
bool routable(const sockaddr* address, socklen_t length) {
  const int fd = ::socket(address->sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const bool ok = ::connect(fd, address, length) == 0;
  ::close(fd);
  return ok;
}

// The address to connect to: with both families in the answer, the first IPv6 one when this host can
// reach it (RFC 6724 prefers IPv6), else the first IPv4 one; with one family, its first address.
const ares_addrinfo_node* pick_address(const ares_addrinfo_node* nodes) {
  const ares_addrinfo_node* v4 = nullptr;
  const ares_addrinfo_node* v6 = nullptr;
  for (const ares_addrinfo_node* n = nodes; n; n = n->ai_next) {
    if (n->ai_family == AF_INET && !v4) v4 = n;
    if (n->ai_family == AF_INET6 && !v6) v6 = n;
  }
  if (v4 && v6) return routable(v6->ai_addr, static_cast<socklen_t>(v6->ai_addrlen)) ? v6 : v4;
  return v4 ? v4 : v6;
}

}  // namespace

std::string describe_lookup_failure(int status, config::IpVersion ip_version) {
  switch (status) {
    case ARES_ENOTFOUND: return "no such host (NXDOMAIN)";
    case ARES_ENODATA:
      switch (ip_version) {
        case config::IpVersion::v4: return "the name has no IPv4 address (no A record)";
        case config::IpVersion::v6: return "the name has no IPv6 address (no AAAA record)";
        case config::IpVersion::any: break;
      }
      return "the name has no address (no A or AAAA record)";
    case ARES_ESERVFAIL: return "the DNS server failed (SERVFAIL)";
    case ARES_EREFUSED: return "the DNS server refused the query (REFUSED)";
    case ARES_ETIMEOUT: return "timeout: no answer from the DNS server";
    case ARES_ECONNREFUSED: return "the DNS server is unreachable (connection refused)";
    case ARES_EBADNAME: return "not a valid host name";
    case ARES_EFORMERR:
    case ARES_EBADRESP: return std::string("malformed DNS answer (") + ares_strerror(status) + ")";
    default: return ares_strerror(status);
  }
}

// One lookup, from lookup() until both its sink has heard and c-ares has called back (c-ares cannot
// cancel one query, so a lookup ended by its deadline waits here for c-ares to let go of it).
struct DnsResolver::Query {
  DnsResolver* owner = nullptr;
  DnsSink* sink = nullptr;     // null once told (or abandoned)
  std::uint64_t serial = 0;    // per use: deadline entries of an earlier use are stale
  bool in_ares = false;        // c-ares still owes its callback
  bool orphan = false;         // ... and nobody waits for it any more
  bool queued = false;         // in ready_ (answered or timed out), not yet delivered
  config::IpVersion ip_version = config::IpVersion::any;
  std::string host;
  Clock::time_point started;
  Clock::time_point deadline;
  DnsAnswer answer;
};

// A socket c-ares opened. Pending waits hold it (shared_ptr) with the generation they were armed in: once
// c-ares closes the socket the generation moves on and a late handler touches nothing.
struct DnsResolver::Watch {
  explicit Watch(net::io_context& io) : descriptor(io) {}
  net::posix::stream_descriptor descriptor;
  ares_socket_t fd = ARES_SOCKET_BAD;
  std::uint32_t generation = 0;
  bool want_read = false;
  bool want_write = false;
  bool read_armed = false;
  bool write_armed = false;
};

constexpr int kTryTimeoutMs = 2000;
constexpr int kTries = 3;

DnsResolver::DnsResolver(net::io_context& io, const Options& options)
    : io_(io), timer_(io), hosts_(HostsTable::read_file(options.hosts_file)) {
  library_init_once();
  ares_options o{};
  // No ARES_FLAG_STAYOPEN: c-ares keeps a server's socket while any lookup is pending (in a busy probe,
  // always) and closes it when none is, so an idle resolver leaves nothing registered with the loop and
  // `once` ends when its runs do.
  //
  // NOCHECKRESP: a SERVFAIL or REFUSED answer is the answer. Without it c-ares 1.18 retries it and, once
  // out of tries, reports "connection refused", hiding what the server said; a probe reports the rcode.
  //
  // Tries: kTries of kTryTimeout, doubling (2 + 4 + 8 s with one server): a lookup no check waits for any
  // more is gone within about 14 s, not c-ares' default 75 s.
  int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_LOOKUPS | ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;
  o.timeout = kTryTimeoutMs;
  o.tries = kTries;
  o.sock_state_cb = &DnsResolver::on_sock_state;
  o.sock_state_cb_data = this;
  o.flags = ARES_FLAG_NOCHECKRESP;
  // DNS only: the hosts file is our table (c-ares would re-read the file for every lookup).
  char lookups[] = "b";
  o.lookups = lookups;
  if (const int status = ares_init_options(&channel_, &o, mask); status != ARES_SUCCESS) {
    init_error_ = std::string("the resolver could not start: ") + ares_strerror(status);
    channel_ = nullptr;
    return;
  }
  if (!options.servers.empty()) {
    std::string csv;
    for (const auto& s : options.servers) {
      if (!csv.empty()) csv += ',';
      csv += s;
    }
    if (const int status = ares_set_servers_ports_csv(channel_, csv.c_str()); status != ARES_SUCCESS) {
      init_error_ = "dns_servers " + csv + " not usable: " + ares_strerror(status);
      ares_destroy(channel_);
      channel_ = nullptr;
    }
  }
}

DnsResolver::~DnsResolver() {
  destroying_ = true;
  // c-ares calls back every query it holds (ARES_EDESTRUCTION) and reports its sockets closed.
  if (channel_) ares_destroy(channel_);
  channel_ = nullptr;
  for (auto& watch : watches_) release(*watch);
  watches_.clear();
  for (auto& q : queries_) {
    if (!q->sink) continue;
    DnsSink* sink = q->sink;
    q->sink = nullptr;
    sink->on_lookup_abandoned();
  }
  timer_.cancel();
}

DnsResolver::Query* DnsResolver::take_query() {
  if (!idle_.empty()) {
    Query* q = idle_.back();
    idle_.pop_back();
    return q;
  }
  queries_.push_back(std::make_unique<Query>());
  queries_.back()->owner = this;
  return queries_.back().get();
}

void DnsResolver::recycle(Query* q) {
  q->answer.address.clear();
  q->answer.error.clear();
  idle_.push_back(q);
}

void DnsResolver::lookup(std::string_view host, config::IpVersion ip_version, Clock::time_point deadline,
                         DnsSink* sink) {
  Query* q = take_query();
  ++q->serial;
  ++pending_;
  q->sink = sink;
  q->ip_version = ip_version;
  q->host.assign(host);
  q->started = Clock::now();
  q->deadline = deadline;
  q->answer.ok = false;
  q->answer.deadline_reached = false;
  q->answer.ttl = std::chrono::seconds(0);
  q->answer.ipv6 = false;
  if (const std::string_view known = hosts_.find(host, ip_version); !known.empty()) {
    q->answer.ok = true;
    q->answer.address.assign(known);
    q->answer.ipv6 = known.find(':') != std::string_view::npos;
    make_ready(q);
    return after_activity();
  }
  if (!channel_) {
    q->answer.error = init_error_;
    make_ready(q);
    return after_activity();
  }
  deadlines_.push({deadline, q, q->serial});
  q->in_ares = true;  // c-ares owes its callback from now on (send_started() hands it over)
  ++in_ares_;
  // The lookups started in one turn of the loop go to c-ares together, right after it: their queries
  // leave back to back, so a resolver that was asleep is woken once for all of them, not once each.
  starting_.push_back(q);
  if (!send_posted_) {
    send_posted_ = true;
    net::post(io_, [this, alive = std::weak_ptr<void>(alive_)] {
      if (!alive.expired()) send_started();
    });
  }
  after_activity();
}

void DnsResolver::send_started() {
  send_posted_ = false;
  sending_.swap(starting_);
  for (Query* q : sending_) {
    ares_addrinfo_hints hints{};
    hints.ai_family = family_of(q->ip_version);
    // c-ares' RFC 6724 sort opens, connects and closes a socket per address of every answer; pick_address
    // does what matters of it for a probe only when an answer has both families.
    hints.ai_flags = ARES_AI_NOSORT;
    // Even one whose deadline passed meanwhile (delivered, now an orphan): c-ares' callback recycles it.
    ares_getaddrinfo(channel_, q->host.c_str(), nullptr, &hints, &DnsResolver::on_answer, q);
  }
  sending_.clear();
  after_activity();
}

void DnsResolver::on_answer(void* arg, int status, int, ares_addrinfo* result) {
  auto* q = static_cast<Query*>(arg);
  DnsResolver* self = q->owner;
  q->in_ares = false;
  --self->in_ares_;
  if (std::exchange(q->orphan, false)) --self->orphans_;
  if (q->sink && !q->queued && !self->destroying_) {
    DnsAnswer& a = q->answer;
    if (status == ARES_SUCCESS && result) {
      const ares_addrinfo_node* first = pick_address(result->nodes);
      int ttl = -1;
      for (const ares_addrinfo_node* n = result->nodes; n; n = n->ai_next)
        if (ttl < 0 || n->ai_ttl < ttl) ttl = n->ai_ttl;
      char text[INET6_ADDRSTRLEN] = {};
      if (first && first->ai_family == AF_INET) {
        inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(first->ai_addr)->sin_addr, text, sizeof text);
      } else if (first && first->ai_family == AF_INET6) {
        inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(first->ai_addr)->sin6_addr, text, sizeof text);
        a.ipv6 = true;
      }
      if (text[0]) {
        a.ok = true;
        a.address = text;
        a.ttl = std::chrono::seconds(std::max(ttl, 0));
      } else {
        a.error = describe_lookup_failure(ARES_ENODATA, q->ip_version);
      }
    } else {
      a.error = describe_lookup_failure(status, q->ip_version);
    }
    self->make_ready(q);
  }
  if (result) ares_freeaddrinfo(result);
  // Already told (its deadline passed) and now let go of by c-ares: nobody holds it any more.
  if (!q->sink && !q->queued) self->recycle(q);
}

void DnsResolver::make_ready(Query* q) {
  q->queued = true;
  ready_.push_back(q);
}

void DnsResolver::deliver_ready() {
  delivering_.swap(ready_);
  for (Query* q : delivering_) {
    q->queued = false;
    DnsSink* sink = std::exchange(q->sink, nullptr);
    --pending_;
    // The sink may start lookups of its own: q is not reused until it is recycled below.
    if (sink) sink->on_resolved(q->answer);
    if (!q->in_ares) {
      recycle(q);
    } else {  // its deadline passed: c-ares still retries it for nobody
      q->orphan = true;
      ++orphans_;
    }
  }
  delivering_.clear();
  cancel_orphans();
}

// c-ares 1.18 cannot cancel one query, only all of them. Whenever every query it holds has been given up
// (timed out), cancel them all: otherwise they keep retrying for nobody (kTryTimeoutMs, doubling, kTries
// times) and hold the loop open, so `once` against a silent server would not end with its runs. Checked
// after every delivery, whichever query it was; in a probe that always has lookups waiting, kTries bounds
// how long an orphan lives.
void DnsResolver::cancel_orphans() {
  if (channel_ && orphans_ > 0 && orphans_ == in_ares_) ares_cancel(channel_);  // their callbacks recycle them
}

void DnsResolver::after_activity() {
  if (!ready_.empty() && !delivery_posted_) {
    delivery_posted_ = true;
    net::post(io_, [this, alive = std::weak_ptr<void>(alive_)] {
      if (alive.expired()) return;
      delivery_posted_ = false;
      deliver_ready();
      after_activity();
    });
  }
  // Deadlines of lookups already answered are stale: drop them from the top, so no wake-up is spent on them.
  while (!deadlines_.empty()) {
    const Deadline& d = deadlines_.top();
    if (d.query->serial == d.serial && d.query->sink && !d.query->queued) break;
    deadlines_.pop();
  }
  std::optional<Clock::time_point> next;
  if (!deadlines_.empty()) next = deadlines_.top().at;
  if (channel_) {
    timeval tv{};
    if (ares_timeout(channel_, nullptr, &tv)) {
      const auto at = Clock::now() + std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec);
      if (!next || at < *next) next = at;
    }
  }
  if (!next) {
    if (timer_expiry_) {
      timer_expiry_.reset();
      timer_.cancel();
    }
    return;
  }
  // Only ever move the timer earlier: a wake-up that comes too early just finds nothing due.
  if (!timer_expiry_ || *next < *timer_expiry_) arm_timer(*next);
}

void DnsResolver::arm_timer(Clock::time_point at) {
  timer_expiry_ = at;
  timer_.expires_at(at);
  timer_.async_wait([this, alive = std::weak_ptr<void>(alive_)](boost::system::error_code ec) {
    if (ec == net::error::operation_aborted || alive.expired()) return;
    timer_expiry_.reset();
    if (channel_) ares_process_fd(channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // c-ares' retries and timeouts
    expire_deadlines(Clock::now());
    after_activity();
  });
}

void DnsResolver::expire_deadlines(Clock::time_point now) {
  while (!deadlines_.empty() && deadlines_.top().at <= now) {
    const Deadline d = deadlines_.top();
    deadlines_.pop();
    Query* q = d.query;
    if (q->serial != d.serial || !q->sink || q->queued) continue;
    const auto waited = std::chrono::duration_cast<config::Duration>(q->deadline - q->started);
    q->answer.error = "timeout: no answer within " + config::format_duration(waited);
    q->answer.deadline_reached = true;
    make_ready(q);
  }
}

void DnsResolver::on_sock_state(void* self_ptr, ares_socket_t fd, int readable, int writable) {
  auto* self = static_cast<DnsResolver*>(self_ptr);
  auto it = std::find_if(self->watches_.begin(), self->watches_.end(), [fd](const auto& w) { return w->fd == fd; });
  if (!readable && !writable) {
    // c-ares closes the socket right after this: stop watching it, never close it ourselves.
    if (it == self->watches_.end()) return;
    self->release(**it);
    self->watches_.erase(it);
    return;
  }
  if (it == self->watches_.end()) {
    auto watch = std::make_shared<Watch>(self->io_);
    boost::system::error_code ec;
    watch->descriptor.assign(fd, ec);
    if (ec) {
      // The lookup's deadline ends it; nothing else to do.
      std::fprintf(stderr, "level=error msg=\"cannot watch resolver socket %d: %s\"\n", static_cast<int>(fd),
                   ec.message().c_str());
      return;
    }
    watch->fd = fd;
    self->watches_.push_back(std::move(watch));
    it = std::prev(self->watches_.end());
  }
  const std::shared_ptr<Watch> watch = *it;
  watch->want_read = readable != 0;
  watch->want_write = writable != 0;
  if (watch->want_read) self->arm(watch, false);
  if (watch->want_write) self->arm(watch, true);
}

void DnsResolver::arm(const std::shared_ptr<Watch>& watch, bool for_write) {
  bool& armed = for_write ? watch->write_armed : watch->read_armed;
  if (armed) return;  // one pending wait per direction
  armed = true;
  watch->descriptor.async_wait(
      for_write ? net::posix::stream_descriptor::wait_write : net::posix::stream_descriptor::wait_read,
      [this, watch, generation = watch->generation, for_write](boost::system::error_code ec) {
        if (watch->generation != generation) return;  // closed meanwhile (the resolver may be gone too)
        (for_write ? watch->write_armed : watch->read_armed) = false;
        if (ec == net::error::operation_aborted) return;
        if (!(for_write ? watch->want_write : watch->want_read)) return;
        // An error on the socket is c-ares' to find: its read or write fails and it moves on.
        const ares_socket_t fd = watch->fd;
        ares_process_fd(channel_, for_write ? ARES_SOCKET_BAD : fd, for_write ? fd : ARES_SOCKET_BAD);
        if (watch->generation == generation && (for_write ? watch->want_write : watch->want_read))
          arm(watch, for_write);
        after_activity();
      });
}

void DnsResolver::release(Watch& watch) {
  ++watch.generation;
  watch.want_read = watch.want_write = false;
  watch.read_armed = watch.write_armed = false;
  boost::system::error_code ignored;
  watch.descriptor.cancel(ignored);
  watch.descriptor.release();
}

}  // namespace synthprobe
