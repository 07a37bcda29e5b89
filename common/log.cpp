#include "common/log.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>

#include "common/json_format.h"
#include "common/time_format.h"

namespace synthprobe {
namespace {

std::string_view level_name(LogLevel l) {
  switch (l) {
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::warn: return "warn";
    case LogLevel::error: return "error";
  }
  return "info";
}

bool is_control(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}

// Control characters are escaped, never written: a target's text must not be able to forge a log line.
void append_logfmt_value(std::string& out, std::string_view v) {
  const bool quote = v.empty() || v.find_first_of(" =\"\\") != std::string_view::npos ||
                     std::any_of(v.begin(), v.end(), is_control);
  if (!quote) {
    out += v;
    return;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (char c : v) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (is_control(c)) {
          const auto u = static_cast<unsigned char>(c);
          out += "\\x";
          out += kHex[u >> 4];
          out += kHex[u & 0xF];
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

void append_json_string(std::string& out, std::string_view v) {
  out += '"';
  append_json_escaped(out, v);
  out += '"';
}

std::string now_rfc3339() { return format_rfc3339(std::chrono::system_clock::now()); }

}  // namespace

void Logger::set_format(LogFormat f) {
  std::lock_guard lock(mutex_);
  format_ = f;
}

void Logger::set_redactor(Redactor r) {
  auto next = r ? std::make_shared<const Redactor>(std::move(r)) : nullptr;
  std::lock_guard lock(mutex_);
  redact_ = std::move(next);
}

std::string Logger::format(LogLevel level, std::string_view msg, std::initializer_list<LogField> fields,
                           std::string_view timestamp) const {
  LogFormat format;
  std::shared_ptr<const Redactor> redact;
  {
    std::lock_guard lock(mutex_);
    format = format_;
    redact = redact_;
  }
  std::string out;
  auto value = [&](std::string_view v) { return redact ? (*redact)(std::string(v)) : std::string(v); };
  if (format == LogFormat::json) {
    out += "{\"ts\":";
    append_json_string(out, timestamp);
    out += ",\"level\":";
    append_json_string(out, level_name(level));
    out += ",\"msg\":";
    append_json_string(out, value(msg));
    for (const auto& [k, v] : fields) {
      out += ',';
      append_json_string(out, k);
      out += ':';
      append_json_string(out, value(v));
    }
    out += '}';
  } else {
    out += "ts=";
    out += timestamp;
    out += " level=";
    out += level_name(level);
    out += " msg=";
    append_logfmt_value(out, value(msg));
    for (const auto& [k, v] : fields) {
      out += ' ';
      out += k;
      out += '=';
      append_logfmt_value(out, value(v));
    }
  }
  return out;
}

void Logger::log(LogLevel level, std::string_view msg, std::initializer_list<LogField> fields) const {
  const std::string line = format(level, msg, fields, now_rfc3339()) + "\n";
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace synthprobe
