#pragma once
// What every fuzz target shares: a check that aborts (so libFuzzer keeps the input), and an environment
// for ${env:} and ${file:} that never reaches the real one.

#include <stdlib.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace synthprobe::fuzz {

// A property of the code under test that must hold for every input.
inline void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz property violated: %s\n", what);
  std::abort();
}

// ${env:NAME}: fixed values, never the process's environment. Names starting with UNSET are unset, with
// EMPTY empty, with LONG a long value full of characters that need escaping; a name holding URL is a URL
// (notifier endpoints); every other name is "fuzz-secret".
inline constexpr std::string_view kShortSecret = "fuzz-secret";
inline constexpr std::string_view kLongSecret = "a-rather-long-secret-value-with-/-?-&-%-\"-\\-and-${braces}-0123456789";
inline constexpr std::string_view kUrlSecret = "https://hooks.example.com/services/fuzz-url-secret";
inline const char* fake_getenv(const char* name) {
  const std::string_view n(name);
  if (n.starts_with("UNSET")) return nullptr;
  if (n.starts_with("EMPTY")) return "";
  if (n.starts_with("LONG")) return kLongSecret.data();
  if (n.find("URL") != std::string_view::npos) return kUrlSecret.data();
  return kShortSecret.data();
}

// An empty folder of its own, made once per process and never written: config paths point into it, so a
// relative ${file:...}, ca_file or state_dir finds nothing there. (The loader never writes; absolute
// ${file:/...} paths can still read real files, which is harmless, and only regular files are read.)
inline const std::string& empty_dir() {
  static const std::string dir = [] {
    std::string pattern = (std::filesystem::temp_directory_path() / "synthprobe-fuzz-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) std::abort();
    return pattern;
  }();
  return dir;
}

// Two JSON texts hold the same values. Doubles may differ in their last bits: Boost.JSON 1.81 parses long
// decimal numbers (a phase of 1e89 seconds written in fixed notation) to a neighbouring double, which
// is the library's precision, not a reader's mistake.
inline bool same_json(const boost::json::value& a, const boost::json::value& b) {
  if (a.is_double() && b.is_double()) {
    const double x = a.get_double(), y = b.get_double();
    return x == y || std::fabs(x - y) <= 1e-12 * std::fmax(std::fabs(x), std::fabs(y));
  }
  if (a.kind() != b.kind()) return false;
  if (a.is_array()) {
    const auto &x = a.get_array(), &y = b.get_array();
    if (x.size() != y.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i)
      if (!same_json(x[i], y[i])) return false;
    return true;
  }
  if (a.is_object()) {
    const auto &x = a.get_object(), &y = b.get_object();
    if (x.size() != y.size()) return false;
    for (auto i = x.begin(), j = y.begin(); i != x.end(); ++i, ++j)
      if (i->key() != j->key() || !same_json(i->value(), j->value())) return false;
    return true;
  }
  return a == b;
}
inline bool same_json(std::string_view a, std::string_view b) {
  return a == b || same_json(boost::json::parse(a), boost::json::parse(b));
}

inline std::string_view as_text(const unsigned char* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace synthprobe::fuzz
