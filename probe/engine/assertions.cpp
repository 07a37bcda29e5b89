#include "probe/engine/assertions.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <memory>
#include <span>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <re2/re2.h>

#include "common/text.h"
#include "config/duration.h"

namespace synthprobe {
namespace {

namespace json = boost::json;

// Messages quote target-controlled text (headers, JSON values); a huge value must not become a huge
// message in logs, incidents and notifications.
constexpr std::size_t kQuoteLimit = 120;

void append_truncated(std::string& out, std::string_view text) {
  if (text.size() <= kQuoteLimit) {
    out += text;
    return;
  }
  std::size_t cut = kQuoteLimit;
  // Never split a UTF-8 sequence: back up over continuation bytes.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  out += text.substr(0, cut);
  out += "...";
}

void append_quoted(std::string& out, std::string_view text) {
  out += '"';
  append_truncated(out, text);
  out += '"';
}

// /pattern/ the way users read regexes in messages; an unescaped '/' would end it early.
void append_slashed(std::string& out, std::string_view pattern) {
  out += '/';
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      out += c;
      out += pattern[++i];
    } else if (c == '/') {
      out += "\\/";
    } else {
      out += c;
    }
  }
  out += '/';
}

// Boost.JSON prints 3.0 as "3E0"; a user who wrote 3.0 in the config should read 3.0 in the message.
void append_json(std::string& out, const json::value& v) {
  if (v.is_double() && std::isfinite(v.get_double())) {
    std::array<char, 64> buf{};
    auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v.get_double());
    if (ec == std::errc{}) {
      std::string_view text(buf.data(), static_cast<std::size_t>(end - buf.data()));
      out += text;
      if (text.find_first_of(".eEn") == std::string_view::npos) out += ".0";
      return;
    }
  }
  append_truncated(out, json::serialize(v));
}

bool is_number(const json::value& v) { return v.is_int64() || v.is_uint64() || v.is_double(); }

// An integer and a double are equal only when the double holds exactly that integer; no rounding through
// double, so 2^53 + 1 never equals 2^53.
bool integer_equals_double(const json::value& integer, double d) {
  if (!std::isfinite(d) || std::trunc(d) != d) return false;
  if (integer.is_int64()) {
    if (d < -9223372036854775808.0 || d >= 9223372036854775808.0) return false;
    return static_cast<std::int64_t>(d) == integer.get_int64();
  }
  if (d < 0 || d >= 18446744073709551616.0) return false;
  return static_cast<std::uint64_t>(d) == integer.get_uint64();
}

bool numbers_equal(const json::value& a, const json::value& b) {
  if (a.is_double() && b.is_double()) return a.get_double() == b.get_double();
  if (b.is_double()) return integer_equals_double(a, b.get_double());
  if (a.is_double()) return integer_equals_double(b, a.get_double());
  if (a.is_int64() && b.is_int64()) return a.get_int64() == b.get_int64();
  if (a.is_uint64() && b.is_uint64()) return a.get_uint64() == b.get_uint64();
  const json::value& s = a.is_int64() ? a : b;
  const json::value& u = a.is_int64() ? b : a;
  return s.get_int64() >= 0 && static_cast<std::uint64_t>(s.get_int64()) == u.get_uint64();
}

// Type-strict: 3 is not "3" and true is not 1, but numbers compare by value whatever their JSON spelling
// (3 == 3.0), because the parser's choice between int64, uint64 and double is not the user's.
bool json_equal(const json::value& a, const json::value& b) {
  if (is_number(a) && is_number(b)) return numbers_equal(a, b);
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case json::kind::null: return true;
    case json::kind::bool_: return a.get_bool() == b.get_bool();
    case json::kind::string: return a.get_string() == b.get_string();
    case json::kind::array: {
      const auto& x = a.get_array();
      const auto& y = b.get_array();
      if (x.size() != y.size()) return false;
      for (std::size_t i = 0; i < x.size(); ++i)
        if (!json_equal(x[i], y[i])) return false;
      return true;
    }
    case json::kind::object: {
      const auto& x = a.get_object();
      const auto& y = b.get_object();
      if (x.size() != y.size()) return false;
      for (const auto& kv : x) {
        const json::value* other = y.if_contains(kv.key());
        if (!other || !json_equal(kv.value(), *other)) return false;
      }
      return true;
    }
    default: return false;  // numbers were handled above
  }
}

// The text to compare with: as loaded, or rendered into `buffer` with this run's values.
std::string_view text_of(const config::TemplateString& t, const config::RenderInputs& values, std::string& buffer) {
  if (t.is_constant()) return t.constant_text();
  buffer.clear();
  t.render(buffer, values);
  return buffer;
}

// The regex to match with: compiled at load, or compiled now from its rendering with this run's values.
class RunRegex {
 public:
  RunRegex(const config::CompiledRegex& regex, const config::RenderInputs& values) {
    if (regex.re) {
      re_ = regex.re.get();
      pattern_ = regex.pattern;
      return;
    }
    rendered_ = regex.source.render(values);
    pattern_ = rendered_;
    compiled_ = std::make_unique<re2::RE2>(rendered_, re2::RE2::Quiet);
    if (compiled_->ok()) re_ = compiled_.get();
  }
  RunRegex(const RunRegex&) = delete;
  RunRegex& operator=(const RunRegex&) = delete;

  // Null when the rendered pattern does not compile.
  const re2::RE2* get() const { return re_; }
  std::string_view pattern() const { return pattern_; }
  // "/pattern/ is not a valid regex: why", for a pattern that did not compile.
  std::string invalid(std::string prefix) const {
    append_slashed(prefix, pattern_);
    return prefix + " is not a valid regex: " + compiled_->error();
  }

 private:
  const re2::RE2* re_ = nullptr;
  std::string rendered_;
  std::string_view pattern_;
  std::unique_ptr<re2::RE2> compiled_;
};

Verdict fail(Reason reason, std::string message, bool due_to_regex = false) {
  Verdict v;
  v.passed = false;
  v.reason = reason;
  v.message = std::move(message);
  v.failed_due_to_regex = due_to_regex;
  return v;
}

std::optional<Verdict> check_status(const config::Expect& expect, long code) {
  static const config::StatusMatcher kDefault{200, 299, "2xx"};
  std::span<const config::StatusMatcher> matchers = expect.status;
  if (matchers.empty()) matchers = std::span(&kDefault, 1);
  if (config::any_matches(matchers, code)) return std::nullopt;
  return fail(Reason::status, "status " + std::to_string(code) + " not in " + config::describe(matchers));
}

std::optional<Verdict> check_body(const config::Expect& expect, std::string_view body,
                                  const config::RenderInputs& values) {
  std::string buffer;
  for (const auto& needle : expect.body_contains) {
    const std::string_view text = text_of(needle, values, buffer);
    if (body.find(text) != std::string_view::npos) continue;
    std::string m = "body does not contain ";
    append_quoted(m, text);
    return fail(Reason::assertion, std::move(m), true);
  }
  for (const auto& needle : expect.body_not_contains) {
    const std::string_view text = text_of(needle, values, buffer);
    if (body.find(text) == std::string_view::npos) continue;
    std::string m = "body contains ";
    append_quoted(m, text);
    return fail(Reason::assertion, std::move(m), true);
  }
  for (const auto& regex : expect.body_regex) {
    const RunRegex re(regex, values);
    if (!re.get()) return fail(Reason::assertion, re.invalid("body_regex "), true);
    if (re2::RE2::PartialMatch(body, *re.get())) continue;
    std::string m = "body does not match ";
    append_slashed(m, re.pattern());
    return fail(Reason::assertion, std::move(m), true);
  }
  return std::nullopt;
}

std::optional<Verdict> check_headers(const config::Expect& expect, const ResponseView& response,
                                     const config::RenderInputs& values) {
  for (const auto& want : expect.headers) {
    const RunRegex re(want.regex, values);
    if (!re.get()) return fail(Reason::assertion, re.invalid("header " + want.name + " pattern "), true);
    const std::string* first_value = nullptr;
    bool matched = false;
    if (response.headers) {
      // A repeated header (several Set-Cookie, Vary...) passes when any one of its values matches.
      for (const auto& [name, value] : *response.headers) {
        if (!text::iequals(name, want.name)) continue;
        if (!first_value) first_value = &value;
        if (re2::RE2::PartialMatch(value, *re.get())) {
          matched = true;
          break;
        }
      }
    }
    if (matched) continue;
    std::string m = "header " + want.name;
    // Like blackbox_exporter, a header regex failure counts as a regex failure too, missing header included.
    if (!first_value) return fail(Reason::assertion, m + " missing", true);
    m += ' ';
    append_quoted(m, *first_value);
    m += " does not match ";
    append_slashed(m, re.pattern());
    return fail(Reason::assertion, std::move(m), true);
  }
  return std::nullopt;
}

// The expected value: as loaded, or a copy with this run's values rendered in.
const json::value& expected_json(const config::JsonExpectation& want, const config::RenderInputs& values,
                                 json::value& rendered) {
  if (want.templates.empty()) return want.value;
  rendered = want.value;
  for (const auto& t : want.templates) {
    json::error_code ec;
    if (json::value* slot = rendered.find_pointer(t.pointer, ec)) *slot = json::string(t.text.render(values));
  }
  return rendered;
}

std::optional<Verdict> check_json(const config::Expect& expect, std::string_view body,
                                  const config::RenderInputs& values) {
  if (expect.json.empty() && expect.json_absent.empty()) return std::nullopt;
  // The parsed document lives only for this call: an arena on the stack avoids one heap allocation per
  // node for the common small API response.
  unsigned char buffer[4096];
  json::monotonic_resource arena(buffer, sizeof buffer);
  json::error_code ec;
  const json::value doc = json::parse(body, ec, &arena);
  if (ec) return fail(Reason::assertion, "body is not JSON: " + ec.message());

  json::value rendered;
  for (const auto& want : expect.json) {
    json::error_code pointer_ec;
    const json::value* got = doc.find_pointer(want.pointer, pointer_ec);
    if (!got) return fail(Reason::assertion, "JSON " + want.pointer + " missing");
    const json::value& expected = expected_json(want, values, rendered);
    if (json_equal(*got, expected)) continue;
    std::string m = "JSON " + want.pointer + " is ";
    append_json(m, *got);
    m += ", expected ";
    append_json(m, expected);
    return fail(Reason::assertion, std::move(m));
  }
  for (const auto& pointer : expect.json_absent) {
    json::error_code pointer_ec;
    if (doc.find_pointer(pointer, pointer_ec)) return fail(Reason::assertion, "JSON " + pointer + " present");
  }
  return std::nullopt;
}

std::optional<Verdict> check_certificate(const config::Expect& expect, const ResponseView& response) {
  if (!expect.cert_min_days) return std::nullopt;
  if (!response.cert_expiry_unix) return fail(Reason::assertion, "no certificate to check cert_min_days");
  constexpr std::int64_t kDay = 86400;
  const std::int64_t min_days = *expect.cert_min_days;
  const std::int64_t left = *response.cert_expiry_unix - response.now_unix;
  if (left >= min_days * kDay) return std::nullopt;
  // Only reachable with tls.insecure: curl rejects an expired certificate otherwise (reason tls).
  if (left < 0) return fail(Reason::assertion, "certificate has expired");
  const std::int64_t days = left / kDay;  // whole days, rounded down like a calendar would
  return fail(Reason::assertion, "certificate expires in " + std::to_string(days) +
                                     (days == 1 ? " day" : " days") + " (< " + std::to_string(min_days) + ")");
}

double seconds(config::Duration d) { return static_cast<double>(d.count()) / 1000.0; }

}  // namespace

Verdict evaluate(const config::Expect& expect, const ResponseView& response, const config::RenderInputs& values) {
  if (auto v = check_status(expect, response.status_code)) return std::move(*v);
  if (auto v = check_body(expect, response.body, values)) return std::move(*v);
  if (auto v = check_headers(expect, response, values)) return std::move(*v);
  if (auto v = check_json(expect, response.body, values)) return std::move(*v);
  if (auto v = check_certificate(expect, response)) return std::move(*v);

  if (expect.max_latency && response.total_seconds > seconds(*expect.max_latency)) {
    char took[32];
    std::snprintf(took, sizeof took, "%.3f", response.total_seconds);
    return fail(Reason::latency,
                std::string("took ") + took + "s, max_latency " + config::format_duration(*expect.max_latency));
  }
  Verdict v;
  v.degraded = expect.degraded_latency && response.total_seconds > seconds(*expect.degraded_latency);
  return v;
}

}  // namespace synthprobe
