// The synthprobe binary as a user runs it: exit codes, check-config, and `once` output field by field.
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <csignal>
#include <cstdlib>
#include <fstream>

#include "common/utf8.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_server.h"

using namespace synthprobe::testing;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

std::string bin() {
  const char* b = std::getenv("SYNTHPROBE_BIN");
  REQUIRE_MESSAGE(b, "SYNTHPROBE_BIN is set by ctest");
  return b;
}

struct Run {
  int code;
  std::string out;
};

Run invoke(const std::string& args, bool with_stderr = false) {
  std::string out;
  const std::string cmd = bin() + " " + args + (with_stderr ? "" : " 2>/dev/null");
  // run_command merges stderr; without it we drop stderr above.
  const int code = run_command(cmd, &out);
  return {code, out};
}

TestServer::Handler shop() {
  return [](const TestRequest& req) {
    TestResponse r;
    if (req.target == "/") {
      r.body = "<html>Add to cart</html>";
    } else if (req.target == "/broken") {
      r.status = 503;
      r.body = "down";
    } else if (req.target == "/product") {
      r.body = R"TOML(<input name="csrf" value="tok123">)TOML";
    } else if (req.target == "/cart" && req.method == "POST") {
      r.status = 503;
    } else if (req.target == "/cart" && req.method == "DELETE") {
      r.status = 204;
    } else {
      r.status = 404;
    }
    return r;
  };
}

std::string config_for(const TestServer& server) {
  return R"TOML(
[probe]
name = "test-probe"
region = "eu-west"

[[site]]
name = "shop"
vars = { base_url = ")TOML" + server.url("") + R"TOML(" }

[[check]]
name = "home"
site = "shop"
area = "storefront"
url = "${base_url}/"
[check.expect]
body_contains = ["Add to cart"]

[[check]]
name = "broken"
site = "shop"
url = "${base_url}/broken"

[[flow]]
name = "checkout"
site = "shop"
area = "checkout"
severity = "P2"
[[flow.step]]
name = "product"
url = "${base_url}/product"
extract = { csrf = { regex = 'name="csrf" value="([^"]+)"' } }
[[flow.step]]
name = "add-to-cart"
method = "POST"
url = "${base_url}/cart"
form = { csrf = "${csrf}", sku = "42" }
[[flow.step]]
name = "pay"
url = "${base_url}/pay"
[[flow.step]]
name = "empty-cart"
method = "DELETE"
url = "${base_url}/cart"
always = true
)TOML";
}

}  // namespace

TEST_CASE("--version and --help exit 0") {
  Run v = invoke("--version");
  CHECK(v.code == 0);
  CHECK(v.out.find("synthprobe ") == 0);
  Run h = invoke("--help");
  CHECK(h.code == 0);
  CHECK(h.out.find("check-config") != std::string::npos);
  CHECK(invoke("no-such-command").code == 2);
}

TEST_CASE("check-config: ok with counts, or every error as FILE:LINE:COLUMN and exit 2") {
  TestServer server(shop());
  TempDir dir;
  const std::string good = dir.write("good.toml", config_for(server));
  Run ok = invoke("check-config " + good);
  CHECK(ok.code == 0);
  CHECK(ok.out == "ok: 2 checks, 1 flows\n");

  const std::string bad = dir.write("bad.toml", R"TOML([[site]]
name = "shop"

[[check]]
name = "home"
site = "shop"
url = "http://127.0.0.1/"
timout = "5s"
interval = "soon"
)TOML");
  Run err = invoke("check-config " + bad, true);
  CHECK(err.code == 2);
  CHECK(err.out.find(bad + ":8:1: ") != std::string::npos);
  CHECK(err.out.find("did you mean \"timeout\"") != std::string::npos);
  CHECK(err.out.find(bad + ":9:") != std::string::npos);
  CHECK(invoke("check-config " + dir.path().string() + "/missing.toml").code == 2);
}

TEST_CASE("check-config: checks without site get a site named after their URL's host, and it says so") {
  TempDir dir;
  const std::string first = dir.write("first.toml", R"TOML([[check]]
name = "home"
url = "https://shop.example.com/"

[[check]]
name = "cart"
url = "https://shop.example.com/cart"

[[flow]]
name = "login"
[[flow.step]]
name = "form"
url = "https://accounts.example.com/login"
)TOML");
  Run ok = invoke("check-config " + first);
  CHECK(ok.code == 0);
  CHECK(ok.out ==
        "implicit site \"shop.example.com\" for checks: home, cart\n"
        "implicit site \"accounts.example.com\" for checks: login\n"
        "ok: 2 checks, 1 flows\n");

  // A host only a site's vars could give: the error asks for the site.
  const std::string templated = dir.write("templated.toml", R"TOML([[check]]
name = "home"
url = "${base_url}/"
)TOML");
  Run err = invoke("check-config " + templated, true);
  CHECK(err.code == 2);
  CHECK(err.out.find(templated + ":1:1: missing required key \"site\" in [[check]]") == 0);
  CHECK(err.out.find("(set site = \"...\")") != std::string::npos);
}

TEST_CASE("once: a check without site runs, reported under its host's site") {
  TestServer server(shop());
  TempDir dir;
  const std::string path = dir.write("nosite.toml", "[[check]]\nname = \"home\"\nurl = \"" + server.url("/") + "\"\n");
  Run run = invoke("once --config " + path + " --format json");
  CHECK(run.code == 0);
  const json::value doc = json::parse(run.out);
  const json::object& home = doc.at("results").at(0).as_object();
  CHECK(home.at("site") == "127.0.0.1");
  CHECK(home.at("success") == true);
}

TEST_CASE("once --format json: every field of checks and flows, exit 1 when any failed") {
  TestServer server(shop());
  TempDir dir;
  const std::string path = dir.write("shop.toml", config_for(server));
  Run run = invoke("once --config " + path + " --format json");
  CHECK(run.code == 1);
  json::value doc = json::parse(run.out);
  CHECK(doc.at("probe") == "test-probe");
  CHECK(doc.at("region") == "eu-west");
  const json::array& results = doc.at("results").as_array();
  REQUIRE(results.size() == 3);

  const json::object& home = results[0].as_object();
  CHECK(home.at("name") == "home");
  CHECK(home.at("kind") == "check");
  CHECK(home.at("site") == "shop");
  CHECK(home.at("area") == "storefront");
  CHECK(home.at("success") == true);
  CHECK(home.at("degraded") == false);
  CHECK(home.at("reason").is_null());
  CHECK(home.at("message").is_null());
  CHECK(home.at("failed_step").is_null());
  CHECK(home.at("status_code") == 200);
  CHECK(home.at("http_version") == "1.1");
  CHECK(home.at("body_bytes") == 24);
  CHECK(home.at("redirects") == 0);
  CHECK(home.at("cert_expiry_unix").is_null());
  CHECK(home.at("duration_seconds").as_double() > 0.0);
  for (const char* phase : {"resolve", "connect", "tls", "processing", "transfer"})
    CHECK(home.at("phases").as_object().contains(phase));
  CHECK(home.at("phases").at("processing").as_double() > 0.0);
  CHECK_FALSE(home.contains("steps"));

  const json::object& broken = results[1].as_object();
  CHECK(broken.at("success") == false);
  CHECK(broken.at("area") == "broken");  // defaults to the check's name
  CHECK(broken.at("reason") == "status");
  CHECK(broken.at("message") == "status 503 not in [2xx]");
  CHECK(broken.at("status_code") == 503);

  const json::object& flow = results[2].as_object();
  CHECK(flow.at("kind") == "flow");
  CHECK(flow.at("success") == false);
  CHECK(flow.at("reason") == "status");
  CHECK(flow.at("failed_step") == "add-to-cart");
  CHECK(flow.at("message") == "step add-to-cart: status 503 not in [2xx]");
  CHECK(flow.at("status_code") == 204);  // the last step run: the always-run clean-up
  const json::array& steps = flow.at("steps").as_array();
  REQUIRE(steps.size() == 4);
  CHECK(steps[0].at("name") == "product");
  CHECK(steps[0].at("success") == true);
  CHECK(steps[1].at("success") == false);
  CHECK(steps[1].at("reason") == "status");
  CHECK(steps[2].at("name") == "pay");
  CHECK(steps[2].at("success").is_null());
  CHECK(steps[3].at("success") == true);
  CHECK(steps[3].at("status_code") == 204);
}

TEST_CASE("once --check selects; an unknown name is a usage error; table output is readable") {
  TestServer server(shop());
  TempDir dir;
  const std::string path = dir.write("shop.toml", config_for(server));
  Run one = invoke("once --config " + path + " --check home");
  CHECK(one.code == 0);
  CHECK(one.out.find("home") != std::string::npos);
  CHECK(one.out.find("broken") == std::string::npos);
  CHECK(invoke("once --config " + path + " --check nope").code == 2);
  CHECK(invoke("once --config " + path + " --format xml").code == 2);
  CHECK(invoke("once").code == 2);
}

TEST_CASE("secrets from the environment never appear in output") {
  TestServer server(shop());
  TempDir dir;
  const std::string path = dir.write("s.toml", R"TOML(
[[site]]
name = "shop"
[[check]]
name = "secret"
site = "shop"
url = ")TOML" + server.url("/broken") + R"TOML("
bearer_token = "${env:SYNTHPROBE_TEST_TOKEN}"
headers = { X-Api-Key = "${env:SYNTHPROBE_TEST_TOKEN}" }
)TOML");
  setenv("SYNTHPROBE_TEST_TOKEN", "hunter2-very-secret", 1);
  Run run = invoke("once --config " + path + " --format json", true);
  CHECK(run.code == 1);
  CHECK(run.out.find("hunter2") == std::string::npos);
  unsetenv("SYNTHPROBE_TEST_TOKEN");
  Run unset = invoke("check-config " + path, true);
  CHECK(unset.code == 2);
  CHECK(unset.out.find("SYNTHPROBE_TEST_TOKEN") != std::string::npos);
}

TEST_CASE("once --format json stays valid UTF-8 when a target sends invalid bytes that a message quotes") {
  TestServer server([](const TestRequest& req) {
    TestResponse r;
    r.headers = {{"X-Note", "caf\xE9 \xFF\xFE broken"}, {"Content-Type", "text/plain"}};
    r.body = "body \xC3\x28 \xFF";
    if (req.target == "/away") {
      r.status = 302;
      r.headers = {{"Location", "gopher://caf\xE9.example/\xFF"}};
    }
    return r;
  });
  TempDir dir;
  const std::string path = dir.write("utf8.toml", R"TOML(
[[site]]
name = "shop"
[[check]]
name = "header"
site = "shop"
url = ")TOML" + server.url("/") + R"TOML("
expect = { headers = { x-note = "^fine" } }
[[check]]
name = "redirect"
site = "shop"
url = ")TOML" + server.url("/away") + R"TOML("
)TOML");
  Run run = invoke("once --config " + path + " --format json");
  CHECK(run.code == 1);
  CHECK_MESSAGE(synthprobe::utf8::is_valid(run.out), run.out);
  json::error_code ec;
  const json::value doc = json::parse(run.out, ec);  // Boost.JSON rejects invalid UTF-8 in strings
  REQUIRE_MESSAGE(!ec, ec.message() << ": " << run.out);
  const json::array& results = doc.at("results").as_array();
  REQUIRE(results.size() == 2);
  const std::string header_message(results[0].at("message").as_string());
  CHECK(header_message.find("caf\xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD broken") != std::string::npos);
  CHECK(results[1].at("reason") == "protocol");
  const std::string redirect_message(results[1].at("message").as_string());
  CHECK(redirect_message.find("redirect to gopher://caf\xEF\xBF\xBD.example/\xEF\xBF\xBD") == 0);
}

TEST_CASE("once raises the open files limit to the hard limit and warns when its runs cannot fit") {
  TestServer server(shop());
  TempDir dir;
  const auto config_with = [&](int checks) {
    std::string toml = "[probe]\nmax_in_flight = 1000\n[[site]]\nname = \"shop\"\n";
    for (int i = 0; i < checks; ++i)
      toml += "[[check]]\nname = \"home" + std::to_string(i) + "\"\nsite = \"shop\"\nurl = \"" + server.url("/") + "\"\n";
    return dir.write("checks" + std::to_string(checks) + ".toml", toml);
  };
  // A soft limit of 100 under a hard one of 200: a warning that names 200 shows the soft limit was raised.
  const auto once_limited = [&](const std::string& path) {
    Run run;
    run.code = run_command("sh -c 'ulimit -Sn 100 && ulimit -Hn 200 && exec " + bin() + " once --config " + path + "'",
                           &run.out);
    return run;
  };
  const Run many = once_limited(config_with(60));  // 60 runs at once may need about 244 descriptors
  CHECK(many.code == 0);
  CHECK_MESSAGE(many.out.find("open files limit (200)") != std::string::npos, many.out);
  CHECK(many.out.find("60 concurrent runs may need (max_in_flight = 1000)") != std::string::npos);
  const Run few = once_limited(config_with(10));  // max_in_flight is 1000, but only 10 run
  CHECK(few.code == 0);
  CHECK_MESSAGE(few.out.find("open files limit") == std::string::npos, few.out);
}

TEST_CASE("run raises the open files limit and warns as once does") {
  TempDir dir;
  const std::string path = dir.write("probe.toml", R"TOML(
[probe]
listen = "127.0.0.1:)TOML" + std::to_string(closed_port()) + R"TOML("
state_dir = "state"
max_in_flight = 1000
)TOML");
  const std::string log = (dir.path() / "probe.log").string();
  ChildProcess probe({"/bin/sh", "-c", "ulimit -Sn 100 && ulimit -Hn 400 && exec " + bin() + " run --config " + path},
                     log);
  const auto read_log = [&] {
    std::ifstream in(log);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  CHECK_MESSAGE(eventually([&] { return read_log().find("open files limit (400)") != std::string::npos; }, 10s),
                read_log());
  // Signal only once the daemon handles signals (it logs "started" then), else SIGTERM just kills it.
  REQUIRE(eventually([&] { return read_log().find("msg=started") != std::string::npos; }, 10s));
  probe.signal(SIGTERM);
  CHECK(probe.wait(10s) == 0);
}
