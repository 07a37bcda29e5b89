#pragma once
// Host names looked up with c-ares on the check loop's io_context, on its one thread: no thread per
// lookup (libcurl's threaded resolver starts one). c-ares says which sockets it wants watched
// (ARES_OPT_SOCK_STATE_CB) and when it next needs the time (ares_timeout); asio waits for exactly that and
// hands readiness back (ares_process_fd). Names in the hosts file are answered from a table read at start.
//
// Every lookup has a deadline (what is left of its run's timeout): a resolver that never answers ends the
// lookup then, whatever c-ares' own retry schedule. Answers always arrive through the io_context, never
// inside lookup() or inside a c-ares call, so a sink may start the next lookup from its callback.

#include <ares.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <vector>

#include "config/config_model.h"
#include "probe/engine/hosts_table.h"

namespace synthprobe {

struct DnsAnswer {
  bool ok = false;
  std::string address;  // an IP literal, IPv6 without brackets
  bool ipv6 = false;
  std::chrono::seconds ttl{0};  // the smallest TTL of the answer's records; 0 from the hosts file
  std::string error;  // when !ok: what the resolver answered, in words ("no such host (NXDOMAIN)")
  bool deadline_reached = false;  // !ok because the lookup's deadline passed without an answer
};

// Hears the end of one lookup. Lives until on_resolved or on_lookup_abandoned is called.
class DnsSink {
 public:
  virtual void on_resolved(const DnsAnswer& answer) = 0;
  // The resolver is going away with the lookup unanswered: free what the lookup's owner holds, report nothing.
  virtual void on_lookup_abandoned() = 0;

 protected:
  ~DnsSink() = default;
};

class DnsResolver {
 public:
  using Clock = std::chrono::steady_clock;
  struct Options {
    std::vector<std::string> servers;  // "127.0.0.1:5353", "[::1]:53"; empty: the nameservers of resolv.conf
    std::string hosts_file = "/etc/hosts";
  };

  DnsResolver(boost::asio::io_context& io, const Options& options);
  // Lookups still pending are abandoned: their sinks hear on_lookup_abandoned.
  ~DnsResolver();
  DnsResolver(const DnsResolver&) = delete;
  DnsResolver& operator=(const DnsResolver&) = delete;

  // Looks `host` up for `ip_version`; `sink` hears the answer on the io_context, at the latest at `deadline`.
  void lookup(std::string_view host, config::IpVersion ip_version, Clock::time_point deadline, DnsSink* sink);

  // Lookups whose sinks have not heard yet.
  std::size_t pending() const { return pending_; }

 private:
  struct Query;
  struct Watch;
  struct Deadline {
    Clock::time_point at;
    Query* query;
    std::uint64_t serial;
    bool operator>(const Deadline& o) const { return at > o.at; }
  };

  static void on_sock_state(void* self, ares_socket_t fd, int readable, int writable);
  static void on_answer(void* query, int status, int timeouts, ares_addrinfo* result);
  Query* take_query();
  void recycle(Query* q);
  void send_started();
  void make_ready(Query* q);
  void deliver_ready();
  void cancel_orphans();
  void arm(const std::shared_ptr<Watch>& watch, bool for_write);
  void release(Watch& watch);
  void expire_deadlines(Clock::time_point now);
  void after_activity();
  void arm_timer(Clock::time_point at);

  boost::asio::io_context& io_;
  boost::asio::steady_timer timer_;
  std::optional<Clock::time_point> timer_expiry_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // posted handlers check it outlived us
  ares_channel channel_ = nullptr;
  std::string init_error_;  // why there is no channel
  HostsTable hosts_;
  std::vector<std::shared_ptr<Watch>> watches_;  // c-ares has a handful of sockets: a list is enough
  std::vector<std::unique_ptr<Query>> queries_;  // every query object, pending or idle
  std::vector<Query*> idle_;
  std::vector<Query*> ready_;  // answered, waiting for delivery
  std::vector<Query*> starting_;  // looked up in this turn of the loop, not yet handed to c-ares
  std::vector<Query*> sending_;   // send_started()'s batch (kept for its capacity)
  bool send_posted_ = false;
  std::vector<Query*> delivering_;
  bool delivery_posted_ = false;
  bool destroying_ = false;
  std::size_t pending_ = 0;
  std::size_t in_ares_ = 0;  // queries c-ares still owes a callback
  std::size_t orphans_ = 0;  // of those, the ones nobody waits for any more (their deadline passed)
  std::priority_queue<Deadline, std::vector<Deadline>, std::greater<>> deadlines_;
};

// The words for a failed lookup's c-ares status, e.g. "no such host (NXDOMAIN)".
std::string describe_lookup_failure(int ares_status, config::IpVersion ip_version);

}  // namespace synthprobe
