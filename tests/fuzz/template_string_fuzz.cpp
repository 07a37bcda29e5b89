// Fuzzes config/template_string.h: parse and render in every context, with arbitrary run-time values.
//
// Input: the template text, then up to three values separated by NUL bytes (the run-time variables
// ${code}, ${csrf} and ${cart}). Properties beyond "no crash, no UB, no leak":
// - a parse error points into the text and says something;
// - a constant template renders as its constant text;
// - a value inserted where it lands comes back unchanged from that place: percent-decoding gives it back
//   (and a query value holds no delimiter), a JSON string holding it parses back to it, and a regex made
//   from it matches exactly it (valid UTF-8 values; RE2 reads patterns as UTF-8).

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/parse.hpp>
#include <re2/re2.h>

#include "common/utf8.h"
#include "config/template_string.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

namespace config = synthprobe::config;
using config::Escape;
using config::TemplateContext;
using synthprobe::fuzz::require;

std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    const auto hex = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      return -1;
    };
    const int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

void check_escape(std::string_view value, Escape escape) {
  std::string out;
  config::append_escaped(out, value, escape);
  switch (escape) {
    case Escape::none:
      require(out == value, "raw values are inserted as they are");
      return;
    case Escape::url_path:
    case Escape::url_query: {
      const auto decoded = percent_decode(out);
      require(decoded && *decoded == value, "a percent-encoded value decodes to itself");
      const std::string_view delimiters = escape == Escape::url_path ? "?# \t\r\n" : "?#&=+/ \t\r\n";
      require(out.find_first_of(delimiters) == std::string::npos, "an encoded value holds no URL delimiter");
      return;
    }
    case Escape::json: {
      if (!synthprobe::utf8::is_valid(value)) return;
      boost::json::error_code ec;
      const auto parsed = boost::json::parse("\"" + out + "\"", ec);
      require(!ec && parsed.is_string() && parsed.get_string() == value, "a JSON-escaped value parses back");
      return;
    }
    case Escape::regex: {
      if (!synthprobe::utf8::is_valid(value)) return;
      const re2::RE2 re(out, re2::RE2::Quiet);
      require(re.ok() && re2::RE2::FullMatch(value, re), "a quoted value matches itself");
      return;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view rest = synthprobe::fuzz::as_text(data, size);
  const auto next = [&rest]() {
    const std::size_t nul = rest.find('\0');
    const std::string_view part = rest.substr(0, nul);
    rest = nul == std::string_view::npos ? std::string_view() : rest.substr(nul + 1);
    return part;
  };
  const std::string_view text = next();
  std::vector<std::pair<std::string, std::string>> vars;
  for (const char* name : {"code", "csrf", "cart"}) vars.emplace_back(name, std::string(next()));

  static const std::map<std::string, std::string> site_vars{
      {"base_url", "https://shop.example.com"}, {"q", "a b&c?d=e#f"}, {"empty", ""}};
  static const std::set<std::string> runtime_vars{"code", "csrf", "cart"};
  std::vector<std::string> secrets;
  config::TemplateEnv env;
  env.site_vars = &site_vars;
  env.runtime_vars = &runtime_vars;
  env.base_dir = synthprobe::fuzz::empty_dir();
  env.secrets = &secrets;
  env.getenv = synthprobe::fuzz::fake_getenv;

  std::mt19937_64 rng(7);
  const config::RenderInputs inputs{&vars, 1700000000123, &rng};
  for (TemplateContext context :
       {TemplateContext::raw, TemplateContext::url, TemplateContext::json, TemplateContext::regex}) {
    config::TemplateString::ParseError error{};
    const auto t = config::TemplateString::parse(text, context, env, error);
    if (!t) {
      require(error.offset < text.size() && !error.message.empty(), "a parse error points into the text");
      continue;
    }
    const std::string rendered = t->render(inputs);
    if (t->is_constant()) require(rendered == t->constant_text(), "a constant renders as its text");
    for (const auto& name : t->variables()) require(runtime_vars.contains(name), "only known run-time variables");
  }
  for (const auto& [name, value] : vars)
    for (Escape escape : {Escape::none, Escape::url_path, Escape::url_query, Escape::json, Escape::regex})
      check_escape(value, escape);
  return 0;
}
