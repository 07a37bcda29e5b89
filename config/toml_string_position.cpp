#include "config/toml_string_position.h"

namespace synthprobe::config {
namespace {

bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// Byte index of a 1-based line and code-point column, or npos.
std::size_t byte_index(std::string_view source, SourcePos pos) {
  std::size_t i = 0;
  for (std::uint32_t line = 1; line < pos.line; ++line) {
    i = source.find('\n', i);
    if (i == std::string_view::npos) return i;
    ++i;
  }
  for (std::uint32_t column = 1; column < pos.column; ++column) {
    if (i >= source.size() || source[i] == '\n') return std::string_view::npos;
    ++i;
    while (i < source.size() && is_continuation(source[i])) ++i;
  }
  return i;
}

SourcePos position_of(std::string_view source, std::size_t index) {
  SourcePos pos{1, 1};
  for (std::size_t i = 0; i < index && i < source.size(); ++i) {
    if (source[i] == '\n') {
      ++pos.line;
      pos.column = 1;
    } else if (!is_continuation(source[i])) {
      ++pos.column;
    }
  }
  return pos;
}

std::size_t utf8_length(unsigned long code_point) {
  if (code_point < 0x80) return 1;
  if (code_point < 0x800) return 2;
  if (code_point < 0x10000) return 3;
  return 4;
}

// The value of a hex digit, or -1.
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Length of the \u/\U/\x escape's hex digits and the bytes it decodes to.
std::size_t hex_escape(std::string_view source, std::size_t digits_at, std::size_t digits, std::size_t& decoded) {
  unsigned long value = 0;
  std::size_t n = 0;
  for (; n < digits && digits_at + n < source.size() && hex_value(source[digits_at + n]) >= 0; ++n)
    value = value * 16 + static_cast<unsigned long>(hex_value(source[digits_at + n]));
  decoded = utf8_length(value);
  return n;
}

}  // namespace

SourcePos locate_in_string(std::string_view source, SourcePos string_begin, std::size_t offset) {
  const SourcePos fallback{string_begin.line, string_begin.column + 1 + static_cast<std::uint32_t>(offset)};
  std::size_t i = byte_index(source, string_begin);
  if (i == std::string_view::npos || i >= source.size() || (source[i] != '"' && source[i] != '\'')) return fallback;

  const char quote = source[i];
  const bool basic = quote == '"';
  const bool multi_line = source.substr(i, 3) == std::string_view(basic ? "\"\"\"" : "'''");
  i += multi_line ? 3 : 1;
  // A newline right after the opening delimiter is not part of the value.
  if (multi_line && source.substr(i, 2) == "\r\n") i += 2;
  else if (multi_line && source.substr(i, 1) == "\n") i += 1;

  std::size_t decoded = 0;
  while (i < source.size() && decoded < offset) {
    const char c = source[i];
    if (c == '\r' && multi_line && source.substr(i, 2) == "\r\n") {
      ++i;  // CRLF reads as one newline
      continue;
    }
    if (!basic || c != '\\' || i + 1 >= source.size()) {
      ++i;
      ++decoded;
      continue;
    }
    const char e = source[i + 1];
    if (e == 'u' || e == 'U' || e == 'x') {
      std::size_t bytes = 1;
      const std::size_t digits = hex_escape(source, i + 2, e == 'u' ? 4 : e == 'U' ? 8 : 2, bytes);
      i += 2 + digits;
      decoded += bytes;
    } else if (multi_line && (e == ' ' || e == '\t' || e == '\n' || e == '\r')) {
      // A line-ending backslash swallows the newline and the whitespace after it.
      i += 1;
      while (i < source.size() && (source[i] == ' ' || source[i] == '\t' || source[i] == '\n' || source[i] == '\r'))
        ++i;
    } else {
      i += 2;
      ++decoded;
    }
  }
  return position_of(source, i);
}

}  // namespace synthprobe::config
