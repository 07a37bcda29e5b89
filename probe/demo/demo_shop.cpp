#include "probe/demo/demo_shop.h"

#include "exporters/web/html_text.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <atomic>
#include <list>
#include <mutex>
#include <random>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/text.h"

namespace synthprobe::demo {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = net::ip::tcp;
using std::chrono::milliseconds;

namespace {

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

constexpr auto kIdleTimeout = std::chrono::seconds(30);
constexpr std::size_t kMaxBodyBytes = 64 * 1024;

struct Product {
  int id;
  std::string_view name;
  int price;
};
constexpr Product kCatalogue[] = {
    {41, "Trail Running Shoe", 89},
    {42, "Red Canvas Sneaker", 59},
    {43, "Leather Boot", 129},
};

const Product* find_product(std::string_view id) {
  for (const Product& p : kCatalogue)
    if (std::to_string(p.id) == id) return &p;
  return nullptr;
}

// Insertion-ordered map that forgets its oldest entries beyond `limit`, so no client can grow it forever.
template <typename V>
class BoundedMap {
 public:
  explicit BoundedMap(std::size_t limit) : limit_(std::max<std::size_t>(limit, 1)) {}

  V* find(const std::string& key) {
    auto it = map_.find(key);
    return it == map_.end() ? nullptr : &it->second.first;
  }
  V& insert(const std::string& key, V value) {
    erase(key);
    order_.push_back(key);
    auto& slot = map_.emplace(key, std::make_pair(std::move(value), std::prev(order_.end()))).first->second;
    while (map_.size() > limit_) erase(order_.front());
    return slot.first;
  }
  void erase(const std::string& key) {
    auto it = map_.find(key);
    if (it == map_.end()) return;
    order_.erase(it->second.second);
    map_.erase(it);
  }
  std::size_t size() const { return map_.size(); }

 private:
  std::size_t limit_;
  std::list<std::string> order_;
  std::unordered_map<std::string, std::pair<V, std::list<std::string>::iterator>> map_;
};

struct Session {
  std::string csrf;
};

struct Cart {
  std::string session;
  std::string sku;
  int items = 0;
};

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// application/x-www-form-urlencoded decoding; a malformed escape stays as written.
std::string url_decode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '+') {
      out += ' ';
    } else if (in[i] == '%' && i + 2 < in.size() && hex_value(in[i + 1]) >= 0 && hex_value(in[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(in[i + 1]) * 16 + hex_value(in[i + 2]));
      i += 2;
    } else {
      out += in[i];
    }
  }
  return out;
}

// The decoded value of `name` in "a=1&b=2", or nullopt.
std::optional<std::string> form_value(std::string_view form, std::string_view name) {
  while (!form.empty()) {
    const auto amp = form.find('&');
    const std::string_view pair = form.substr(0, amp);
    const auto eq = pair.find('=');
    if (url_decode(pair.substr(0, eq)) == name)
      return eq == std::string_view::npos ? std::string() : url_decode(pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    form.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

std::optional<std::string> cookie_value(const Request& req, std::string_view name) {
  for (auto it = req.find(http::field::cookie); it != req.end() && it->name() == http::field::cookie; ++it) {
    std::string_view rest = it->value();
    while (!rest.empty()) {
      const auto semi = rest.find(';');
      std::string_view pair = rest.substr(0, semi);
      while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
      const auto eq = pair.find('=');
      if (eq != std::string_view::npos && pair.substr(0, eq) == name) return std::string(pair.substr(eq + 1));
      if (semi == std::string_view::npos) break;
      rest.remove_prefix(semi + 1);
    }
  }
  return std::nullopt;
}

std::string page(std::string_view title, std::string_view main) {
  std::string out;
  out += "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>";
  out += html_escape(title);
  out += " - Demo Shop</title></head>\n<body>\n<header><a href=\"/\">Demo Shop</a>"
         " <form action=\"/search\" method=\"get\"><input name=\"q\" placeholder=\"Search\"></form></header>\n<main>\n";
  out += main;
  out += "</main>\n<footer>synthprobe demo shop</footer>\n</body></html>\n";
  return out;
}

std::string product_card(const Product& p) {
  return "<li class=\"product\"><a href=\"/product/" + std::to_string(p.id) + "\">" + std::string(p.name) +
         "</a> <span class=\"price\">$" + std::to_string(p.price) + "</span></li>\n";
}

// Response helpers: every answer names the shop and has a body type.
Response make_response(const Request& req, http::status status, std::string_view content_type, std::string body) {
  Response res{status, req.version()};
  res.set(http::field::server, "synthprobe-demo-shop");
  if (!content_type.empty()) res.set(http::field::content_type, content_type);
  res.set(http::field::cache_control, "no-store");
  res.body() = std::move(body);
  return res;
}

Response html(const Request& req, std::string body, http::status status = http::status::ok) {
  return make_response(req, status, "text/html; charset=utf-8", std::move(body));
}

Response json_response(const Request& req, const json::value& v, http::status status = http::status::ok) {
  return make_response(req, status, "application/json", json::serialize(v));
}

Response json_error(const Request& req, http::status status, std::string_view message) {
  return json_response(req, json::object{{"error", message}}, status);
}

Response not_found(const Request& req) {
  return html(req, page("Not found", "<h1>Not found</h1>\n"), http::status::not_found);
}

// Any word of the query (a plural's trailing "s" dropped) in the name; an empty query matches everything.
bool matches(std::string_view name, std::string_view query) {
  bool any_word = false;
  while (!query.empty()) {
    const auto sp = query.find(' ');
    std::string_view word = query.substr(0, sp);
    if (word.size() > 3 && word.back() == 's') word.remove_suffix(1);
    if (!word.empty()) {
      any_word = true;
      if (name.find(word) != std::string_view::npos) return true;
    }
    if (sp == std::string_view::npos) break;
    query.remove_prefix(sp + 1);
  }
  return !any_word;
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// The HTML pages, which a slow phase delays (the APIs stay fast).
bool is_page(const Request& req, std::string_view path) {
  return req.method() == http::verb::get && (path == "/" || path == "/search" || starts_with(path, "/product/"));
}

// A connection the shop can close or hurry from outside its coroutine (down, stop).
struct Connection {
  beast::tcp_stream* stream = nullptr;
  net::steady_timer* delay = nullptr;  // set while a slow phase holds the answer back
  bool busy = false;                   // a request was read and is not answered yet
};

}  // namespace

struct DemoShop::Impl : std::enable_shared_from_this<DemoShop::Impl> {
  using Strand = net::strand<net::io_context::executor_type>;

  Impl(net::io_context& io, DemoShopOptions&& options)
      : strand(net::make_strand(io)),
        endpoint(net::ip::make_address(options.address), options.port),
        acceptor(strand),
        watch_timer(strand),
        script(std::move(options.script)),
        script_start(std::chrono::steady_clock::now()),
        sessions(options.max_sessions),
        carts(options.max_carts),
        rng(std::random_device{}()) {
    acceptor.open(endpoint.protocol());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.bind(endpoint);
    acceptor.listen(net::socket_base::max_listen_connections);
    endpoint = acceptor.local_endpoint();  // the ephemeral port, kept for reopening after `down`
    accepting = true;
  }

  void start() {
    net::co_spawn(strand, accept_loop(shared_from_this(), accept_generation), net::detached);
    net::co_spawn(strand, watch(shared_from_this()), net::detached);
  }

  // ---- control state, any thread ----

  struct Now {
    DemoPhase phase;
    milliseconds remaining;
    bool overridden;
  };
  Now now() const {
    std::lock_guard lock(mutex);
    if (override_phase) return {*override_phase, milliseconds(1000), true};
    const ScriptPosition pos = script.at(std::chrono::steady_clock::now() - script_start);
    return {pos.phase, pos.remaining, false};
  }

  // Makes the strand look at the phase now instead of at its next scheduled change.
  void reevaluate() {
    net::dispatch(strand, [self = shared_from_this()] { self->watch_timer.cancel(); });
  }

  // ---- strand only ----

  // Opens or closes the listening socket for the phase in effect; returns when to look again.
  milliseconds apply_phase() {
    const Now n = now();
    const bool want_listen = !stopping && n.phase.kind != DemoPhaseKind::down;
    milliseconds next = std::clamp(n.remaining + milliseconds(1), milliseconds(1), milliseconds(1000));
    if (want_listen && !acceptor.is_open()) {
      if (reopen()) {
        net::co_spawn(strand, accept_loop(shared_from_this(), ++accept_generation), net::detached);
      } else {
        next = std::min(next, milliseconds(100));  // the port may be busy for a moment: try again soon
      }
    } else if (!want_listen && acceptor.is_open()) {
      boost::system::error_code ignored;
      acceptor.close(ignored);
      ++accept_generation;
    }
    if (n.phase.kind == DemoPhaseKind::down) close_connections(/*abrupt=*/true);
    accepting = acceptor.is_open();
    return next;
  }

  bool reopen() {
    boost::system::error_code ec;
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
      boost::system::error_code ignored;
      acceptor.close(ignored);
      return false;
    }
    return true;
  }

  // abrupt: like a crash, every connection goes. Otherwise (stop) requests already read are answered first.
  void close_connections(bool abrupt) {
    for (auto& [id, conn] : connections) {
      if (conn->busy && !abrupt) {
        if (conn->delay) conn->delay->cancel();
        continue;
      }
      if (conn->delay) conn->delay->cancel();
      conn->stream->close();
    }
  }

  void shutdown() {
    if (stopping) return;
    stopping = true;
    boost::system::error_code ignored;
    acceptor.close(ignored);
    ++accept_generation;
    accepting = false;
    watch_timer.cancel();
    close_connections(/*abrupt=*/false);
  }

  static net::awaitable<void> watch(std::shared_ptr<Impl> self) {
    while (!self->stopping) {
      const milliseconds next = self->apply_phase();
      if (self->stopping) break;
      self->watch_timer.expires_after(next);
      co_await self->watch_timer.async_wait(net::as_tuple(net::use_awaitable));
    }
  }

  static net::awaitable<void> accept_loop(std::shared_ptr<Impl> self, std::uint64_t generation) {
    for (;;) {
      auto [ec, socket] = co_await self->acceptor.async_accept(net::as_tuple(net::use_awaitable));
      if (self->stopping || generation != self->accept_generation) co_return;  // closed, maybe reopened since
      if (ec == net::error::operation_aborted) co_return;
      if (ec) {  // out of descriptors and the like: breathe, then go on
        net::steady_timer pause(self->strand, milliseconds(20));
        co_await pause.async_wait(net::as_tuple(net::use_awaitable));
        if (self->stopping || generation != self->accept_generation) co_return;
        continue;
      }
      net::co_spawn(self->strand, serve(self, std::move(socket)), net::detached);
    }
  }

  static net::awaitable<void> serve(std::shared_ptr<Impl> self, tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    Connection conn{&stream};
    const std::uint64_t id = self->next_connection_id++;
    self->connections.emplace(id, &conn);
    struct Unregister {
      Impl* impl;
      std::uint64_t id;
      ~Unregister() { impl->connections.erase(id); }
    } unregister{self.get(), id};

    while (!self->stopping) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(kMaxBodyBytes);
      stream.expires_after(kIdleTimeout);
      auto [ec, n] = co_await http::async_read(stream, buffer, parser, net::as_tuple(net::use_awaitable));
      if (ec) break;
      conn.busy = true;
      const Request req = parser.release();
      const std::string_view target = req.target();
      const std::string_view path = target.substr(0, target.find('?'));

      const DemoPhase phase = self->now().phase;
      if (phase.kind == DemoPhaseKind::down) break;  // read just before the strand closed everything
      if (phase.kind == DemoPhaseKind::slow && phase.delay > milliseconds(0) && is_page(req, path) &&
          !self->stopping) {
        net::steady_timer delay(self->strand, phase.delay);
        conn.delay = &delay;
        co_await delay.async_wait(net::as_tuple(net::use_awaitable));
        conn.delay = nullptr;
        if (!stream.socket().is_open()) break;  // the shop went down meanwhile
      }

      Response res = self->handle(req, path, phase);
      res.keep_alive(req.keep_alive() && !self->stopping);
      res.prepare_payload();
      stream.expires_after(kIdleTimeout);
      auto [wec, written] = co_await http::async_write(stream, res, net::as_tuple(net::use_awaitable));
      conn.busy = false;
      if (wec) break;
      ++self->requests;
      if (!res.keep_alive()) break;
    }
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream.close();
  }

  // ---- the shop ----

  Response handle(const Request& req, std::string_view path, const DemoPhase& phase) {
    const http::verb m = req.method();
    if (phase.kind == DemoPhaseKind::checkout_503 && m == http::verb::post &&
        (path == "/cart" || starts_with(path, "/checkout/"))) {
      Response res = json_error(req, http::status::service_unavailable, "checkout is temporarily unavailable");
      res.set(http::field::retry_after, "30");
      return res;
    }

    // Path first, then method, so a known path with the wrong method is a 405, not a 404.
    struct Route {
      bool matches;
      http::verb verb;
      Response (Impl::*handler)(const Request&, std::string_view, const DemoPhase&);
    };
    const Route routes[] = {
        {path == "/", http::verb::get, &Impl::home},
        {path == "/search", http::verb::get, &Impl::search},
        {starts_with(path, "/product/"), http::verb::get, &Impl::product},
        {path == "/cart", http::verb::post, &Impl::add_to_cart},
        {starts_with(path, "/cart/"), http::verb::delete_, &Impl::delete_cart},
        {starts_with(path, "/api/cart/"), http::verb::get, &Impl::get_cart},
        {path == "/checkout/address", http::verb::post, &Impl::checkout_address},
        {path == "/graphql", http::verb::post, &Impl::graphql},
        {path == "/api/health", http::verb::get, &Impl::health},
        {path == "/hooks/team", http::verb::post, &Impl::team_hook},
    };
    for (const Route& r : routes) {
      if (!r.matches) continue;
      if (m != r.verb) {
        Response res = make_response(req, http::status::method_not_allowed, "text/plain", "method not allowed\n");
        res.set(http::field::allow, http::to_string(r.verb));
        return res;
      }
      return (this->*r.handler)(req, path, phase);
    }
    return not_found(req);
  }

  std::string random_token() {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out(32, '0');
    for (std::size_t i = 0; i < out.size(); i += 16) {
      std::uint64_t bits = rng();
      for (std::size_t j = 0; j < 16; ++j, bits >>= 4) out[i + j] = kHex[bits & 0xf];
    }
    return out;
  }

  // The session named by the request's cookie, if the shop still knows it.
  std::pair<std::string, Session*> session_of(const Request& req) {
    auto sid = cookie_value(req, "session");
    if (!sid) return {"", nullptr};
    Session* s = sessions.find(*sid);
    return {s ? *sid : "", s};
  }

  void count() {
    session_count = sessions.size();
    cart_count = carts.size();
  }

  Response home(const Request& req, std::string_view, const DemoPhase&) {
    std::string main = "<h1>Welcome to the Demo Shop</h1>\n<ul class=\"products\">\n";
    for (const Product& p : kCatalogue) {
      main += product_card(p);
    }
    main += "</ul>\n<p><a class=\"button\" href=\"/product/42\">Add to cart</a> our bestseller, the Red Canvas "
            "Sneaker.</p>\n";
    return html(req, page("Home", main));
  }

  Response search(const Request& req, std::string_view, const DemoPhase&) {
    const std::string_view target = req.target();
    const auto qmark = target.find('?');
    const std::string q =
        qmark == std::string_view::npos ? std::string() : form_value(target.substr(qmark + 1), "q").value_or("");
    const std::string needle = text::to_lower(q);
    std::string list;
    std::size_t found = 0;
    for (const Product& p : kCatalogue) {
      if (!matches(text::to_lower(p.name), needle)) continue;
      list += product_card(p);
      ++found;
    }
    std::string main = "<h1>Search results for &quot;" + html_escape(q) + "&quot;</h1>\n<p class=\"count\">" +
                       std::to_string(found) + " results</p>\n<ul class=\"results\">\n" + list + "</ul>\n";
    return html(req, page("Search", main));
  }

  Response product(const Request& req, std::string_view path, const DemoPhase&) {
    const Product* p = find_product(path.substr(std::string_view("/product/").size()));
    if (!p) return not_found(req);
    auto [sid, session] = session_of(req);
    bool fresh = false;
    if (!session) {
      sid = random_token();
      session = &sessions.insert(sid, Session{random_token()});
      fresh = true;
      count();
    }
    const std::string main = "<h1>" + std::string(p->name) + "</h1>\n<p class=\"price\">$" + std::to_string(p->price) +
                             "</p>\n<form method=\"post\" action=\"/cart\">\n"
                             "<input type=\"hidden\" name=\"csrf\" value=\"" +
                             session->csrf + "\">\n<input type=\"hidden\" name=\"sku\" value=\"" +
                             std::to_string(p->id) + "\">\n<button type=\"submit\">Add to cart</button>\n</form>\n";
    Response res = html(req, page(p->name, main));
    if (fresh) res.set(http::field::set_cookie, "session=" + sid + "; Path=/; HttpOnly; SameSite=Lax");
    return res;
  }

  Response add_to_cart(const Request& req, std::string_view, const DemoPhase&) {
    auto [sid, session] = session_of(req);
    if (!session) return json_error(req, http::status::forbidden, "no session: open a product page first");
    const auto csrf = form_value(req.body(), "csrf");
    if (!csrf || *csrf != session->csrf) return json_error(req, http::status::forbidden, "invalid csrf token");
    const auto sku = form_value(req.body(), "sku");
    if (!sku || !find_product(*sku)) return json_error(req, http::status::bad_request, "unknown sku");
    int qty = 1;
    if (const auto q = form_value(req.body(), "qty")) {
      try {
        qty = std::stoi(*q);
      } catch (const std::exception&) {
        qty = 0;
      }
      if (qty < 1 || qty > 99) return json_error(req, http::status::bad_request, "qty must be 1 to 99");
    }
    const std::string id = "c-" + std::to_string(++next_cart);
    carts.insert(id, Cart{sid, *sku, qty});
    count();
    return json_response(req, json::object{{"cart", json::object{{"id", id}, {"items", qty}}}});
  }

  // The cart `id` of the request's session: sets `res` to the refusal when there is none.
  Cart* own_cart(const Request& req, std::string_view id, std::optional<Response>& res) {
    auto [sid, session] = session_of(req);
    if (!session) {
      res = json_error(req, http::status::forbidden, "no session");
      return nullptr;
    }
    Cart* cart = carts.find(std::string(id));
    if (!cart || cart->session != sid) {
      res = json_error(req, http::status::not_found, "no such cart");
      return nullptr;
    }
    return cart;
  }

  Response get_cart(const Request& req, std::string_view path, const DemoPhase&) {
    const std::string_view id = path.substr(std::string_view("/api/cart/").size());
    std::optional<Response> refusal;
    const Cart* cart = own_cart(req, id, refusal);
    if (!cart) return std::move(*refusal);
    json::array lines{json::object{{"sku", cart->sku}, {"qty", cart->items}}};
    return json_response(req, json::object{{"cart", json::object{{"id", id}, {"items", cart->items}, {"lines", lines}}}});
  }

  Response delete_cart(const Request& req, std::string_view path, const DemoPhase&) {
    const std::string id(path.substr(std::string_view("/cart/").size()));
    auto [sid, session] = session_of(req);
    if (!session) return json_error(req, http::status::forbidden, "no session");
    if (const Cart* cart = carts.find(id); cart && cart->session != sid)
      return json_error(req, http::status::not_found, "no such cart");
    carts.erase(id);  // deleting a cart that is already gone is fine: DELETE is idempotent
    count();
    return make_response(req, http::status::no_content, "", "");
  }

  Response checkout_address(const Request& req, std::string_view, const DemoPhase&) {
    auto [sid, session] = session_of(req);
    if (!session) return json_error(req, http::status::forbidden, "no session");
    boost::system::error_code ec;
    const json::value body = json::parse(req.body(), ec);
    if (ec || !body.is_object()) return json_error(req, http::status::bad_request, "the body must be a JSON object");
    return json_response(req, json::object{{"address", json::object{{"accepted", true}}}, {"next", "payment"}});
  }

  Response graphql(const Request& req, std::string_view, const DemoPhase& phase) {
    boost::system::error_code ec;
    const json::value body = json::parse(req.body(), ec);
    const json::object* obj = ec ? nullptr : body.if_object();
    if (!obj || !obj->contains("query") || !obj->at("query").is_string()) {
      return json_response(
          req, json::object{{"errors", json::array{json::object{{"message", "a GraphQL request needs a query"}}}},
                            {"data", nullptr}},
          http::status::bad_request);
    }
    // GraphQL servers report business failures in a 200: only the body tells.
    if (phase.kind == DemoPhaseKind::payment_errors) {
      return json_response(
          req, json::object{{"errors", json::array{json::object{{"message", "payment declined"}}}}, {"data", nullptr}});
    }
    const std::string order = "o-" + std::to_string(++next_order);
    return json_response(
        req, json::object{{"data", json::object{{"addPaymentToOrder",
                                                 json::object{{"__typename", "Order"}, {"id", order}}}}}});
  }

  Response health(const Request& req, std::string_view, const DemoPhase&) {
    return json_response(req, json::object{{"status", "UP"}});
  }

  // The incident team's webhook receiver (demo.toml's notifier "team"): what it heard last.
  Response team_hook(const Request& req, std::string_view, const DemoPhase&) {
    boost::system::error_code ec;
    const json::value v = json::parse(req.body(), ec);
    const json::object* o = !ec && v.is_object() ? &v.get_object() : nullptr;
    const json::value* event = o ? o->if_contains("event") : nullptr;
    const json::value* incident = o ? o->if_contains("incident") : nullptr;
    const json::value* summary = incident && incident->is_object() ? incident->get_object().if_contains("summary") : nullptr;
    if (!event || !event->is_string() || !summary || !summary->is_string())
      return json_error(req, http::status::bad_request, "expected a synthprobe webhook event");
    std::lock_guard lock(mutex);
    ++team_messages;
    last_team_message = std::string(event->get_string()) + ": " + std::string(summary->get_string());
    return json_response(req, json::object{{"received", true}});
  }

  Strand strand;
  tcp::endpoint endpoint;
  tcp::acceptor acceptor;
  net::steady_timer watch_timer;

  // Control state, read and written from any thread.
  mutable std::mutex mutex;
  DemoScript script;
  std::chrono::steady_clock::time_point script_start;
  std::optional<DemoPhase> override_phase;
  std::atomic<bool> accepting{false};
  std::atomic<std::size_t> session_count{0};
  std::atomic<std::size_t> cart_count{0};
  std::atomic<std::uint64_t> requests{0};
  std::uint64_t team_messages = 0;  // under mutex
  std::string last_team_message;    // under mutex

  // Strand only.
  bool stopping = false;
  std::uint64_t accept_generation = 0;
  std::uint64_t next_connection_id = 0;
  std::unordered_map<std::uint64_t, Connection*> connections;
  BoundedMap<Session> sessions;
  BoundedMap<Cart> carts;
  std::uint64_t next_cart = 0;
  std::uint64_t next_order = 0;
  std::mt19937_64 rng;
};

DemoShop::DemoShop(net::io_context& io, DemoShopOptions options)
    : impl_(std::make_shared<Impl>(io, std::move(options))) {
  impl_->start();
}

DemoShop::~DemoShop() { stop(); }

unsigned short DemoShop::port() const { return impl_->endpoint.port(); }

std::string DemoShop::url(std::string_view path) const {
  const auto& address = impl_->endpoint.address();
  const std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return "http://" + host + ":" + std::to_string(port()) + std::string(path);
}

void DemoShop::set_script(DemoScript script) {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->script = std::move(script);
    impl_->script_start = std::chrono::steady_clock::now();
  }
  impl_->reevaluate();
}

void DemoShop::set_phase_override(DemoPhaseKind kind, milliseconds delay) {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->override_phase = DemoPhase{milliseconds(0), milliseconds(0), kind,
                                      kind == DemoPhaseKind::slow ? delay : milliseconds(0)};
  }
  impl_->reevaluate();
}

void DemoShop::clear_phase_override() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->override_phase.reset();
  }
  impl_->reevaluate();
}

std::string DemoShop::current_phase_name() const { return describe(impl_->now().phase); }

DemoShopStatus DemoShop::status() const {
  const Impl::Now n = impl_->now();
  DemoShopStatus s;
  s.phase = n.phase;
  s.phase_name = describe(n.phase);
  s.remaining = n.remaining;
  s.overridden = n.overridden;
  s.accepting = impl_->accepting;
  s.sessions = impl_->session_count;
  s.carts = impl_->cart_count;
  s.requests = impl_->requests;
  std::lock_guard lock(impl_->mutex);
  s.team_messages = impl_->team_messages;
  s.last_team_message = impl_->last_team_message;
  return s;
}

bool DemoShop::accepting() const { return impl_->accepting; }

void DemoShop::stop() {
  net::dispatch(impl_->strand, [self = impl_] { self->shutdown(); });
}

}  // namespace synthprobe::demo
