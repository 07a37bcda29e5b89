#include "config/config_loader.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <string>

#include <boost/json.hpp>
#include <doctest/doctest.h>
#include <re2/re2.h>

#include "config/check_prefetch.h"
#include "config/did_you_mean.h"
#include "common/version.h"
#include "support/temp_dir.h"

using namespace std::chrono_literals;
namespace cfg = synthprobe::config;
using synthprobe::testing::TempDir;

namespace {

// The environment the tests pretend to run in: secrets come from here, never from the real one.
struct FakeEnv {
  std::map<std::string, std::string> values;
  std::function<const char*(const char*)> fn() const {
    return [this](const char* name) -> const char* {
      auto it = values.find(name);
      return it == values.end() ? nullptr : it->second.c_str();
    };
  }
};

const FakeEnv kFullEnv{{{"SHOP_PW", "shop-pw-123"},
                        {"API_TOKEN", "api-token-456"},
                        {"PD_ROUTING_KEY", "pd-key-789"},
                        {"OPSGENIE_API_KEY", "og-key-abc"},
                        {"WEBHOOK_TOKEN", "hook-token-def"},
                        {"SLACK_WEBHOOK_URL", "https://hooks.slack.com/services/T0/B0/slack-secret"}}};

// Test configs are written from their first line, so the line numbers in messages are the ones shown.
std::string doc(std::string_view text) {
  if (!text.empty() && text.front() == '\n') text.remove_prefix(1);
  return std::string(text);
}

cfg::LoadResult load(std::string_view text, const FakeEnv& env = {}) {
  return cfg::load_config_string(doc(text), "t.toml", env.fn());
}

std::vector<std::string> messages(const cfg::LoadResult& result) {
  std::vector<std::string> out;
  for (const auto& e : result.errors) out.push_back(e.to_string());
  return out;
}

std::string all_messages(const cfg::LoadResult& result) {
  std::string out;
  for (const auto& m : messages(result)) out += m + "\n";
  return out;
}

// The config must load; shows every error when it does not.
cfg::Config valid(const cfg::LoadResult& result) {
  INFO(all_messages(result));
  REQUIRE(result.errors.empty());
  REQUIRE(result.config.has_value());
  return *result.config;
}

// The config must fail with exactly these errors, in order.
void fails_with(std::string_view text, const std::vector<std::string>& expected, const FakeEnv& env = {}) {
  const auto result = load(text, env);
  INFO(all_messages(result));
  CHECK_FALSE(result.config.has_value());
  CHECK(messages(result) == expected);
}

std::string render(const cfg::TemplateString& t, const std::vector<std::pair<std::string, std::string>>& vars = {}) {
  std::mt19937_64 rng(1);
  cfg::RenderInputs in;
  in.vars = &vars;
  in.unix_ms = 1700000000000;
  in.rng = &rng;
  return t.render(in);
}

// Expected texts known at load, as text.
std::vector<std::string> texts(const std::vector<cfg::TemplateString>& list) {
  std::vector<std::string> out;
  for (const auto& t : list) {
    CHECK(t.is_constant());
    out.push_back(t.constant_text());
  }
  return out;
}

const cfg::Header* header(const cfg::RequestSettings& s, std::string_view name) {
  for (const auto& h : s.headers)
    if (h.name == name) return &h;
  return nullptr;
}

const cfg::Check& check_named(const cfg::Config& c, std::string_view name) {
  static const cfg::Check kNone;
  for (const auto& check : c.checks)
    if (check.name == name) return check;
  FAIL_CHECK("no check named " << name);
  return kNone;
}

std::filesystem::path source_dir() {
  if (const char* dir = std::getenv("SYNTHPROBE_SOURCE_DIR")) return dir;
  return std::filesystem::path(__FILE__).parent_path().parent_path();  // run outside ctest
}

constexpr std::string_view kSite = R"toml(
[[site]]
name = "shop"
vars = { base_url = "https://shop.example.com" }
)toml";

std::string with_site(std::string_view rest) { return doc(kSite) + doc(rest); }

}  // namespace

TEST_CASE("the full example loads with every level of inheritance applied") {
  const auto path = source_dir() / "config" / "examples" / "full.toml";
  const cfg::Config c = valid(cfg::load_config_file(path.string(), kFullEnv.fn()));
  const auto examples = path.parent_path().lexically_normal();

  SUBCASE("probe") {
    CHECK(c.path == path.string());
    CHECK(c.probe.name == "eu-west-1a");
    CHECK(c.probe.region == "eu-west");
    CHECK(c.probe.listen == "127.0.0.1:9464");
    CHECK(std::filesystem::path(c.probe.state_dir) == examples / "state");
    CHECK(c.probe.max_in_flight == 1000);
    CHECK(c.probe.log_format == "logfmt");
  }

  SUBCASE("remote_write") {
    REQUIRE(c.remote_writes.size() == 1);
    const cfg::RemoteWrite& w = c.remote_writes[0];
    CHECK(w.name == "central");
    CHECK(w.url == "https://prometheus.example.com/api/v1/write");
    CHECK(w.bearer_token == "api-token-456");
    CHECK(w.labels == std::map<std::string, std::string>{
                          {"environment", "production"}, {"instance", "eu-west-1a"}, {"job", "synthprobe"}});
    CHECK(w.queue_capacity == 500000);
  }

  SUBCASE("sites") {
    REQUIRE(c.sites.size() == 2);
    const cfg::Site* shop = c.find_site("shop");
    REQUIRE(shop != nullptr);
    CHECK(shop->vars.at("base_url") == "https://shop.example.com");
    CHECK(shop->labels == std::map<std::string, std::string>{{"team", "web"}, {"tier", "frontend"}});
    CHECK(shop->open_after == 3);
    CHECK(c.find_site("api")->open_after == 2);
    CHECK(c.find_site("api")->resolve_after == 2);  // from [defaults]
    CHECK(c.find_site("nope") == nullptr);
  }

  SUBCASE("checks and flows in file order") {
    std::vector<std::string> names;
    for (const auto& check : c.checks) names.push_back(check.name);
    CHECK(names == std::vector<std::string>{"home", "search", "shop-certificate", "api-health", "api-ingest",
                                            "legacy-upload", "checkout"});
    CHECK(c.count(cfg::Check::Kind::check) == 6);
    CHECK(c.count(cfg::Check::Kind::flow) == 1);
  }

  SUBCASE("a check: defaults < site < check") {
    const cfg::Check& home = check_named(c, "home");
    CHECK(home.kind == cfg::Check::Kind::check);
    CHECK(home.site == "shop");
    CHECK(home.area == "storefront");
    CHECK(home.severity == cfg::Severity::P1);
    CHECK(home.labels == std::map<std::string, std::string>{{"team", "web"}, {"tier", "frontend"}, {"page", "home"}});
    const cfg::RequestSettings& s = home.settings;
    CHECK(render(s.url) == "https://shop.example.com/");  // the site var, substituted at load
    CHECK(s.url.is_constant());
    CHECK(s.interval == 15s);                 // check
    CHECK(s.interval_when_failing == 5s);     // check
    CHECK(s.timeout == 10s);                  // defaults
    CHECK(s.max_body_bytes == 4u * 1024 * 1024);
    CHECK(s.resolve == std::vector<std::string>{"shop.example.com:443:192.0.2.10"});
    // headers merge key by key: defaults, site, check, and the default User-Agent.
    REQUIRE(header(s, "Accept-Language"));
    CHECK(render(header(s, "Accept-Language")->value) == "en");
    REQUIRE(header(s, "X-Synthetic"));
    REQUIRE(header(s, "Accept"));
    CHECK(render(header(s, "Accept")->value) == "text/html");
    REQUIRE(header(s, "User-Agent"));
    CHECK(render(header(s, "User-Agent")->value) == std::string("synthprobe/") + synthprobe::kVersion);
    // expect: the check's status, the defaults' body_not_contains.
    CHECK(cfg::describe(s.expect.status) == "[2xx, 304]");
    CHECK(texts(s.expect.body_not_contains) == std::vector<std::string>{"Internal Server Error"});
    CHECK(texts(s.expect.body_contains) == std::vector<std::string>{"Add to cart"});
    REQUIRE(s.expect.body_regex.size() == 1);
    CHECK(re2::RE2::PartialMatch("<span class=\"price\">$42", *s.expect.body_regex[0].re));
    REQUIRE(s.expect.headers.size() == 1);
    CHECK(s.expect.headers[0].name == "content-type");
    CHECK(s.expect.max_latency == 2s);
    CHECK(s.expect.degraded_latency == 800ms);
    // A check is a flow of one step named after it.
    REQUIRE(home.steps.size() == 1);
    CHECK(home.steps[0].name == "home");
    CHECK(render(home.steps[0].request.url) == "https://shop.example.com/");
    CHECK(home.steps[0].request.interval == 15s);
  }

  SUBCASE("credentials and site-level settings") {
    const cfg::Check& search = check_named(c, "search");
    CHECK(search.settings.basic_auth_user == "probe");
    CHECK(search.settings.basic_auth_password == "shop-pw-123");
    CHECK(search.settings.ip_version == cfg::IpVersion::v4);
    CHECK_FALSE(search.settings.fresh_connection);
    CHECK(search.settings.max_body_bytes == 512u * 1024);
    CHECK(search.area == "storefront");
    CHECK_FALSE(search.settings.url.is_constant());  // ${random_digits:2}

    const cfg::Check& health = check_named(c, "api-health");
    CHECK(health.area == "api-health");  // defaults to the name
    CHECK(health.severity == cfg::Severity::P3);
    CHECK(health.open_after == 2);                                  // site
    CHECK(health.settings.interval == 1min);                        // site
    CHECK(health.settings.bearer_token == "api-token-456");         // site, from the environment
    CHECK(health.settings.tls.ca_file == "/etc/ssl/certs/ca-certificates.crt");
    CHECK(health.settings.retries == 1);
    const auto& json = health.settings.expect.json;
    REQUIRE(json.size() == 4);
    std::map<std::string, boost::json::value> by_pointer;
    for (const auto& j : json) by_pointer[j.pointer] = j.value;
    CHECK(by_pointer.at("/status") == boost::json::value("UP"));
    CHECK(by_pointer.at("/checks/db/ok") == boost::json::value(true));
    CHECK(by_pointer.at("/replicas").is_int64());
    CHECK(by_pointer.at("/replicas") == boost::json::value(3));
    CHECK(by_pointer.at("/version") == boost::json::parse(R"({"major": 2})"));
    CHECK(health.settings.expect.json_absent == std::vector<std::string>{"/errors"});

    const cfg::Check& ingest = check_named(c, "api-ingest");
    CHECK(ingest.settings.body_kind == cfg::BodyKind::json);
    CHECK(ingest.settings.method == "POST");
    CHECK_FALSE(ingest.settings.follow_redirects);
    CHECK(cfg::describe(ingest.settings.expect.status) == "[202, 2xx]");

    const cfg::Check& legacy = check_named(c, "legacy-upload");
    CHECK_FALSE(legacy.enabled);
    CHECK(legacy.settings.body_kind == cfg::BodyKind::raw);
    CHECK(render(legacy.settings.body) == "ping");
    CHECK(legacy.settings.max_redirects == 3);
    CHECK(legacy.settings.interval_when_failing == 10s);
    CHECK(check_named(c, "shop-certificate").settings.expect.cert_min_days == 14);
    CHECK(check_named(c, "shop-certificate").settings.interval_when_failing == 1h);  // = interval
  }

  SUBCASE("a flow: its steps inherit from it and override") {
    const cfg::Check& flow = check_named(c, "checkout");
    CHECK(flow.kind == cfg::Check::Kind::flow);
    CHECK(flow.severity == cfg::Severity::P2);
    CHECK(flow.settings.timeout == 30s);
    CHECK(flow.settings.interval == 1min);
    CHECK(flow.settings.retries == 1);
    REQUIRE(flow.steps.size() == 4);

    const cfg::Step& product = flow.steps[0];
    CHECK(product.name == "product");
    CHECK(product.request.timeout == 30s);  // the flow's
    CHECK(product.request.expect.max_latency == 5s);
    CHECK(texts(product.request.expect.body_contains) == std::vector<std::string>{"Add to cart"});
    REQUIRE(product.extract.size() == 4);
    CHECK(product.extract[0].variable == "csrf");
    CHECK(product.extract[0].kind == cfg::Extraction::Kind::regex);
    REQUIRE(product.extract[0].regex);
    CHECK(product.extract[0].regex->NumberOfCapturingGroups() == 1);
    CHECK(product.extract[1].variable == "cart");
    CHECK(product.extract[1].kind == cfg::Extraction::Kind::json);
    CHECK(product.extract[1].source == "/cart/id");
    CHECK(product.extract[2].kind == cfg::Extraction::Kind::header);
    CHECK(product.extract[2].source == "x-token");
    CHECK(product.extract[3].kind == cfg::Extraction::Kind::cookie);
    CHECK(product.extract[3].source == "session");

    const cfg::Step& add = flow.steps[1];
    CHECK(add.request.method == "POST");
    CHECK(add.request.timeout == 10s);
    CHECK(render(add.request.url, {{"cart", "c 1"}}) == "https://shop.example.com/cart/c%201");
    CHECK(add.request.url.variables() == std::vector<std::string>{"cart"});
    REQUIRE(add.request.body_kind == cfg::BodyKind::form);
    REQUIRE(add.request.form.size() == 3);
    CHECK(add.request.form[0].name == "csrf");  // written order, not key order
    CHECK(add.request.form[1].name == "sku");
    CHECK(add.request.form[2].name == "qty");
    CHECK(render(add.request.form[0].value, {{"csrf", "tok"}}) == "tok");
    REQUIRE(header(add.request, "X-Token"));
    CHECK(render(header(add.request, "Accept")->value) == "text/html,application/json");  // the flow's
    // expect tables merge key by key: the step's status, the flow's max_latency, the defaults' body check.
    CHECK(cfg::describe(add.request.expect.status) == "[200, 201]");
    CHECK(add.request.expect.max_latency == 5s);
    CHECK(texts(add.request.expect.body_not_contains) == std::vector<std::string>{"Internal Server Error"});
    CHECK(add.request.expect.body_contains.empty());  // the product step's, not inherited sideways

    const cfg::Step& pay = flow.steps[2];
    CHECK(pay.request.body_kind == cfg::BodyKind::json);
    CHECK(pay.request.expect.max_latency == 3s);
    const auto body = boost::json::parse(render(pay.request.body, {{"cart", "a\"b"}, {"sid", "s"}}));
    CHECK(body.at("cart") == "a\"b");  // JSON-escaped where it lands
    // An expectation on what the first step extracted, rendered by each run.
    REQUIRE(pay.request.expect.json.size() == 2);
    const cfg::JsonExpectation& cart = pay.request.expect.json[1];
    CHECK(cart.pointer == "/cart");
    REQUIRE(cart.templates.size() == 1);
    CHECK(render(cart.templates[0].text, {{"cart", "a\"b"}}) == "a\"b");  // compared as it is, not escaped

    CHECK_FALSE(flow.steps[1].always);
    CHECK(flow.steps[3].always);
    CHECK(flow.steps[3].request.method == "DELETE");
  }

  SUBCASE("notifiers and heartbeat") {
    REQUIRE(c.notifiers.size() == 5);
    const auto& pd = c.notifiers[0];
    CHECK(pd.name == "oncall");
    CHECK(pd.type == "pagerduty");
    CHECK(pd.url == "https://events.pagerduty.com/v2/enqueue");
    CHECK(pd.routing_key == "pd-key-789");
    CHECK(pd.min_severity == cfg::Severity::P2);
    CHECK(pd.timeout == 5s);
    CHECK(c.notifiers[1].url == "https://api.opsgenie.com/v2/alerts");
    CHECK(c.notifiers[1].api_key == "og-key-abc");
    CHECK(c.notifiers[1].min_severity == cfg::Severity::P1);
    CHECK(c.notifiers[2].urls == std::vector<std::string>{"http://am-1:9093", "http://am-2:9093"});
    CHECK(c.notifiers[2].resend_interval == 1min);
    CHECK(c.notifiers[3].headers.at("Authorization") == "Bearer hook-token-def");
    CHECK(c.notifiers[4].url == "https://hooks.slack.com/services/T0/B0/slack-secret");
    CHECK(c.notifiers[4].min_severity == cfg::Severity::P3);
    REQUIRE(c.heartbeats.size() == 1);
    CHECK(c.heartbeats[0].url == "https://hc.example.com/ping/abc");
    CHECK(c.heartbeats[0].interval == 1min);
  }

  SUBCASE("every secret is listed once and redacted") {
    const std::set<std::string> secrets(c.secrets.begin(), c.secrets.end());
    CHECK(secrets.size() == c.secrets.size());
    for (const auto& [name, value] : kFullEnv.values) CHECK_MESSAGE(secrets.count(value), name);
    CHECK(c.redact("key=pd-key-789 pw=shop-pw-123.") == "key=<secret> pw=<secret>.");
  }
}

TEST_CASE("the minimal example loads") {
  const auto path = source_dir() / "config" / "examples" / "minimal.toml";
  const cfg::Config c = valid(cfg::load_config_file(path.string(), FakeEnv{}.fn()));
  REQUIRE(c.checks.size() == 2);
  CHECK(render(c.checks[0].settings.url) == "http://127.0.0.1:8080/");
  // No [[site]]: both checks belong to the site named after their host.
  REQUIRE(c.sites.size() == 1);
  CHECK(c.sites[0].name == "127.0.0.1");
  CHECK(c.sites[0].implicit);
  CHECK(c.checks[0].site == "127.0.0.1");
  CHECK(c.checks[1].site == "127.0.0.1");
  CHECK(c.checks[1].settings.timeout == 2s);
  CHECK(c.checks[1].settings.interval == 10s);
  CHECK(c.probe.region == "local");
}

TEST_CASE("the prefetch levels read only what a check has: loaded checks and flows, a bare check") {
  // Hints change nothing a test could see; this one is for the sanitizers, which see every read the
  // levels make to find their addresses (a step that is not there, a URL without parts).
  const cfg::Config c = valid(load(R"toml(
[[check]]
name = "home"
url = "http://127.0.0.1:8080/a/long/path/so/the/text/is/on/the/heap"
headers = { X-Team = "web", X-Run = "${uuid}" }

[[check]]
name = "search"
url = "http://127.0.0.1:8080/search?q=${uuid}"

[[flow]]
name = "buy"
[[flow.step]]
name = "cart"
url = "http://127.0.0.1:8080/cart"
method = "POST"
body = "{}"
)toml"));
  REQUIRE(c.checks.size() == 3);
  cfg::Check bare;  // no steps at all
  cfg::Check no_url;
  no_url.steps.emplace_back();  // a step whose URL has no parts
  std::vector<const cfg::Check*> all{&bare, &no_url};
  for (const auto& check : c.checks) all.push_back(&check);
  for (const cfg::Check* check : all)
    for (int level = -1; level <= cfg::kCheckPrefetchLevels; ++level) cfg::prefetch_check_level(*check, level);
  CHECK(c.checks[0].steps.front().request.url.parts().size() == 1);
}

TEST_CASE("a check or flow without site belongs to a site named after its URL's host") {
  const cfg::Config c = valid(load(R"toml(
[defaults]
open_after = 5
labels = { team = "web" }
vars = { cdn = "https://cdn.example.com" }
[[site]]
name = "api.example.com"
open_after = 2
[[check]]
name = "home"
url = "https://Shop.Example.com/"
[[check]]
name = "cart"
url = "https://shop.example.com:8443/cart?x=${uuid}"
[[flow]]
name = "checkout"
[[flow.step]]
name = "product"
url = "https://shop.example.com/p/42"
extract = { id = { json = "/id" } }
[[flow.step]]
name = "pay"
url = "https://pay.example.com/${id}"
[[check]]
name = "api"
url = "https://api.example.com/health"
[[check]]
name = "explicit"
site = "api.example.com"
url = "https://other.example.com/"
[[check]]
name = "local"
url = "http://127.0.0.1:8080/"
[[check]]
name = "v6"
url = "http://[::1]:9000/"
[[check]]
name = "asset"
url = "${cdn}/logo.png"
[[check]]
name = "own-var"
vars = { origin = "https://origin.example.com" }
url = "${origin}/"
[[maintenance]]
site = "shop.example.com"
weekly = "Sun 02:00-04:00"
)toml"));
  // Host names are case-insensitive; the port and what follows the host do not matter; a flow goes by
  // its first step.
  CHECK(check_named(c, "home").site == "shop.example.com");
  CHECK(check_named(c, "cart").site == "shop.example.com");
  CHECK(check_named(c, "checkout").site == "shop.example.com");
  // A [[site]] of that name is joined, with its settings.
  CHECK(check_named(c, "api").site == "api.example.com");
  CHECK(check_named(c, "api").open_after == 2);
  CHECK(check_named(c, "explicit").site == "api.example.com");
  CHECK(check_named(c, "local").site == "127.0.0.1");
  CHECK(check_named(c, "v6").site == "::1");
  // Vars known at load name the host too: [defaults]' and the check's own.
  CHECK(check_named(c, "asset").site == "cdn.example.com");
  CHECK(check_named(c, "own-var").site == "origin.example.com");

  // Implicit sites have the [defaults], and come after the [[site]] tables, in the order first used.
  std::vector<std::string> implicit;
  for (const auto& site : c.sites) {
    if (!site.implicit) continue;
    implicit.push_back(site.name);
    CHECK(site.open_after == 5);
    CHECK(site.labels == std::map<std::string, std::string>{{"team", "web"}});
  }
  CHECK(implicit ==
        std::vector<std::string>{"shop.example.com", "127.0.0.1", "::1", "cdn.example.com", "origin.example.com"});
  REQUIRE(c.find_site("api.example.com"));
  CHECK_FALSE(c.find_site("api.example.com")->implicit);
  CHECK(check_named(c, "home").open_after == 5);
  CHECK(check_named(c, "home").labels == std::map<std::string, std::string>{{"team", "web"}});
  // A maintenance window may name an implicit site.
  REQUIRE(c.maintenance.size() == 1);
  CHECK(c.maintenance[0].site == "shop.example.com");
}

TEST_CASE("a first config needs no site") {
  const cfg::Config c = valid(load(R"toml(
[[check]]
name = "home"
url = "https://shop.example.com/"
)toml"));
  REQUIRE(c.sites.size() == 1);
  CHECK(c.sites[0].name == "shop.example.com");
  CHECK(c.sites[0].implicit);
  CHECK(c.sites[0].open_after == 3);
  CHECK(c.sites[0].resolve_after == 2);
  CHECK(c.checks.at(0).site == "shop.example.com");
}

TEST_CASE("built-in defaults") {
  const cfg::Config c = valid(load(with_site(R"toml(
[[check]]
name = "home"
site = "shop"
url = "${base_url}/"
)toml")));
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  CHECK(c.probe.name == host);
  CHECK(c.probe.region == "local");
  CHECK(c.probe.listen == "127.0.0.1:9464");
  CHECK(std::filesystem::path(c.probe.state_dir).is_absolute());
  const cfg::Check& home = c.checks.at(0);
  CHECK(home.area == "home");
  CHECK(home.severity == cfg::Severity::P3);
  CHECK(home.enabled);
  CHECK(home.open_after == 3);
  CHECK(home.resolve_after == 2);
  const auto& s = home.settings;
  CHECK(s.method == "GET");
  CHECK(s.interval == 30s);
  CHECK(s.interval_when_failing == 30s);
  CHECK(s.timeout == 10s);
  CHECK(s.retries == 0);
  CHECK(s.follow_redirects);
  CHECK(s.max_redirects == 10);
  CHECK(s.fresh_connection);
  CHECK(s.ip_version == cfg::IpVersion::any);
  CHECK(s.body_kind == cfg::BodyKind::none);
  CHECK(cfg::describe(s.expect.status) == "[2xx]");
  REQUIRE(s.headers.size() == 1);
  CHECK(s.headers[0].name == "User-Agent");
  CHECK(c.secrets.empty());
}

TEST_CASE("tables merge key by key across defaults, site, check and step") {
  const cfg::Config c = valid(load(R"toml(
[defaults]
headers = { x-trace = "defaults", X-Keep = "kept" }
vars = { v = "defaults", w = "w-defaults" }
labels = { a = "1" }
expect = { json = { "/a" = 1, "/b" = 1 }, max_latency = "3s" }
tls = { insecure = true }

[[site]]
name = "shop"
vars = { base_url = "https://shop.example.com", v = "site" }
labels = { b = "2" }
headers = { X-TRACE = "site" }
expect = { json = { "/b" = 2 } }

[[check]]
name = "home"
site = "shop"
url = "${base_url}/${v}/${w}"
labels = { a = "3" }
headers = { User-Agent = "custom" }
expect = { json = { "/c" = 3 } }

[[flow]]
name = "f"
site = "shop"
headers = { X-Trace = "flow" }
vars = { w = "flow" }
[[flow.step]]
name = "one"
url = "${base_url}/${v}/${w}"
headers = { x-trace = "step" }
vars = { v = "step" }
expect = { json = { "/a" = "step" }, status = [201] }
tls = { ca_file = "" }
)toml"));
  const cfg::Check& home = c.checks.at(0);
  CHECK(render(home.settings.url) == "https://shop.example.com/site/w-defaults");
  CHECK(home.labels == std::map<std::string, std::string>{{"a", "3"}, {"b", "2"}});
  // One header per case-insensitive name, under the first spelling, with the latest value.
  REQUIRE(home.settings.headers.size() == 3);
  CHECK(home.settings.headers[0].name == "x-trace");
  CHECK(render(home.settings.headers[0].value) == "site");
  CHECK(home.settings.headers[1].name == "X-Keep");
  CHECK(home.settings.headers[2].name == "User-Agent");  // the user's, not the default
  CHECK(render(home.settings.headers[2].value) == "custom");
  std::map<std::string, boost::json::value> json;
  for (const auto& j : home.settings.expect.json) json[j.pointer] = j.value;
  CHECK(json == std::map<std::string, boost::json::value>{{"/a", 1}, {"/b", 2}, {"/c", 3}});
  CHECK(home.settings.expect.max_latency == 3s);
  CHECK(home.settings.tls.insecure);

  const cfg::Step& step = c.checks.at(1).steps.at(0);
  CHECK(render(step.request.url) == "https://shop.example.com/step/flow");
  CHECK(render(header(step.request, "x-trace")->value) == "step");
  CHECK(step.request.tls.insecure);  // tls merges key by key too
  json.clear();
  for (const auto& j : step.request.expect.json) json[j.pointer] = j.value;
  CHECK(json == std::map<std::string, boost::json::value>{{"/a", "step"}, {"/b", 2}});
  CHECK(cfg::describe(step.request.expect.status) == "[201]");
  CHECK(c.checks.at(1).labels == std::map<std::string, std::string>{{"a", "1"}, {"b", "2"}});
}

TEST_CASE("arrays and scalars replace, and body kinds replace each other") {
  const cfg::Config c = valid(load(with_site(R"toml(
[defaults]
expect = { body_contains = ["a", "b"] }
body = "raw"
bearer_token = "t"
[[check]]
name = "home"
site = "shop"
url = "${base_url}/"
json = '{"x": 1}'
basic_auth = { username = "u" }
expect = { body_contains = ["c"] }
)toml")));
  const auto& s = c.checks.at(0).settings;
  CHECK(texts(s.expect.body_contains) == std::vector<std::string>{"c"});
  CHECK(s.body_kind == cfg::BodyKind::json);
  CHECK(s.basic_auth_user == "u");
  CHECK(s.basic_auth_password == "");
  CHECK_FALSE(s.bearer_token.has_value());
}

TEST_CASE("one compiled regex per distinct pattern, shared by every check that uses it") {
  const cfg::Config c = valid(load(with_site(R"toml(
[[check]]
name = "a"
site = "shop"
url = "${base_url}/a"
expect = { body_regex = ["ok [0-9]+"] }
[[check]]
name = "b"
site = "shop"
url = "${base_url}/b"
expect = { body_regex = ["ok [0-9]+"], headers = { etag = "ok [0-9]+" } }
)toml")));
  const auto& a = c.checks.at(0).settings.expect;
  const auto& b = c.checks.at(1).settings.expect;
  REQUIRE(a.body_regex.size() == 1);
  REQUIRE(b.headers.size() == 1);
  CHECK(a.body_regex[0].re == b.body_regex[0].re);
  CHECK(a.body_regex[0].re == b.headers[0].regex.re);
}

TEST_CASE("paths and ${file:} secrets are relative to the config's folder") {
  TempDir dir;
  dir.write("token.txt", "  file-secret-value \n");
  const std::string path = dir.write("probe.toml", with_site(R"toml(
[probe]
state_dir = "var/state"
[[check]]
name = "home"
site = "shop"
url = "${base_url}/"
bearer_token = "${file:token.txt}"
tls = { ca_file = "token.txt" }
)toml"));
  const cfg::Config c = valid(cfg::load_config_file(path, FakeEnv{}.fn()));
  CHECK(c.probe.state_dir == (dir.path() / "var" / "state").string());
  CHECK(c.checks.at(0).settings.bearer_token == "file-secret-value");  // trimmed
  CHECK(c.checks.at(0).settings.tls.ca_file == (dir.path() / "token.txt").string());
  CHECK(c.secrets == std::vector<std::string>{"file-secret-value"});
}

TEST_CASE("vars may take their values from the environment, resolved once at load") {
  const FakeEnv env{{{"SHOP_URL", "https://staging.shop.example.com"}}};
  const cfg::Config c = valid(load(R"toml(
[[site]]
name = "shop"
vars = { base_url = "${env:SHOP_URL}", literal = "$${not_a_var}" }
[[check]]
name = "home"
site = "shop"
url = "${base_url}/"
headers = { X-Literal = "${literal}" }
)toml", env));
  CHECK(render(c.checks.at(0).settings.url) == "https://staging.shop.example.com/");
  CHECK(render(header(c.checks.at(0).settings, "X-Literal")->value) == "${not_a_var}");
  CHECK(c.find_site("shop")->vars.at("base_url") == "https://staging.shop.example.com");
  CHECK(c.secrets == std::vector<std::string>{"https://staging.shop.example.com"});
  fails_with(R"toml(
[[site]]
name = "shop"
vars = { a = "${uuid}", b = "${a}", 1x = "y" }
)toml",
             {R"(t.toml:3:14: var "a" must be known when the config is loaded: it cannot use ${uuid}, ${unix_ms}, ${random_digits:N} or variables extracted by a step)",
              R"(t.toml:3:30: undefined variable ${a} (not a site var and not extracted by an earlier step))",
              R"(t.toml:3:37: variable name "1x" must be letters, digits, _, - and . (starting with a letter or _))"});
}

TEST_CASE("did you mean: the closest known key within reach") {
  const std::vector<std::string_view> keys{"timeout", "interval", "interval_when_failing", "url", "headers"};
  CHECK(cfg::did_you_mean("timout", keys) == "timeout");
  CHECK(cfg::did_you_mean("Timeout", keys) == "timeout");
  CHECK(cfg::did_you_mean("intervall", keys) == "interval");
  CHECK(cfg::did_you_mean("interval_when_faling", keys) == "interval_when_failing");
  CHECK(cfg::did_you_mean("ur", keys) == "url");
  CHECK_FALSE(cfg::did_you_mean("colour", keys).has_value());
  CHECK_FALSE(cfg::did_you_mean("completely_different", keys).has_value());
  CHECK(cfg::edit_distance("kitten", "sitting") == 3);
}

TEST_CASE("a flow step may use what earlier steps extract") {
  const cfg::Config c = valid(load(with_site(R"toml(
[[flow]]
name = "f"
site = "shop"
[[flow.step]]
name = "one"
url = "${base_url}/a?u=${uuid}"
extract = { id = { json = "/id" } }
[[flow.step]]
name = "two"
url = "${base_url}/b?id=${id}"
headers = { X-Id = "${id}" }
)toml")));
  const auto& steps = c.checks.at(0).steps;
  REQUIRE(steps.size() == 2);
  CHECK(render(steps[1].request.url, {{"id", "a b&c"}}) == "https://shop.example.com/b?id=a%20b%26c");
  CHECK(steps[1].request.url.variables() == std::vector<std::string>{"id"});
}

TEST_CASE("templates render in expectations: site vars at load, extracted values per run") {
  const cfg::Config c = valid(load(R"toml(
[[site]]
name = "shop"
vars = { base_url = "https://shop.example.com", sku = "A.1" }
[[flow]]
name = "order"
site = "shop"
[[flow.step]]
name = "create"
url = "${base_url}/order"
extract = { code = { json = "/code" } }
[flow.step.expect]
body_contains = ["${sku}"]
body_regex = ['sku ${sku} x[0-9]']
[[flow.step]]
name = "confirm"
url = "${base_url}/order/${code}"
[flow.step.expect]
body_contains = ["order ${code}"]
body_not_contains = ["${code} cancelled"]
body_regex = ['code=${code}$', 'plain [0-9]+']
headers = { x-order = "^${code}$" }
json = { "/code" = "${code}", "/items" = [{ sku = "${sku}" }, "${code}"], "/n" = 3 }
)toml"));
  const auto& steps = c.checks.at(0).steps;
  REQUIRE(steps.size() == 2);
  // Known at load: substituted, and the regex compiled now with the value quoted.
  const cfg::Expect& create = steps[0].request.expect;
  CHECK(texts(create.body_contains) == std::vector<std::string>{"A.1"});
  REQUIRE(create.body_regex.size() == 1);
  CHECK(create.body_regex[0].pattern == R"(sku A\.1 x[0-9])");
  REQUIRE(create.body_regex[0].re);
  CHECK(re2::RE2::PartialMatch("sku A.1 x7", *create.body_regex[0].re));
  CHECK_FALSE(re2::RE2::PartialMatch("sku AX1 x7", *create.body_regex[0].re));

  // Extracted by the first step: rendered by each run, inserted values quoted in regexes.
  const cfg::Expect& confirm = steps[1].request.expect;
  const std::vector<std::pair<std::string, std::string>> vars{{"code", "K.1"}};
  REQUIRE(confirm.body_contains.size() == 1);
  CHECK(render(confirm.body_contains[0], vars) == "order K.1");
  CHECK(render(confirm.body_not_contains.at(0), vars) == "K.1 cancelled");
  REQUIRE(confirm.body_regex.size() == 2);
  CHECK_FALSE(confirm.body_regex[0].re);  // compiled per run
  CHECK(render(confirm.body_regex[0].source, vars) == R"(code=K\.1$)");
  CHECK(confirm.body_regex[1].re);  // no run-time value: compiled at load, as always
  REQUIRE(confirm.headers.size() == 1);
  CHECK_FALSE(confirm.headers[0].regex.re);
  CHECK(render(confirm.headers[0].regex.source, vars) == R"(^K\.1$)");
  REQUIRE(confirm.json.size() == 3);
  std::map<std::string, const cfg::JsonExpectation*> json;
  for (const auto& j : confirm.json) json[j.pointer] = &j;
  REQUIRE(json["/code"]->templates.size() == 1);
  CHECK(json["/code"]->templates[0].pointer == "");
  CHECK(render(json["/code"]->templates[0].text, vars) == "K.1");
  CHECK(json["/items"]->value == boost::json::parse(R"([{"sku":"A.1"},""])"));
  REQUIRE(json["/items"]->templates.size() == 1);
  CHECK(json["/items"]->templates[0].pointer == "/1");
  CHECK(json["/n"]->templates.empty());
  CHECK(json["/n"]->value == boost::json::value(3));
}

// Broken configs: every error names its place and what is wrong.

TEST_CASE("unknown keys are errors with a hint") {
  fails_with(with_site(R"toml(
[[check]]
name = "home"
site = "shop"
url = "${base_url}/"
timout = "5s"
[check.expect]
staus = [200]
body_contain = ["x"]
)toml"),
             {R"(t.toml:8:1: unknown key "timout" in [[check]] (did you mean "timeout"?))",
              R"(t.toml:10:1: unknown key "staus" in [check.expect] (did you mean "status"?))",
              R"(t.toml:11:1: unknown key "body_contain" in [check.expect] (did you mean "body_contains"?))"});
  fails_with(R"toml(
[[sites]]
name = "x"
[probe]
regoin = "eu"
colour = "blue"
)toml",
             {R"(t.toml:1:3: unknown key "sites" in the top-level table (did you mean "site"?))",
              R"(t.toml:4:1: unknown key "regoin" in [probe] (did you mean "region"?))",
              R"(t.toml:5:1: unknown key "colour" in [probe])"});
}

TEST_CASE("a header value or bearer token with a line break is an error: it would send a header of its own") {
  fails_with(R"toml(
[[site]]
name = "shop"
vars = { two_lines = "a\nX-Injected: yes" }
[[check]]
name = "home"
site = "shop"
url = "https://shop.example.com/"
headers = { X-Test = "a\r\nX-Injected: yes", X-Var = "${two_lines}", X-Nul = "a\u0000b", X-Fine = "a b", X-Late = "id-${uuid}\nX: 1" }
[[check]]
name = "api"
site = "shop"
url = "https://shop.example.com/api"
bearer_token = "tok\r\nX-Injected: yes"
)toml",
             {R"(t.toml:8:22: header "X-Test" holds a line break (CR or LF) or a NUL; it is sent as one header line)",
              R"(t.toml:8:54: header "X-Var" holds a line break (CR or LF) or a NUL; it is sent as one header line)",
              R"(t.toml:8:78: header "X-Nul" holds a line break (CR or LF) or a NUL; it is sent as one header line)",
              R"(t.toml:8:115: header "X-Late" holds a line break (CR or LF) or a NUL; it is sent as one header line)",
              R"(t.toml:13:16: "bearer_token" holds a line break (CR or LF) or a NUL; it is sent as one header line)"});
}

TEST_CASE("wrong types say what is expected") {
  fails_with(with_site(R"toml(
[[check]]
name = "home"
site = "shop"
url = "${base_url}/"
timeout = 10
retries = "2"
enabled = "yes"
headers = ["Accept: text/html"]
expect = { body_contains = [1] }
)toml"),
             {R"(t.toml:8:11: "timeout" must be a duration string like "10s")",
              R"(t.toml:9:11: "retries" must be an integer)",
              R"(t.toml:10:11: "enabled" must be true or false)",
              R"(t.toml:11:11: "headers" must be a table, like headers = { ... })",
              R"(t.toml:12:29: "body_contains" must be an array of strings)"});
}

TEST_CASE("bad durations and sizes") {
  fails_with(R"toml(
[defaults]
interval = "15"
max_body_bytes = "4MB"
timeout = "1h 5m"
)toml",
             {R"(t.toml:2:12: invalid duration "15": missing unit (e.g. 15s))",
              R"(t.toml:3:18: invalid size "4MB": use MiB (binary units: B, KiB, MiB, GiB))",
              R"(t.toml:4:11: invalid duration "1h 5m": must not contain spaces (e.g. 1h30m))"});
}

TEST_CASE("timeout must be less than interval") {
  fails_with(with_site(R"toml(
[[check]]
name = "home"
site = "shop"
url = "${base_url}/"
interval = "30s"
timeout = "30s"
)toml"),
             {R"(t.toml:9:11: "timeout" (30s) must be less than "interval" (30s))"});
  // With the built-in timeout, the interval the user wrote is the one to point at.
  fails_with(with_site(R"toml(
[[check]]
name = "home"
site = "shop"
url = "${base_url}/"
interval = "5s"
)toml"),
             {R"(t.toml:8:12: "timeout" (10s) must be less than "interval" (5s); the default timeout is 10s)"});
  // An inherited mistake is reported once, where it was written, however many checks inherit it.
  fails_with(with_site(R"toml(
[defaults]
timeout = "1m"
[[check]]
name = "a"
site = "shop"
url = "${base_url}/a"
[[check]]
name = "b"
site = "shop"
url = "${base_url}/b"
)toml"),
             {R"(t.toml:5:11: "timeout" (1m) must be less than "interval" (30s))"});
}

TEST_CASE("names must be unique and sites must exist") {
  fails_with(with_site(R"toml(
[[check]]
name = "home"
site = "shop"
url = "${base_url}/"
[[flow]]
name = "home"
site = "shpo"
[[flow.step]]
name = "s"
url = "https://x.example.com/"
[[check]]
site = "shop"
url = "https://x.example.com/"
)toml"),
             {R"(t.toml:9:8: duplicate check/flow name "home" (first used on line 5))",
              R"(t.toml:10:8: unknown site "shpo" (did you mean "shop"?))",
              R"(t.toml:14:1: missing required key "name" in [[check]])"});
}

TEST_CASE("without site, the host of the URL must be known at load") {
  fails_with(with_site(R"toml(
[[check]]
name = "a"
url = "${base_url}/"
[[check]]
name = "b"
url = "https://${uuid}.example.com/"
[[flow]]
name = "c"
[[flow.step]]
name = "s"
url = "${base_url}/"
[[check]]
name = "d"
[[check]]
name = "e"
url = "shop.example.com/"
[[check]]
name = "f"
url = "https://x.example.com/${env:UNSET}"
[[check]]
name = "g"
url = "https://shop.example.com/"
[[check]]
name = "h"
site = "shop.example.com"
url = "https://shop.example.com/"
)toml"),
             {R"(t.toml:4:1: missing required key "site" in [[check]]: the host of its url "${base_url}/" is not known at load, so no site can be named after it (set site = "..."))",
              R"(t.toml:7:1: missing required key "site" in [[check]]: the host of its url "https://${uuid}.example.com/" is not known at load, so no site can be named after it (set site = "..."))",
              R"(t.toml:10:1: missing required key "site" in [[flow]]: the host of its first step's url "${base_url}/" is not known at load, so no site can be named after it (set site = "..."))",
              R"(t.toml:15:1: missing required key "url" in [[check]])",
              R"(t.toml:19:7: "url" must be an absolute URL starting with http or https://)",
              R"(t.toml:22:30: environment variable UNSET is not set)",
              // A site = "..." names a [[site]]: an implicit site is only for checks without one.
              R"(t.toml:28:8: unknown site "shop.example.com" (define it in a [[site]] table, or leave out "site" for a site named after the URL's host))"});
}

TEST_CASE("at most one body and one kind of credentials") {
  fails_with(with_site(R"toml(
[[check]]
name = "home"
site = "shop"
url = "${base_url}/"
body = "a=1"
form = { a = "1" }
basic_auth = { username = "u", password = "p" }
bearer_token = "t"
)toml"),
             {R"(t.toml:9:8: at most one of "body", "form" and "json" may be set, but "body" and "form" are)",
              R"(t.toml:11:16: at most one of "basic_auth" and "bearer_token" may be set)"});
}

TEST_CASE("regexes and JSON pointers are checked at load") {
  fails_with(with_site(R"toml(
[[check]]
name = "home"
site = "shop"
url = "${base_url}/"
[check.expect]
body_regex = ["ok", "(unclosed"]
headers = { "content-type" = "[a-" }
json = { "status" = "UP", "/a~2" = 1, "/ok~0~1" = true }
json_absent = ["errors"]
)toml"),
             {R"(t.toml:9:21: invalid regex "(unclosed": missing ): (unclosed)",
              R"(t.toml:10:30: invalid regex "[a-": missing ]: [a-)",
              R"(t.toml:11:10: invalid JSON pointer "status": must be empty (the whole document) or start with "/")",
              R"(t.toml:11:27: invalid JSON pointer "/a~2": "~" must be written ~0, and ~1 stands for "/")",
              R"(t.toml:12:16: invalid JSON pointer "errors": must be empty (the whole document) or start with "/")"});
}

TEST_CASE("URLs must be http or https") {
  fails_with(with_site(R"toml(
[[check]]
name = "a"
site = "shop"
url = "ftp://files.example.com/"
[[check]]
name = "b"
site = "shop"
url = "shop.example.com/"
[[check]]
name = "c"
site = "shop"
url = "gopher://x/${uuid}"
)toml"),
             {R"(t.toml:7:7: "url" scheme "ftp" is not supported: use http or https)",
              R"(t.toml:11:7: "url" must be an absolute URL starting with http or https://)",
              R"(t.toml:15:7: "url" scheme "gopher" is not supported: use http or https)"});
}

TEST_CASE("a variable must be a site var or extracted by an earlier step") {
  fails_with(with_site(R"toml(
[[flow]]
name = "f"
site = "shop"
[[flow.step]]
name = "one"
url = "${base_url}/cart/${cart}"
extract = { cart = { json = "/cart" } }
[[flow.step]]
name = "two"
url = "${base_url}/cart/${cart}/${later}"
[[flow.step]]
name = "three"
url = "${base_url}/"
extract = { later = { header = "X-Later" } }
)toml"),
             {R"(t.toml:9:25: undefined variable ${cart} (not a site var and not extracted by an earlier step))",
              R"(t.toml:13:33: undefined variable ${later} (not a site var and not extracted by an earlier step))"});
}

TEST_CASE("a variable in an expectation must be a site var or extracted by an earlier step") {
  fails_with(with_site(R"toml(
[[flow]]
name = "f"
site = "shop"
[[flow.step]]
name = "one"
url = "${base_url}/"
extract = { code = { json = "/code" } }
expect = { body_contains = ["order ${code}"] }
[[flow.step]]
name = "two"
url = "${base_url}/${code}"
[flow.step.expect]
body_not_contains = ["${nope1}"]
body_regex = ['x${nope2}', '(${code}']
headers = { x-a = "${nope3}" }
json = { "/a" = "${nope4}", "/b" = [1, { c = "${nope5}" }] }
)toml"),
             {R"(t.toml:11:36: undefined variable ${code} (not a site var and not extracted by an earlier step))",
              R"(t.toml:16:23: undefined variable ${nope1} (not a site var and not extracted by an earlier step))",
              R"(t.toml:17:17: undefined variable ${nope2} (not a site var and not extracted by an earlier step))",
              R"(t.toml:17:28: invalid regex "(${code}": missing ): (code)",
              R"(t.toml:18:20: undefined variable ${nope3} (not a site var and not extracted by an earlier step))",
              R"(t.toml:19:18: undefined variable ${nope4} (not a site var and not extracted by an earlier step))",
              R"(t.toml:19:47: undefined variable ${nope5} (not a site var and not extracted by an earlier step))"});
}

TEST_CASE("template errors point inside the string, past escapes and non-ASCII text") {
  fails_with(with_site(R"toml(
[[check]]
name = "home"
site = "shop"
url = "${base_url}/"
headers = { X-A = "tab\there ${nope}", X-B = "é ${nope2}" }
body = """
line one
  ${nope3}"""
)toml"),
             {R"(t.toml:8:30: undefined variable ${nope} (not a site var and not extracted by an earlier step))",
              R"(t.toml:8:49: undefined variable ${nope2} (not a site var and not extracted by an earlier step))",
              R"(t.toml:11:3: undefined variable ${nope3} (not a site var and not extracted by an earlier step))"});
}

TEST_CASE("unset environment variables and unreadable files are errors that show no secret") {
  TempDir dir;
  const std::string config = with_site(R"toml(
[[check]]
name = "home"
site = "shop"
url = "${base_url}/?k=${env:API_KEY}"
bearer_token = "${env:MISSING_TOKEN}"
headers = { X-Secret = "${file:missing.txt}" }
[[check]]
name = "other"
site = "shop"
url = "${base_url}/"
basic_auth = { username = "u", password = "${env:API_KEY}" }
)toml");
  const FakeEnv env{{{"API_KEY", "hunter2"}}};
  const auto result = cfg::load_config_string(config, (dir.path() / "c.toml").string(), env.fn());
  const std::string prefix = (dir.path() / "c.toml").string();
  INFO(all_messages(result));
  CHECK(messages(result) ==
        std::vector<std::string>{
            prefix + R"(:8:17: environment variable MISSING_TOKEN is not set)",
            prefix + ":9:25: cannot read secret file " + (dir.path() / "missing.txt").string()});
  CHECK(all_messages(result).find("hunter2") == std::string::npos);
}

TEST_CASE("credentials must be known at load") {
  fails_with(with_site(R"toml(
[[flow]]
name = "f"
site = "shop"
[[flow.step]]
name = "one"
url = "${base_url}/"
extract = { t = { cookie = "t" } }
[[flow.step]]
name = "two"
url = "${base_url}/"
bearer_token = "${t}"
)toml"),
             {R"(t.toml:14:16: "bearer_token" must be known when the config is loaded: it cannot use ${uuid}, ${unix_ms}, ${random_digits:N} or variables extracted by a step)"});
}

TEST_CASE("a TOML syntax error gives toml++'s position and description") {
  const auto result = load(R"toml(
[[site]]
name = "shop
)toml");
  REQUIRE(result.errors.size() == 1);
  CHECK_FALSE(result.config.has_value());
  CHECK(result.errors[0].file == "t.toml");
  CHECK(result.errors[0].line == 2);
  CHECK(result.errors[0].to_string().starts_with("t.toml:2:"));
  CHECK(result.errors[0].message.find("string") != std::string::npos);
}

TEST_CASE("every error is reported at once, in file order") {
  const auto result = load(R"toml(
[defaults]
interval = "fast"
[[site]]
name = "shop"
severity = "P0"
[[check]]
name = "home"
site = "shop"
url = "https://shop.example.com/"
retries = -1
expect = { status = [200, 700, "2xy"] }
[[notifier]]
name = "oncall"
type = "pagerduty"
)toml");
  CHECK_FALSE(result.config.has_value());
  CHECK(messages(result) ==
        std::vector<std::string>{
            R"(t.toml:2:12: invalid duration "fast": expected a number at "fast" (e.g. 1h30m))",
            R"(t.toml:5:12: severity "P0" must be P1, P2 or P3)",
            R"(t.toml:10:11: "retries" must be between 0 and 10, not -1)",
            R"(t.toml:11:27: status 700 is not an HTTP status (100-599))",
            R"(t.toml:11:32: status "2xy" must be a code (100-599) or a class like "2xx")",
            R"(t.toml:12:1: missing required key "routing_key" in [[notifier]] (required for type "pagerduty"))"});
}

TEST_CASE("flow rules") {
  fails_with(with_site(R"toml(
[[flow]]
name = "empty"
site = "shop"
[[flow]]
name = "f"
site = "shop"
[[flow.step]]
name = "a"
url = "${base_url}/"
interval = "5s"
extract = { x = { regex = "no group" }, y = { json = "/a", header = "b" }, z = "/a", uuid = { cookie = "c" } }
[[flow.step]]
name = "a"
url = "${base_url}/"
)toml"),
             {R"(t.toml:4:1: a flow needs at least one step: add a [[flow.step]] table after it)",
              R"(t.toml:13:12: "interval" applies to the whole flow: set it in [[flow]], not in [[flow.step]])",
              R"(t.toml:14:27: the regex extracting "x" must have exactly one capture group ( ... ), not 0)",
              R"(t.toml:14:45: extraction "y" needs exactly one of regex, json, header or cookie, like { regex = 'id=([0-9]+)' })",
              R"(t.toml:14:80: extraction "z" must be a table, like { regex = 'id=([0-9]+)' })",
              R"(t.toml:14:86: variable name "uuid" is reserved)",
              R"(t.toml:16:8: duplicate step name "a" (first used on line 11))"});
}

TEST_CASE("notifier rules") {
  fails_with(R"toml(
[[notifier]]
name = "oncall"
type = "pagerduty"
min_severity = "P5"
[[notifier]]
type = "slak"
[[notifier]]
type = "alertmanager"
urls = []
routing_key = "x"
[[notifier]]
type = "webhook"
[[notifier]]
type = "opsgenie"
api_key = "${env:OG_KEY}"
url = "ftp://x"
[[notifier]]
name = "oncall"
type = "slack"
url = "https://hooks.slack.com/x"
[[heartbeat]]
interval = "0s"
)toml",
             {R"(t.toml:1:1: missing required key "routing_key" in [[notifier]] (required for type "pagerduty"))",
              R"(t.toml:4:16: "min_severity" "P5" must be P1, P2 or P3)",
              R"(t.toml:6:8: notifier type "slak" must be one of pagerduty, opsgenie, alertmanager, webhook, slack (did you mean "slack"?))",
              R"(t.toml:9:8: "urls" must list at least one Alertmanager)",
              R"(t.toml:10:1: "routing_key" does not apply to a notifier of type "alertmanager")",
              R"(t.toml:11:1: missing required key "url" in [[notifier]] (required for type "webhook"))",
              R"(t.toml:15:12: environment variable OG_KEY is not set)",
              R"(t.toml:16:7: "url" scheme "ftp" is not supported: use http or https)",
              R"(t.toml:18:8: duplicate notifier name "oncall" (first used on line 2))",
              R"(t.toml:21:1: missing required key "url" in [[heartbeat]])",
              R"(t.toml:22:12: "interval" must be more than 0s)"});
}

TEST_CASE("what notifiers and remote_write send in a header is one line, under a valid header name") {
  fails_with(R"toml(
[[notifier]]
type = "webhook"
url = "https://hooks.example.com/x"
headers = { "X Bad" = "1", X-Token = "a\r\nX-Injected: yes" }
[[notifier]]
type = "opsgenie"
api_key = "key\nX-Injected: yes"
[[remote_write]]
url = "https://metrics.example.com/api/v1/write"
bearer_token = "tok\n"
)toml",
             {R"(t.toml:4:13: header name "X Bad" is not a valid HTTP header name)",
              R"(t.toml:4:38: header "X-Token" holds a line break (CR or LF) or a NUL; it is sent as one header line)",
              R"(t.toml:7:11: "api_key" holds a line break (CR or LF) or a NUL; it is sent as one header line)",
              R"(t.toml:10:16: "bearer_token" holds a line break (CR or LF) or a NUL; it is sent as one header line)"});
}

TEST_CASE("incident_team: names or rota URLs, inline tables with a notifier, a site's roles over the probe's") {
  const cfg::Config c = valid(load(R"toml(
[[notifier]]
name = "oncall"
type = "slack"
url = "https://hooks.slack.com/x"
[[notifier]]
name = "comms-slack"
type = "slack"
url = "https://hooks.slack.com/y"
[incident_team]
commander = { name = "Ana Ruiz", notifier = "oncall" }
technical_lead = "https://rota.example.com/web-sre"
communications_lead = { name = "Sam Lee" }
[[site]]
name = "shop"
incident_team = { commander = "Bo Chen", support_lead = { name = "Support desk", notifier = "comms-slack" } }
[[site]]
name = "api"
[[check]]
name = "blog"
url = "https://blog.example.com/"
)toml"));
  using Member = std::optional<cfg::TeamMember>;
  CHECK(c.incident_team.commander == Member{{"Ana Ruiz", "oncall"}});
  CHECK(c.incident_team.technical_lead == Member{{"https://rota.example.com/web-sre", ""}});
  CHECK(c.incident_team.communications_lead == Member{{"Sam Lee", ""}});
  CHECK(c.incident_team.support_lead == std::nullopt);

  // A role the site names replaces the probe's whole (name and notifier); the others stay the probe's.
  const cfg::Site* shop = c.find_site("shop");
  REQUIRE(shop);
  CHECK(shop->team.commander == Member{{"Bo Chen", ""}});
  CHECK(shop->team.technical_lead == c.incident_team.technical_lead);
  CHECK(shop->team.communications_lead == c.incident_team.communications_lead);
  CHECK(shop->team.support_lead == Member{{"Support desk", "comms-slack"}});
  // Sites without their own, named or implicit, have the probe's.
  CHECK(c.find_site("api")->team == c.incident_team);
  REQUIRE(c.find_site("blog.example.com"));
  CHECK(c.find_site("blog.example.com")->team == c.incident_team);

  const cfg::Config none = valid(load(kSite));
  CHECK(none.incident_team.empty());
  CHECK(none.sites.at(0).team.empty());
}

TEST_CASE("incident_team rules: known roles and notifiers, a name for each role") {
  fails_with(R"toml(
[[notifier]]
name = "oncall"
type = "slack"
url = "https://hooks.slack.com/x"
[incident_team]
commander = { name = "Ana Ruiz", notifier = "oncal" }
comander = "Bo Chen"
technical_lead = 5
communications_lead = { notifier = "oncall" }
support_lead = ""
[[site]]
name = "shop"
incident_team = { support_lead = { name = "Desk", notifier = "pager", team = "x" } }
)toml",
             {R"(t.toml:6:45: unknown notifier "oncal" for commander (did you mean "oncall"?))",
              R"(t.toml:7:1: unknown key "comander" in [incident_team] (did you mean "commander"?))",
              R"(t.toml:8:18: "technical_lead" must be a name or rota URL, or { name = "...", notifier = "..." })",
              R"(t.toml:9:23: missing required key "name" in [incident_team] communications_lead (a person or a rota URL))",
              R"(t.toml:10:16: "support_lead" needs a name)",
              R"(t.toml:13:62: unknown notifier "pager" for support_lead)",
              R"(t.toml:13:71: unknown key "team" in [[site]] incident_team support_lead)"});
}

TEST_CASE("site, label, probe and request value rules") {
  fails_with(R"toml(
[probe]
listen = "9464"
log_format = "text"
max_in_flight = 0
[site]
name = "shop"
)toml",
             {R"(t.toml:2:10: "listen" "9464": needs a port, like "127.0.0.1:9464")",
              R"(t.toml:3:14: "log_format" "text" must be "logfmt" or "json")",
              R"(t.toml:4:17: "max_in_flight" must be between 1 and 1000000, not 0)",
              R"(t.toml:5:1: "site" must be an array of tables: write [[site]])"});
  fails_with(with_site(R"toml(
[[check]]
name = "home"
site = "shop"
url = "${base_url}/"
labels = { site = "x", "bad-name" = "y" }
ip_version = 5
resolve = { "shop.example.com" = "192.0.2.1", "shop.example.com:443" = "not-an-ip" }
open_after = 0
headers = { "Bad Header" = "x", Accept = "a", accept = "b" }
tls = { ca_file = "/nonexistent/ca.pem" }
expect = { max_latency = "1s", degraded_latency = "1s" }
)toml"),
             {R"(t.toml:8:12: label name "site" is reserved: the probe sets it)",
              R"(t.toml:8:24: label name "bad-name" is not a valid Prometheus label name)",
              R"(t.toml:9:14: "ip_version" must be 4, 6 or "any")",
              R"(t.toml:10:13: resolve key "shop.example.com" must be "host:port", like "shop.example.com:443")",
              R"(t.toml:10:72: resolve address "not-an-ip" must be an IPv4 or IPv6 address)",
              R"(t.toml:11:14: "open_after" must be between 1 and 1000, not 0)",
              R"(t.toml:12:13: header name "Bad Header" is not a valid HTTP header name)",
              R"(t.toml:12:47: header "accept" is given twice (header names are case-insensitive))",
              R"(t.toml:13:19: cannot read ca_file "/nonexistent/ca.pem": No such file or directory)",
              R"(t.toml:14:51: "degraded_latency" (1s) must be less than "max_latency" (1s))"});
}

TEST_CASE("an unreadable config file is one error without a position") {
  const auto result = cfg::load_config_file("/nonexistent/synthprobe.toml");
  REQUIRE(result.errors.size() == 1);
  CHECK(result.errors[0].to_string() == "/nonexistent/synthprobe.toml: cannot read config file: No such file or directory");
  TempDir dir;
  const auto folder = cfg::load_config_file(dir.path().string());
  REQUIRE(folder.errors.size() == 1);
  CHECK(folder.errors[0].message == "cannot read config file: it is a directory");
}

TEST_CASE("redaction replaces every secret, longest first") {
  cfg::Config c;
  c.secrets = {"abc", "abcdef", ""};
  cfg::sort_secrets(c.secrets);  // the loader does this once
  CHECK(c.secrets == std::vector<std::string>{"abcdef", "abc"});
  CHECK(c.redact("x abcdef y abc z") == "x <secret> y <secret> z");
  CHECK(cfg::redact_secrets("x abcdef y", {"abc", "abcdef"}) == "x <secret> y");
  CHECK(c.redact("nothing here") == "nothing here");
}

TEST_CASE("a site name that would make the incident key longer than PagerDuty takes is refused at load") {
  const std::string long_name(250, 's');
  const auto r = cfg::load_config_string("[probe]\nregion = \"eu-west\"\n[[site]]\nname = \"" + long_name + "\"\n", "t.toml");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].to_string().find("t.toml:4:8: site name") == 0);
  CHECK(r.errors[0].message.find("longer than 255 characters") != std::string::npos);
  CHECK(cfg::load_config_string("[[site]]\nname = \"" + std::string(200, 's') + "\"\n", "t.toml").errors.empty());
  // Room is kept for the longest key the site can make: a drill's of a sharded probe,
  // "synthprobe-drill/<site>/<region>/shard-999-of-1000".
  CHECK(cfg::load_config_string("[probe]\nregion = \"eu-west\"\n[[site]]\nname = \"" + std::string(215, 's') + "\"\n", "t.toml")
            .errors.size() == 1);
}

TEST_CASE("listen: check-config accepts exactly what the daemon can bind") {
  for (const char* ok : {"127.0.0.1:9464", "[::1]:9464", ":9464", "0.0.0.0:0"}) {
    CAPTURE(ok);
    CHECK(cfg::load_config_string(std::string("[probe]\nlisten = \"") + ok + "\"\n", "t.toml").errors.empty());
  }
  const std::pair<const char*, const char*> bad[] = {
      {"localhost:9464", "the host must be an IP address"},
      {"::1:9464", "an IPv6 address goes in brackets"},
      {"127.0.0.1:99999", "the port must be a number from 0 to 65535"},
      {"[127.0.0.1]:80", "the host must be an IP address"},
  };
  for (const auto& [text, why] : bad) {
    CAPTURE(text);
    const auto r = cfg::load_config_string(std::string("[probe]\nlisten = \"") + text + "\"\n", "t.toml");
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].message.find(why) != std::string::npos);
  }
}

TEST_CASE("dns_servers: IP addresses with optional ports, checked at load") {
  const auto ok = cfg::load_config_string(
      "[probe]\ndns_servers = [\"127.0.0.1:5353\", \"[::1]:53\", \"192.0.2.53\", \"[2001:db8::53]\"]\n", "t.toml");
  REQUIRE(ok.errors.empty());
  CHECK(ok.config->probe.dns_servers ==
        std::vector<std::string>{"127.0.0.1:5353", "[::1]:53", "192.0.2.53:53", "[2001:db8::53]:53"});
  CHECK(cfg::load_config_string("", "t.toml").config->probe.dns_servers.empty());

  const auto bad = cfg::load_config_string(
      "[probe]\ndns_servers = [\"ns1.example.com:53\", \"127.0.0.1:99999\", \"::1:53\", \"[127.0.0.1]:53\", "
      "\"127.0.0.1:\"]\n",
      "t.toml");
  CHECK(messages(bad) == std::vector<std::string>{
                             "t.toml:2:16: \"dns_servers\" entry \"ns1.example.com:53\": must be an IP address with an "
                             "optional port (\"127.0.0.1:5353\", \"[::1]:53\"), not a name: a resolver cannot be found by name",
                             "t.toml:2:38: \"dns_servers\" entry \"127.0.0.1:99999\": the port must be a number from 1 to "
                             "65535, like \"127.0.0.1:5353\"",
                             "t.toml:2:57: \"dns_servers\" entry \"::1:53\": an IPv6 address goes in brackets, like "
                             "\"[::1]:53\" or \"[2001:db8::53]\"",
                             "t.toml:2:67: \"dns_servers\" entry \"[127.0.0.1]:53\": only an IPv6 address goes in brackets, "
                             "like \"[::1]:53\"",
                             "t.toml:2:85: \"dns_servers\" entry \"127.0.0.1:\": the port must be a number from 1 to 65535, "
                             "like \"127.0.0.1:5353\""});
  const auto empty = cfg::load_config_string("[probe]\ndns_servers = []\n", "t.toml");
  REQUIRE(empty.errors.size() == 1);
  CHECK(empty.errors[0].message == "\"dns_servers\" lists no server; leave it out to use /etc/resolv.conf");
  const auto wrong_type = cfg::load_config_string("[probe]\ndns_servers = \"127.0.0.1\"\n", "t.toml");
  CHECK(wrong_type.errors.empty());  // a single string counts as a list of one
}

TEST_CASE("api_token: a secret of at least 16 characters, redacted like every secret") {
  std::map<std::string, std::string> env{{"TOKEN", "0123456789abcdef0123"}};
  auto getenv = [&](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  auto r = cfg::load_config_string("[probe]\napi_token = \"${env:TOKEN}\"\n", "t.toml", getenv);
  REQUIRE(r.errors.empty());
  CHECK(r.config->probe.api_token == "0123456789abcdef0123");
  CHECK(r.config->redact("token 0123456789abcdef0123") == "token <secret>");
  CHECK(cfg::load_config_string("[probe]\napi_token = \"short\"\n", "t.toml").errors.size() == 1);
}

TEST_CASE("headers carrying a secret are marked, directly or through a var; follow_redirects_with_secrets inherits") {
  const FakeEnv env{{{"API_KEY", "key-123"}, {"TOKEN", "tok-456"}}};
  const cfg::Config c = valid(load(R"toml(
[defaults]
follow_redirects_with_secrets = true
[[site]]
name = "shop"
vars = { token = "${env:TOKEN}", base = "https://shop.example.com" }
[[check]]
name = "api"
site = "shop"
url = "${base}/"
headers = { X-Api-Key = "${env:API_KEY}", X-Via-Var = "Bearer ${token}", X-Plain = "${base}" }
[[flow]]
name = "f"
site = "shop"
follow_redirects_with_secrets = false
[[flow.step]]
name = "one"
url = "${base}/a"
headers = { X-Step = "${env:API_KEY}-${uuid}" }
)toml", env));
  const cfg::RequestSettings& api = c.checks.at(0).steps.at(0).request;
  CHECK(header(api, "X-Api-Key")->secret);
  CHECK(header(api, "X-Via-Var")->secret);
  CHECK_FALSE(header(api, "X-Plain")->secret);
  CHECK_FALSE(header(api, "User-Agent")->secret);
  CHECK(api.follow_redirects_with_secrets);
  const cfg::RequestSettings& step = c.checks.at(1).steps.at(0).request;
  CHECK(header(step, "X-Step")->secret);
  CHECK_FALSE(step.follow_redirects_with_secrets);

  fails_with(with_site(R"toml(
[[check]]
name = "home"
site = "shop"
url = "${base_url}/"
follow_redirect_with_secrets = true
)toml"),
             {R"(t.toml:8:1: unknown key "follow_redirect_with_secrets" in [[check]] (did you mean "follow_redirects_with_secrets"?))"});
}

// ---- [probe] shard ---------------------------------------------------------------------------------------

TEST_CASE("shard: the hash is Prometheus' hashmod (MD5, its last 8 bytes big-endian, modulo N)") {
  // Values worked out with Python's hashlib, as Prometheus' relabel code does it in Go.
  CHECK(cfg::hashmod("home", 5) == 0);
  CHECK(cfg::hashmod("checkout", 5) == 2);
  CHECK(cfg::hashmod("search", 5) == 0);
  CHECK(cfg::hashmod("anything", 1) == 0);
}

TEST_CASE("shard: five shards of one config run every check and flow exactly once") {
  std::string text = "[probe]\nshard = \"SHARD\"\n";
  for (int i = 0; i < 40; ++i)
    text += "[[check]]\nname = \"page-" + std::to_string(i) + "\"\nsite = \"shop\"\nurl = \"https://shop.example.com/" +
            std::to_string(i) + "\"\n";
  text += "[[flow]]\nname = \"checkout\"\nsite = \"shop\"\n[[flow.step]]\nname = \"cart\"\nurl = \"https://shop.example.com/cart\"\n";
  std::map<std::string, int> seen;
  for (int k = 0; k < 5; ++k) {
    const cfg::Config c = valid(load("[[site]]\nname = \"shop\"\n" + std::regex_replace(text, std::regex("SHARD"), std::to_string(k) + "/5")));
    REQUIRE(c.probe.shard.has_value());
    CHECK(c.probe.shard->to_string() == std::to_string(k) + "/5");
    CHECK(c.checks_in_file == 41);
    CHECK_FALSE(c.checks.empty());
    CHECK(c.sites.size() == 1);  // every shard knows every site
    for (const auto& check : c.checks) {
      CHECK(cfg::in_shard(check.name, *c.probe.shard));
      ++seen[check.name];
    }
  }
  CHECK(seen.size() == 41);
  for (const auto& [name, times] : seen) CHECK_MESSAGE(times == 1, name);
  const cfg::Config all = valid(load("[[site]]\nname = \"shop\"\n" + std::regex_replace(text, std::regex("shard = \"SHARD\"\n"), "")));
  CHECK_FALSE(all.probe.shard.has_value());
  CHECK(all.checks.size() == 41);
}

TEST_CASE("shard: what is not K/N is an error") {
  for (const char* bad : {"5/5", "a/b", "1/0", "0/1001", "-1/3", "2", "2/5/1", " 2/5"}) {
    CAPTURE(bad);
    fails_with("[probe]\nshard = \"" + std::string(bad) + "\"\n",
               {"t.toml:2:9: \"shard\" \"" + std::string(bad) +
                "\" must be \"K/N\": this probe's shard K of N replicas, counted from 0 (like \"2/5\"; N from 1 to 1000)"});
  }
}
