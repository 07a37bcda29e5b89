#include <doctest/doctest.h>

#include <map>
#include <set>

#include "config/template_string.h"
#include "tests/support/temp_dir.h"

using namespace synthprobe::config;

namespace {

struct Env {
  std::map<std::string, std::string> site{{"base_url", "https://shop.example.com"}, {"q", "a b&c"}};
  std::set<std::string> runtime{"csrf", "cart"};
  std::vector<std::string> secrets;
  std::map<std::string, std::string> environment{{"TOKEN", "s3cret"}};
  TemplateEnv env() {
    TemplateEnv e;
    e.site_vars = &site;
    e.runtime_vars = &runtime;
    e.secrets = &secrets;
    e.getenv = [this](const char* name) -> const char* {
      auto it = environment.find(name);
      return it == environment.end() ? nullptr : it->second.c_str();
    };
    return e;
  }
};

TemplateString parse_ok(std::string_view text, TemplateContext ctx, Env& env) {
  TemplateString::ParseError err{};
  auto t = TemplateString::parse(text, ctx, env.env(), err);
  REQUIRE_MESSAGE(t, err.message);
  return *t;
}

std::string render(const TemplateString& t, std::vector<std::pair<std::string, std::string>> vars = {}) {
  std::mt19937_64 rng(42);
  return t.render(RenderInputs{&vars, 1700000000123, &rng});
}

}  // namespace

TEST_CASE("site vars are substituted at load; a base URL before the query keeps its slashes") {
  Env env;
  auto t = parse_ok("${base_url}/search?q=${q}", TemplateContext::url, env);
  CHECK(t.is_constant());
  CHECK(t.constant_text() == "https://shop.example.com/search?q=a%20b%26c");
}

TEST_CASE("extracted values are escaped for where they land") {
  Env env;
  const std::vector<std::pair<std::string, std::string>> vars{{"csrf", "a&b=\"c\" d/é"}, {"cart", "x y"}};
  CHECK(render(parse_ok("/cart/${cart}?t=${csrf}", TemplateContext::url, env), vars) ==
        "/cart/x%20y?t=a%26b%3D%22c%22%20d%2F%C3%A9");
  CHECK(render(parse_ok(R"({"token":"${csrf}"})", TemplateContext::json, env), vars) ==
        R"({"token":"a&b=\"c\" d/é"})");
  CHECK(render(parse_ok("${csrf}", TemplateContext::raw, env), vars) == "a&b=\"c\" d/é");
}

TEST_CASE("$${ writes a literal ${ and a lone $ stays") {
  Env env;
  CHECK(parse_ok("price $5 and $${literal}", TemplateContext::raw, env).constant_text() == "price $5 and ${literal}");
}

TEST_CASE("built-ins render per run") {
  Env env;
  auto t = parse_ok("${uuid}|${unix_ms}|${random_digits:6}", TemplateContext::raw, env);
  CHECK_FALSE(t.is_constant());
  const std::string out = render(t);
  REQUIRE(out.size() == 36 + 1 + 13 + 1 + 6);
  CHECK(out[14] == '4');  // uuid version 4
  CHECK(out.substr(37, 13) == "1700000000123");
  for (char c : out.substr(51)) CHECK(std::isdigit(static_cast<unsigned char>(c)));
}

TEST_CASE("env and file secrets are resolved at load and remembered for redaction") {
  Env env;
  synthprobe::testing::TempDir dir;
  dir.write("pw.txt", "  file-secret\n");
  TemplateEnv e = env.env();
  e.base_dir = dir.path();
  TemplateString::ParseError err{};
  auto t = TemplateString::parse("${env:TOKEN}:${file:pw.txt}", TemplateContext::raw, e, err);
  REQUIRE(t);
  CHECK(t->constant_text() == "s3cret:file-secret");
  CHECK(env.secrets == std::vector<std::string>{"s3cret", "file-secret"});
}

TEST_CASE("errors name the offset and the problem") {
  Env env;
  TemplateString::ParseError err{};
  CHECK_FALSE(TemplateString::parse("/a/${nope}", TemplateContext::url, env.env(), err));
  CHECK(err.offset == 3);
  CHECK(err.message == "undefined variable ${nope} (not a site var and not extracted by an earlier step)");
  CHECK_FALSE(TemplateString::parse("x ${env:MISSING}", TemplateContext::raw, env.env(), err));
  CHECK(err.message == "environment variable MISSING is not set");
  CHECK_FALSE(TemplateString::parse("${file:/nonexistent/x}", TemplateContext::raw, env.env(), err));
  CHECK(err.message.find("cannot read secret file") == 0);
  CHECK_FALSE(TemplateString::parse("abc ${open", TemplateContext::raw, env.env(), err));
  CHECK(err.offset == 4);
  CHECK_FALSE(TemplateString::parse("${random_digits:0}", TemplateContext::raw, env.env(), err));
  CHECK_FALSE(TemplateString::parse("${bad name}", TemplateContext::raw, env.env(), err));
}

TEST_CASE("in a regex, inserted values are quoted so they match only themselves; the pattern's own text is not") {
  Env env;
  env.site["host"] = "shop.example.com";
  // A site var is quoted at load: the dots match dots, the pattern's own ^ and [0-9]+ stay operators.
  auto site = parse_ok("^https://${host}/order/[0-9]+$", TemplateContext::regex, env);
  CHECK(site.is_constant());
  CHECK(site.constant_text() == R"(^https://shop\.example\.com/order/[0-9]+$)");
  // An extracted value is quoted when the run renders it.
  auto extracted = parse_ok("id=(${csrf})", TemplateContext::regex, env);
  CHECK_FALSE(extracted.is_constant());
  CHECK(render(extracted, {{"csrf", "a.b(c)*"}}) == R"(id=(a\.b\(c\)\*))");
  // Built-ins have no characters to quote; $${ stays a literal ${ of the pattern.
  const std::string digits = render(parse_ok("${random_digits:3}|$${x}", TemplateContext::regex, env));
  REQUIRE(digits.size() == 3 + 5);
  CHECK(digits.substr(3) == "|${x}");
}
