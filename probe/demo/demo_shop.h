#pragma once
// An embedded demo web shop (HTTP/1.1, Boost.Beast) for `synthprobe demo` and for tests: a storefront,
// a product page with a CSRF token and a session cookie, a cart and checkout API, a GraphQL payment
// endpoint and a health endpoint, with a scripted outage timeline (demo_script.h) that breaks parts of it.
//
// The shop runs on the caller's io_context (which may also run the probe's checks); every handler runs
// on a strand of it, so several threads may run that io_context. The control functions below are
// thread-safe. The listening socket is bound in the constructor, so port() is known before the
// io_context runs.
//
// Pages:
//   GET    /                 home (HTML, "Add to cart", links to /product/<id>)
//   GET    /search?q=...     results (HTML)
//   GET    /product/<id>     product page (HTML) with <input type="hidden" name="csrf" value="...">;
//                            sets `session=<random>; Path=/; HttpOnly` unless the request has a live session
//   POST   /cart             form csrf=...&sku=42; needs the session cookie and its csrf (else 403);
//                            answers {"cart":{"id":"c-<n>","items":1}}
//   POST   /hooks/team       a webhook receiver for the demo's notifier "team": counts synthprobe's
//                            webhook events (400 for anything else); see DemoShopStatus
//   GET    /api/cart/<id>    the cart as JSON (session required, 403; another session's cart, 404)
//   DELETE /cart/<id>        204 (session required)
//   POST   /checkout/address JSON body (session required)
//   POST   /graphql          {"data":{"addPaymentToOrder":{"__typename":"Order","id":"o-<n>"}}}
//   GET    /api/health       {"status":"UP"}
// Sessions and carts live in memory, each bounded: beyond the limit the oldest is forgotten.

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "probe/demo/demo_script.h"

namespace synthprobe::demo {

struct DemoShopOptions {
  std::string address = "127.0.0.1";  // an IP literal
  unsigned short port = 0;             // 0: an ephemeral port (see DemoShop::port())
  DemoScript script = DemoScript::standard();
  std::size_t max_sessions = 10000;
  std::size_t max_carts = 10000;
};

// What a terminal live view shows.
struct DemoShopStatus {
  DemoPhase phase;                        // in effect now (the override, or the script's phase)
  std::string phase_name;                 // describe(phase)
  std::chrono::milliseconds remaining{};  // until the script's next change; meaningless when overridden
  bool overridden = false;
  bool accepting = false;  // the listening socket is open
  std::size_t sessions = 0;
  std::size_t carts = 0;
  std::uint64_t requests = 0;  // answered since start
  std::uint64_t team_messages = 0;  // webhook events POSTed to /hooks/team (the demo's incident team)
  std::string last_team_message;    // "<event>: <incident summary>" of the latest
};

class DemoShop {
 public:
  // Binds and listens now; serves once `io` runs. Throws boost::system::system_error when the address
  // is not an IP literal or cannot be bound (for example, the port is taken).
  DemoShop(boost::asio::io_context& io, DemoShopOptions options = {});
  // Stops (see stop()). Safe while `io` still runs: pending handlers keep the shop's state alive.
  ~DemoShop();
  DemoShop(const DemoShop&) = delete;
  DemoShop& operator=(const DemoShop&) = delete;

  // The bound port; stays the same across `down` phases.
  unsigned short port() const;
  // "http://ADDRESS:PORT" + path.
  std::string url(std::string_view path = "/") const;

  // Replaces the timeline and restarts its clock at 0.
  void set_script(DemoScript script);
  // Forces a phase until cleared, whatever the script says. `delay` is for slow.
  void set_phase_override(DemoPhaseKind kind, std::chrono::milliseconds delay = std::chrono::milliseconds(1500));
  void clear_phase_override();

  // describe() of the phase in effect, e.g. "checkout API 503".
  std::string current_phase_name() const;
  DemoShopStatus status() const;

  // True while the listening socket is open. A change of phase to or from `down` takes effect on the
  // io_context shortly after the call that caused it; tests wait for this to flip.
  bool accepting() const;

  // Graceful: closes the listening socket and idle keep-alive connections, answers requests already
  // read (a slow phase's delay is cut short) and then closes those connections too. Once the pending
  // work is done the shop leaves nothing on the io_context, so `io.run()` can return. Not restartable.
  void stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace synthprobe::demo
