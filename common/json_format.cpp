#include "common/json_format.h"

#include <array>
#include <charconv>
#include <cmath>

#include <boost/json/serialize.hpp>

namespace synthprobe {
namespace {

namespace json = boost::json;

void write_double(std::string& out, double d) {
  if (!std::isfinite(d)) {
    out += "null";
    return;
  }
  std::array<char, 400> buf{};  // fixed notation of the largest double needs 309 digits
  auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), d, std::chars_format::fixed);
  if (ec != std::errc{}) {
    out += json::serialize(json::value(d));
    return;
  }
  const std::string_view text(buf.data(), static_cast<std::size_t>(end - buf.data()));
  out += text;
  // Keep it a double for readers that distinguish 0 from 0.0 (Boost.JSON, jq's type checks).
  if (text.find('.') == std::string_view::npos) out += ".0";
}

void write(std::string& out, const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: out += "null"; return;
    case json::kind::bool_: out += v.get_bool() ? "true" : "false"; return;
    case json::kind::int64: out += std::to_string(v.get_int64()); return;
    case json::kind::uint64: out += std::to_string(v.get_uint64()); return;
    case json::kind::double_: write_double(out, v.get_double()); return;
    case json::kind::string: out += json::serialize(json::string_view(v.get_string())); return;
    case json::kind::array: {
      out += '[';
      bool first = true;
      for (const auto& e : v.get_array()) {
        if (!first) out += ',';
        first = false;
        write(out, e);
      }
      out += ']';
      return;
    }
    case json::kind::object: {
      out += '{';
      bool first = true;
      for (const auto& kv : v.get_object()) {
        if (!first) out += ',';
        first = false;
        out += json::serialize(kv.key());
        out += ':';
        write(out, kv.value());
      }
      out += '}';
      return;
    }
  }
}

}  // namespace

std::string serialize_json(const json::value& value) {
  std::string out;
  write(out, value);
  return out;
}

void append_json_escaped(std::string& out, std::string_view text) {
  const std::string quoted = json::serialize(json::string_view(text.data(), text.size()));
  out.append(quoted, 1, quoted.size() - 2);
}

}  // namespace synthprobe
