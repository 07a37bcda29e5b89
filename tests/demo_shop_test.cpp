// The demo shop as a user of `synthprobe demo` sees it: its pages and checkout API over real HTTP on
// 127.0.0.1, each scripted fault (forced with the override, so nothing rides on timing luck), the pure
// outage timeline, and config/examples/demo.toml run by the engine against the shop.
#include <doctest/doctest.h>

#include <curl/curl.h>

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <strings.h>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "config/config_loader.h"
#include "probe/demo/demo_script.h"
#include "probe/demo/demo_shop.h"
#include "probe/engine/run_once.h"
#include "tests/support/deploy_files.h"

using namespace synthprobe;
using namespace synthprobe::demo;
using namespace std::chrono_literals;
using std::chrono::milliseconds;

namespace {

DemoShopOptions healthy_shop() {
  DemoShopOptions o;
  o.script = DemoScript{};
  return o;
}

// A shop on an io_context of its own thread.
struct RunningShop {
  explicit RunningShop(DemoShopOptions options = healthy_shop())
      : shop(std::make_unique<DemoShop>(io, std::move(options))), thread([this] { io.run(); }) {}
  ~RunningShop() {
    shop->stop();
    io.stop();
    thread.join();
  }
  std::string url(std::string_view path = "/") const { return shop->url(path); }

  boost::asio::io_context io;
  std::unique_ptr<DemoShop> shop;
  std::thread thread;
};

struct Reply {
  CURLcode code = CURLE_OK;
  long status = 0;
  std::string body;
  std::vector<std::string> headers;  // raw header lines
  long new_connections = 0;
  milliseconds elapsed{0};

  std::string header(std::string_view name) const {
    for (const std::string& line : headers) {
      if (line.size() <= name.size() || line[name.size()] != ':') continue;
      if (strncasecmp(line.data(), name.data(), name.size()) != 0) continue;
      std::string value = line.substr(name.size() + 1);
      value.erase(0, value.find_first_not_of(' '));
      value.erase(value.find_last_not_of("\r\n ") + 1);
      return value;
    }
    return "";
  }
};

struct RequestSpec {
  std::string method = "GET";
  std::string url;
  std::string body;
  std::string content_type;
  std::string cookie;  // "session=..."
};

// One easy handle, so consecutive requests may reuse its connection (keep-alive).
class Client {
 public:
  Client() : easy_(curl_easy_init()) { REQUIRE(easy_ != nullptr); }
  ~Client() { curl_easy_cleanup(easy_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  Reply send(const RequestSpec& spec) {
    Reply reply;
    curl_easy_reset(easy_);
    curl_easy_setopt(easy_, CURLOPT_URL, spec.url.c_str());
    curl_easy_setopt(easy_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy_, CURLOPT_TIMEOUT_MS, 20000L);
    curl_easy_setopt(easy_, CURLOPT_PROXY, "");
    curl_easy_setopt(easy_, CURLOPT_WRITEFUNCTION, &Client::on_body);
    curl_easy_setopt(easy_, CURLOPT_WRITEDATA, &reply.body);
    curl_easy_setopt(easy_, CURLOPT_HEADERFUNCTION, &Client::on_header);
    curl_easy_setopt(easy_, CURLOPT_HEADERDATA, &reply.headers);
    if (!spec.cookie.empty()) curl_easy_setopt(easy_, CURLOPT_COOKIE, spec.cookie.c_str());
    curl_slist* headers = nullptr;
    if (!spec.content_type.empty()) {
      const std::string h = "Content-Type: " + spec.content_type;
      headers = curl_slist_append(headers, h.c_str());
      curl_easy_setopt(easy_, CURLOPT_HTTPHEADER, headers);
    }
    if (spec.method == "POST") {
      curl_easy_setopt(easy_, CURLOPT_POSTFIELDS, spec.body.c_str());
      curl_easy_setopt(easy_, CURLOPT_POSTFIELDSIZE, static_cast<long>(spec.body.size()));
    } else if (spec.method != "GET") {
      curl_easy_setopt(easy_, CURLOPT_CUSTOMREQUEST, spec.method.c_str());
    }
    const auto start = std::chrono::steady_clock::now();
    reply.code = curl_easy_perform(easy_);
    reply.elapsed = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start);
    curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &reply.status);
    curl_easy_getinfo(easy_, CURLINFO_NUM_CONNECTS, &reply.new_connections);
    curl_slist_free_all(headers);
    return reply;
  }

  Reply get(const std::string& url, const std::string& cookie = "") { return send({"GET", url, "", "", cookie}); }

 private:
  static size_t on_body(char* data, size_t size, size_t n, void* out) {
    static_cast<std::string*>(out)->append(data, size * n);
    return size * n;
  }
  static size_t on_header(char* data, size_t size, size_t n, void* out) {
    static_cast<std::vector<std::string>*>(out)->emplace_back(data, size * n);
    return size * n;
  }

  CURL* easy_;
};

Reply fetch(const RequestSpec& spec) {
  Client c;
  return c.send(spec);
}

Reply get(const std::string& url, const std::string& cookie = "") { return fetch({"GET", url, "", "", cookie}); }

std::string csrf_of(const std::string& html) {
  const std::string marker = "name=\"csrf\" value=\"";
  const auto at = html.find(marker);
  if (at == std::string::npos) return "";
  const auto start = at + marker.size();
  return html.substr(start, html.find('"', start) - start);
}

// "session=abc" from "session=abc; Path=/; HttpOnly".
std::string cookie_pair(const std::string& set_cookie) { return set_cookie.substr(0, set_cookie.find(';')); }

struct Visit {
  std::string cookie;
  std::string csrf;
};

Visit visit_product(const RunningShop& s) {
  const Reply r = get(s.url("/product/42"));
  REQUIRE(r.code == CURLE_OK);
  REQUIRE(r.status == 200);
  return {cookie_pair(r.header("Set-Cookie")), csrf_of(r.body)};
}

Reply add_to_cart(const RunningShop& s, const Visit& v, const std::string& csrf) {
  return fetch({"POST", s.url("/cart"), "csrf=" + csrf + "&sku=42", "application/x-www-form-urlencoded", v.cookie});
}

Reply pay(const RunningShop& s) {
  return fetch({"POST", s.url("/graphql"), R"({"query":"mutation { addPaymentToOrder { __typename } }"})",
                "application/json", ""});
}

// Waits for a condition the shop's io thread makes true soon; fails the test after a generous deadline.
bool eventually(const std::function<bool()>& condition) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(2ms);
  }
  return condition();
}

}  // namespace

// ---------------------------------------------------------------------------------------------------
// The outage timeline, pure.

TEST_CASE("script: the phase at a given time, gaps healthy, and looping") {
  const DemoScript script({{200ms, 200ms, DemoPhaseKind::checkout_503, 0ms},
                           {600ms, 200ms, DemoPhaseKind::slow, 150ms}},
                          1000ms);
  CHECK(script.period() == 1000ms);
  CHECK(script.phase_at(0ms).kind == DemoPhaseKind::healthy);
  CHECK(script.phase_at(199ms).kind == DemoPhaseKind::healthy);
  CHECK(script.phase_at(200ms).kind == DemoPhaseKind::checkout_503);
  CHECK(script.phase_at(399ms).kind == DemoPhaseKind::checkout_503);
  CHECK(script.phase_at(400ms).kind == DemoPhaseKind::healthy);
  CHECK(script.phase_at(650ms).kind == DemoPhaseKind::slow);
  CHECK(script.phase_at(650ms).delay == 150ms);
  CHECK(script.phase_at(900ms).kind == DemoPhaseKind::healthy);
  // Looping: the next period repeats, however many periods later.
  CHECK(script.phase_at(1250ms).kind == DemoPhaseKind::checkout_503);
  CHECK(script.phase_at(std::chrono::hours(1) + 650ms).kind == DemoPhaseKind::slow);
  // Negative elapsed time counts as the start.
  CHECK(script.phase_at(-5s).kind == DemoPhaseKind::healthy);

  const ScriptPosition gap = script.at(450ms);
  CHECK(gap.phase.start == 400ms);
  CHECK(gap.phase.duration == 200ms);
  CHECK(gap.remaining == 150ms);
  CHECK(gap.cycle_offset == 450ms);
  CHECK(script.at(250ms).remaining == 150ms);
  CHECK(script.at(1850ms).remaining == 150ms);  // the trailing gap runs to the period's end
}

TEST_CASE("script: the period defaults to the last phase's end; phases past the period are clipped") {
  const DemoScript implicit({{0ms, 100ms, DemoPhaseKind::down, 0ms}, {100ms, 100ms, DemoPhaseKind::payment_errors, 0ms}});
  CHECK(implicit.period() == 200ms);
  CHECK(implicit.phase_at(50ms).kind == DemoPhaseKind::down);
  CHECK(implicit.phase_at(150ms).kind == DemoPhaseKind::payment_errors);
  CHECK(implicit.phase_at(250ms).kind == DemoPhaseKind::down);

  const DemoScript clipped({{50ms, 500ms, DemoPhaseKind::down, 0ms}, {200ms, 10ms, DemoPhaseKind::slow, 1ms}}, 100ms);
  CHECK(clipped.phases().size() == 1);
  CHECK(clipped.phases()[0].duration == 50ms);
  CHECK(clipped.phase_at(99ms).kind == DemoPhaseKind::down);
  CHECK(clipped.phase_at(100ms).kind == DemoPhaseKind::healthy);
}

TEST_CASE("script: overlapping phases, the first listed wins until it ends") {
  const DemoScript script({{100ms, 100ms, DemoPhaseKind::down, 0ms}, {0ms, 300ms, DemoPhaseKind::slow, 10ms}}, 300ms);
  CHECK(script.phase_at(50ms).kind == DemoPhaseKind::slow);
  CHECK(script.at(50ms).remaining == 50ms);  // the down phase takes over at 100ms
  CHECK(script.phase_at(150ms).kind == DemoPhaseKind::down);
  CHECK(script.phase_at(250ms).kind == DemoPhaseKind::slow);
}

TEST_CASE("script: empty is always healthy; standard is the documented 6-minute demo") {
  const DemoScript none;
  CHECK(none.phase_at(0ms).kind == DemoPhaseKind::healthy);
  CHECK(none.phase_at(std::chrono::hours(100)).kind == DemoPhaseKind::healthy);
  CHECK(none.at(1s).remaining > std::chrono::hours(24));

  const DemoScript standard = DemoScript::standard();
  CHECK(standard.period() == 360s);
  CHECK(standard.phase_at(30s).kind == DemoPhaseKind::healthy);
  CHECK(standard.phase_at(90s).kind == DemoPhaseKind::checkout_503);
  CHECK(standard.phase_at(130s).kind == DemoPhaseKind::down);  // right after checkout: P2 escalates to P1
  CHECK(standard.phase_at(190s).kind == DemoPhaseKind::healthy);
  CHECK(standard.phase_at(220s).kind == DemoPhaseKind::checkout_503);  // a relapse within the recovery watch
  CHECK(standard.phase_at(250s).kind == DemoPhaseKind::healthy);
  CHECK(standard.phase_at(320s).kind == DemoPhaseKind::slow);
  CHECK(standard.phase_at(320s).delay == 1500ms);
  CHECK(standard.phase_at(355s).kind == DemoPhaseKind::healthy);
  CHECK(standard.phase_at(450s).kind == DemoPhaseKind::checkout_503);
}

TEST_CASE("script: names for the terminal") {
  CHECK(to_string(DemoPhaseKind::checkout_503) == "checkout_503");
  CHECK(describe({0ms, 0ms, DemoPhaseKind::healthy, 0ms}) == "healthy");
  CHECK(describe({0ms, 0ms, DemoPhaseKind::down, 0ms}) == "shop down (connection refused)");
  CHECK(describe({0ms, 0ms, DemoPhaseKind::slow, 1500ms}) == "slow pages (+1500ms)");
}

// ---------------------------------------------------------------------------------------------------
// The shop, healthy.

TEST_CASE("shop: home, search, health and 404 on an ephemeral port") {
  RunningShop s;
  CHECK(s.shop->port() != 0);
  CHECK(s.url("/x") == "http://127.0.0.1:" + std::to_string(s.shop->port()) + "/x");

  const Reply home = get(s.url("/"));
  REQUIRE(home.code == CURLE_OK);
  CHECK(home.status == 200);
  CHECK(home.header("Content-Type").starts_with("text/html"));
  CHECK(home.body.find("Add to cart") != std::string::npos);
  CHECK(home.body.find("href=\"/product/42\"") != std::string::npos);

  const Reply search = get(s.url("/search?q=red+%3Cb%3E"));
  CHECK(search.status == 200);
  CHECK(search.body.find("Red Canvas Sneaker") != std::string::npos);
  CHECK(search.body.find("results") != std::string::npos);
  CHECK(search.body.find("<b>") == std::string::npos);  // the query is escaped
  CHECK(search.body.find("&lt;b&gt;") != std::string::npos);

  const Reply health = get(s.url("/api/health"));
  CHECK(health.status == 200);
  CHECK(health.header("Content-Type") == "application/json");
  CHECK(health.body == R"({"status":"UP"})");

  CHECK(get(s.url("/nope")).status == 404);
  CHECK(get(s.url("/product/999")).status == 404);
  CHECK(fetch({"DELETE", s.url("/api/health"), "", "", ""}).status == 405);
}

TEST_CASE("shop: the incident team's webhook receiver counts synthprobe's events, refuses anything else") {
  RunningShop s;
  CHECK(s.shop->status().team_messages == 0);
  const std::string event = R"j({"version":"1","event":"open","incident":{"summary":"[DRILL] demo-shop: test incident (P2)"}})j";
  CHECK(fetch({"POST", s.url("/hooks/team"), event, "application/json", ""}).status == 200);
  CHECK(fetch({"POST", s.url("/hooks/team"), "not json", "application/json", ""}).status == 400);
  CHECK(fetch({"POST", s.url("/hooks/team"), R"({"event":"open"})", "application/json", ""}).status == 400);
  CHECK(fetch({"GET", s.url("/hooks/team"), "", "", ""}).status == 405);
  const DemoShopStatus status = s.shop->status();
  CHECK(status.team_messages == 1);
  CHECK(status.last_team_message == "open: [DRILL] demo-shop: test incident (P2)");
}

TEST_CASE("shop: keep-alive serves several requests on one connection") {
  RunningShop s;
  Client c;
  const Reply first = c.get(s.url("/"));
  const Reply second = c.get(s.url("/api/health"));
  CHECK(first.status == 200);
  CHECK(second.status == 200);
  CHECK(first.new_connections == 1);
  CHECK(second.new_connections == 0);
}

TEST_CASE("shop: the product page's csrf and session cookie buy a cart; the whole checkout works") {
  RunningShop s;
  const Reply product = get(s.url("/product/42"));
  REQUIRE(product.status == 200);
  const std::string set_cookie = product.header("Set-Cookie");
  CHECK(set_cookie.starts_with("session="));
  CHECK(set_cookie.find("Path=/") != std::string::npos);
  CHECK(set_cookie.find("HttpOnly") != std::string::npos);
  const Visit v{cookie_pair(set_cookie), csrf_of(product.body)};
  REQUIRE(v.csrf.size() == 32);
  CHECK(product.body.find("<input type=\"hidden\" name=\"csrf\" value=\"" + v.csrf + "\">") != std::string::npos);

  // A returning visitor keeps the session and its token.
  const Reply again = get(s.url("/product/42"), v.cookie);
  CHECK(again.header("Set-Cookie").empty());
  CHECK(csrf_of(again.body) == v.csrf);

  const Reply cart = add_to_cart(s, v, v.csrf);
  REQUIRE(cart.status == 200);
  CHECK(cart.header("Content-Type") == "application/json");
  CHECK(cart.body == R"({"cart":{"id":"c-1","items":1}})");

  const Reply view = get(s.url("/api/cart/c-1"), v.cookie);
  CHECK(view.status == 200);
  CHECK(view.body.find(R"("id":"c-1")") != std::string::npos);
  CHECK(get(s.url("/api/cart/c-1")).status == 403);  // no session
  CHECK(get(s.url("/api/cart/c-1"), visit_product(s).cookie).status == 404);  // another session's cart

  const Reply address = fetch({"POST", s.url("/checkout/address"), R"({"cart":"c-1","city":"Berlin"})",
                               "application/json", v.cookie});
  CHECK(address.status == 200);
  CHECK(address.body.find(R"("accepted":true)") != std::string::npos);
  CHECK(fetch({"POST", s.url("/checkout/address"), "not json", "application/json", v.cookie}).status == 400);
  CHECK(fetch({"POST", s.url("/checkout/address"), "{}", "application/json", ""}).status == 403);

  const Reply paid = pay(s);
  CHECK(paid.status == 200);
  CHECK(paid.body == R"({"data":{"addPaymentToOrder":{"__typename":"Order","id":"o-1"}}})");

  const Reply deleted = fetch({"DELETE", s.url("/cart/c-1"), "", "", v.cookie});
  CHECK(deleted.status == 204);
  CHECK(deleted.body.empty());
  CHECK(get(s.url("/api/cart/c-1"), v.cookie).status == 404);
  CHECK(s.shop->status().carts == 0);
}

TEST_CASE("shop: POST /cart needs the session cookie and its own csrf token") {
  RunningShop s;
  const Visit v = visit_product(s);
  const Visit other = visit_product(s);

  const Reply wrong = add_to_cart(s, v, "not-the-token");
  CHECK(wrong.status == 403);
  CHECK(wrong.body.find("csrf") != std::string::npos);
  CHECK(add_to_cart(s, v, other.csrf).status == 403);  // a token of another session
  CHECK(add_to_cart(s, Visit{"", v.csrf}, v.csrf).status == 403);  // no cookie
  CHECK(add_to_cart(s, Visit{"session=forged", v.csrf}, v.csrf).status == 403);  // unknown session
  CHECK(fetch({"POST", s.url("/cart"), "sku=42", "application/x-www-form-urlencoded", v.cookie}).status == 403);
  CHECK(fetch({"POST", s.url("/cart"), "csrf=" + v.csrf + "&sku=7", "application/x-www-form-urlencoded", v.cookie})
            .status == 400);
  CHECK(add_to_cart(s, v, v.csrf).status == 200);
}

TEST_CASE("shop: sessions are bounded, the oldest is forgotten first") {
  DemoShopOptions o = healthy_shop();
  o.max_sessions = 2;
  RunningShop s(o);
  const Visit first = visit_product(s);
  const Visit second = visit_product(s);
  const Visit third = visit_product(s);
  CHECK(s.shop->status().sessions == 2);
  CHECK(add_to_cart(s, first, first.csrf).status == 403);
  CHECK(add_to_cart(s, second, second.csrf).status == 200);
  CHECK(add_to_cart(s, third, third.csrf).status == 200);
}

// ---------------------------------------------------------------------------------------------------
// The faults, forced.

TEST_CASE("fault checkout_503: the checkout API answers 503, the storefront still works") {
  RunningShop s;
  const Visit v = visit_product(s);
  s.shop->set_phase_override(DemoPhaseKind::checkout_503);
  CHECK(s.shop->current_phase_name() == "checkout API 503");
  CHECK(add_to_cart(s, v, v.csrf).status == 503);
  CHECK(fetch({"POST", s.url("/checkout/address"), "{}", "application/json", v.cookie}).status == 503);
  CHECK(get(s.url("/")).status == 200);
  CHECK(get(s.url("/api/health")).status == 200);

  s.shop->clear_phase_override();
  CHECK(s.shop->current_phase_name() == "healthy");
  CHECK(add_to_cart(s, v, v.csrf).status == 200);
}

TEST_CASE("fault payment_errors: GraphQL answers 200 with an error and no data") {
  RunningShop s;
  s.shop->set_phase_override(DemoPhaseKind::payment_errors);
  const Reply r = pay(s);
  CHECK(r.status == 200);
  CHECK(r.body == R"({"errors":[{"message":"payment declined"}],"data":null})");
  CHECK(get(s.url("/")).status == 200);
  s.shop->clear_phase_override();
  CHECK(pay(s).body.find(R"("__typename":"Order")") != std::string::npos);
}

TEST_CASE("fault down: connections are refused, then the shop serves again on the same port") {
  RunningShop s;
  const unsigned short port = s.shop->port();
  Client keep_alive;
  REQUIRE(keep_alive.get(s.url("/")).status == 200);

  s.shop->set_phase_override(DemoPhaseKind::down);
  REQUIRE(eventually([&] { return !s.shop->accepting(); }));
  CHECK(s.shop->status().phase_name == "shop down (connection refused)");
  const Reply refused = get(s.url("/"));
  CHECK(refused.code == CURLE_COULDNT_CONNECT);
  CHECK(refused.status == 0);
  // An open keep-alive connection went down with the shop too.
  const Reply on_old_connection = keep_alive.get(s.url("/"));
  CHECK(on_old_connection.code != CURLE_OK);

  s.shop->clear_phase_override();
  REQUIRE(eventually([&] { return s.shop->accepting(); }));
  CHECK(s.shop->port() == port);
  const Reply back = get(s.url("/"));
  CHECK(back.code == CURLE_OK);
  CHECK(back.status == 200);
}

TEST_CASE("fault slow: pages answer after the delay, APIs do not wait") {
  RunningShop s;
  s.shop->set_phase_override(DemoPhaseKind::slow, 300ms);
  CHECK(s.shop->current_phase_name() == "slow pages (+300ms)");
  const Reply home = get(s.url("/"));
  CHECK(home.status == 200);
  CHECK(home.elapsed >= 300ms);
  CHECK(home.elapsed < 300ms + 8s);
  const Reply product = get(s.url("/product/42"));
  CHECK(product.elapsed >= 300ms);
  CHECK(get(s.url("/api/health")).status == 200);
}

// ---------------------------------------------------------------------------------------------------
// The faults, scripted: each scripted phase lasts far longer than the test needs.

TEST_CASE("script drives the shop: a checkout_503 phase from the start") {
  RunningShop s;
  const Visit v = visit_product(s);
  s.shop->set_script(DemoScript({{0ms, 1h, DemoPhaseKind::checkout_503, 0ms}}));
  CHECK(s.shop->current_phase_name() == "checkout API 503");
  CHECK_FALSE(s.shop->status().overridden);
  CHECK(s.shop->status().remaining > 50min);
  CHECK(add_to_cart(s, v, v.csrf).status == 503);
  CHECK(get(s.url("/")).status == 200);

  // The override beats the script, and clearing it hands control back.
  s.shop->set_phase_override(DemoPhaseKind::healthy);
  CHECK(s.shop->status().overridden);
  CHECK(add_to_cart(s, v, v.csrf).status == 200);
  s.shop->clear_phase_override();
  CHECK(add_to_cart(s, v, v.csrf).status == 503);
}

TEST_CASE("script drives the shop: a down phase 200ms in closes the port on time, a new script reopens it") {
  RunningShop s;
  const unsigned short port = s.shop->port();
  s.shop->set_script(DemoScript({{200ms, 1h, DemoPhaseKind::down, 0ms}}, 2h));
  REQUIRE(eventually([&] { return !s.shop->accepting(); }));
  CHECK(s.shop->current_phase_name() == "shop down (connection refused)");
  CHECK(get(s.url("/")).code == CURLE_COULDNT_CONNECT);

  s.shop->set_script(DemoScript{});
  REQUIRE(eventually([&] { return s.shop->accepting(); }));
  CHECK(s.shop->port() == port);
  CHECK(get(s.url("/")).status == 200);
}

// ---------------------------------------------------------------------------------------------------
// Lifecycle.

TEST_CASE("stop: the shop closes its port and idle connections, and leaves the io_context") {
  boost::asio::io_context io;
  auto shop = std::make_unique<DemoShop>(io, healthy_shop());
  auto done = std::async(std::launch::async, [&] { io.run(); });
  Client idle;
  REQUIRE(idle.get(shop->url("/")).status == 200);  // leaves a keep-alive connection open
  const std::string url = shop->url("/");

  shop->stop();
  const bool finished = done.wait_for(10s) == std::future_status::ready;
  CHECK(finished);
  if (!finished) io.stop();
  done.wait();
  CHECK_FALSE(shop->accepting());
  CHECK(get(url).code == CURLE_COULDNT_CONNECT);
}

TEST_CASE("a taken port is an error at construction") {
  RunningShop s;
  boost::asio::io_context io;
  DemoShopOptions o = healthy_shop();
  o.port = s.shop->port();
  CHECK_THROWS(DemoShop(io, o));
}

// ---------------------------------------------------------------------------------------------------
// config/examples/demo.toml, run by the engine against the shop.

namespace {

std::vector<std::shared_ptr<const config::Check>> demo_checks(const RunningShop& s) {
  const std::string path = testing::source_dir() + "/config/examples/demo.toml";
  std::string toml = testing::read_text_file(path);
  REQUIRE_FALSE(toml.empty());
  const std::string base = "http://127.0.0.1:8480";
  const auto at = toml.find(base);
  REQUIRE(at != std::string::npos);
  toml.replace(at, base.size(), s.url(""));
  config::LoadResult loaded = config::load_config_string(toml, path);
  for (const auto& e : loaded.errors) FAIL_CHECK(e.to_string());
  REQUIRE(loaded.config.has_value());
  std::vector<std::shared_ptr<const config::Check>> checks;
  for (const config::Check& c : loaded.config->checks) checks.push_back(std::make_shared<const config::Check>(c));
  return checks;
}

const RunResult& result(const std::vector<RunResult>& results, const std::string& name) {
  for (const RunResult& r : results)
    if (r.name == name) return r;
  FAIL("no result for " << name);
  return results.front();
}

}  // namespace

TEST_CASE("demo.toml: valid, with the promised checks and the checkout flow") {
  const config::LoadResult loaded = config::load_config_file(testing::source_dir() + "/config/examples/demo.toml");
  for (const auto& e : loaded.errors) FAIL_CHECK(e.to_string());
  REQUIRE(loaded.config.has_value());
  const config::Config& c = *loaded.config;
  CHECK(c.probe.listen == "127.0.0.1:9464");
  CHECK(c.probe.state_dir == "/tmp/synthprobe-demo-state");
  REQUIRE(c.sites.size() == 1);
  CHECK(c.sites[0].vars.at("base_url") == "http://127.0.0.1:8480");
  std::vector<std::string> names;
  for (const auto& check : c.checks) {
    names.push_back(check.name);
    CHECK(check.settings.interval == 5s);
    CHECK(check.settings.timeout == 4s);
  }
  CHECK(names == std::vector<std::string>{"home", "search", "product-page", "api-health", "checkout"});
  const config::Check& flow = c.checks.back();
  CHECK(flow.kind == config::Check::Kind::flow);
  CHECK(flow.severity == config::Severity::P2);
  CHECK(flow.area == "checkout");
  std::vector<std::string> steps;
  for (const auto& st : flow.steps) steps.push_back(st.name);
  CHECK(steps == std::vector<std::string>{"product", "add-to-cart", "cart", "address", "pay", "empty-cart"});
  CHECK(flow.steps.back().always);
  CHECK(c.checks.front().severity == config::Severity::P1);
}

TEST_CASE("demo.toml against the shop: all pass when healthy; each fault fails what it should") {
  RunningShop s;
  const auto checks = demo_checks(s);

  SUBCASE("healthy") {
    const auto results = run_once(checks, 10);
    for (const RunResult& r : results) {
      INFO(r.name << ": " << r.message);
      CHECK(r.success);
      CHECK_FALSE(r.degraded);
    }
    const RunResult& flow = result(results, "checkout");
    REQUIRE(flow.steps.size() == 6);
    for (const StepResult& st : flow.steps) {
      INFO(st.name << ": " << st.message);
      CHECK(st.success == std::optional<bool>(true));
    }
    CHECK(s.shop->status().carts == 0);  // empty-cart cleaned up
  }
  SUBCASE("checkout_503 fails the flow at add-to-cart, the storefront passes") {
    s.shop->set_phase_override(DemoPhaseKind::checkout_503);
    const auto results = run_once(checks, 10);
    const RunResult& flow = result(results, "checkout");
    CHECK_FALSE(flow.success);
    CHECK(flow.failed_step == std::optional<std::string>("add-to-cart"));
    CHECK(flow.reason == std::optional<Reason>(Reason::status));
    CHECK(result(results, "home").success);
  }
  SUBCASE("payment_errors fails the flow at pay with an assertion") {
    s.shop->set_phase_override(DemoPhaseKind::payment_errors);
    const auto results = run_once(checks, 10);
    const RunResult& flow = result(results, "checkout");
    CHECK_FALSE(flow.success);
    CHECK(flow.failed_step == std::optional<std::string>("pay"));
    CHECK(flow.reason == std::optional<Reason>(Reason::assertion));
    CHECK(result(results, "home").success);
  }
  SUBCASE("down fails everything with connect") {
    s.shop->set_phase_override(DemoPhaseKind::down);
    REQUIRE(eventually([&] { return !s.shop->accepting(); }));
    for (const RunResult& r : run_once(checks, 10)) {
      INFO(r.name << ": " << r.message);
      CHECK_FALSE(r.success);
      CHECK(r.reason == std::optional<Reason>(Reason::connect));
    }
  }
  SUBCASE("slow pages degrade the storefront checks without failing them") {
    s.shop->set_phase_override(DemoPhaseKind::slow, 1100ms);
    const auto results = run_once(checks, 10);
    const RunResult& home = result(results, "home");
    CHECK(home.success);
    CHECK(home.degraded);
    CHECK_FALSE(result(results, "api-health").degraded);
  }
}
