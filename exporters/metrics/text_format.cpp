#include "exporters/metrics/text_format.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <system_error>

namespace synthprobe::text_format {

void append_escaped(std::string& out, std::string_view value) {
  std::size_t plain = 0;  // start of the run of bytes that need no escape
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (c != '\\' && c != '"' && c != '\n') continue;
    out.append(value.substr(plain, i - plain));
    out += '\\';
    out += c == '\n' ? 'n' : c;
    plain = i + 1;
  }
  out.append(value.substr(plain));
}

void append_double(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "Nan";
    return;
  }
  if (std::isinf(value)) {
    out += value < 0 ? "-Inf" : "+Inf";
    return;
  }
  char buf[32];
  std::to_chars_result r;
  // Most values are whole (counts, codes, states): "%.16g" prints those below 1e16 as plain integers. -0
  // keeps its sign there, so it goes the general way.
  if (value == std::trunc(value) && std::fabs(value) < 1e15 && !(value == 0 && std::signbit(value))) {
    r = std::to_chars(buf, buf + sizeof buf, static_cast<std::int64_t>(value));
  } else {
    // C++17 defines to_chars with a precision as printf's "%.*g" in the C locale, which is what the
    // stream does (tests/text_format_test.cpp compares them on 100,000 values).
    r = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::general,
                      std::numeric_limits<double>::max_digits10 - 1);
  }
  out.append(buf, r.ptr);
}

void append_count(std::string& out, std::uint64_t value) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, r.ptr);
}

void LabelText::add(std::string_view name, std::string_view value) {
  text_.append(name);
  text_ += "=\"";
  append_escaped(text_, value);
  text_ += "\",";
}

std::size_t LabelText::at(std::string_view name) const {
  std::size_t pos = 0;
  while (pos < text_.size()) {
    const std::size_t eq = text_.find('=', pos);
    if (std::string_view(text_).substr(pos, eq - pos) >= name) return pos;
    // Past the value: its closing quote is the first one not escaped.
    std::size_t i = eq + 2;
    while (text_[i] != '"') i += text_[i] == '\\' ? 2 : 1;
    pos = i + 2;  // the quote and the comma
  }
  return text_.size();
}

std::string label_pair(std::string_view name, std::string_view value) {
  std::string out(name);
  out += "=\"";
  append_escaped(out, value);
  out += "\",";
  return out;
}

namespace {

// The text ends with the comma after the last label: it becomes the closing brace.
void close_labels(std::string& out, std::size_t open) {
  if (out.size() == open) {
    out.back() = ' ';  // no label at all: TextSerializer writes no braces
    return;
  }
  out.back() = '}';
  out += ' ';
}

}  // namespace

void append_series(std::string& out, std::string_view name, std::string_view labels) {
  out.append(name);
  out += '{';
  const std::size_t open = out.size();
  out.append(labels);
  close_labels(out, open);
}

void append_series(std::string& out, std::string_view name, std::string_view labels, std::size_t at,
                   std::string_view extra) {
  out.append(name);
  out += '{';
  const std::size_t open = out.size();
  out.append(labels.substr(0, at));
  out.append(extra);
  out.append(labels.substr(at));
  close_labels(out, open);
}

void append_series(std::string& out, std::string_view name, std::string_view labels, std::size_t at1,
                   std::string_view extra1, std::size_t at2, std::string_view extra2) {
  out.append(name);
  out += '{';
  const std::size_t open = out.size();
  out.append(labels.substr(0, at1));
  out.append(extra1);
  out.append(labels.substr(at1, at2 - at1));
  out.append(extra2);
  out.append(labels.substr(at2));
  close_labels(out, open);
}

}  // namespace synthprobe::text_format
