#include "config/duration.h"

#include <doctest/doctest.h>

using namespace std::chrono_literals;
using synthprobe::config::format_duration;
using synthprobe::config::parse_duration;
using synthprobe::config::parse_size;

namespace {

std::chrono::milliseconds duration(std::string_view text) {
  std::string error;
  auto d = parse_duration(text, error);
  REQUIRE_MESSAGE(d.has_value(), text, ": ", error);
  CHECK(error.empty());
  return *d;
}

std::string duration_error(std::string_view text) {
  std::string error;
  auto d = parse_duration(text, error);
  CHECK_MESSAGE(!d.has_value(), text, " parsed as ", d ? d->count() : 0, "ms");
  return error;
}

std::uint64_t size(std::string_view text) {
  std::string error;
  auto s = parse_size(text, error);
  REQUIRE_MESSAGE(s.has_value(), text, ": ", error);
  return *s;
}

std::string size_error(std::string_view text) {
  std::string error;
  auto s = parse_size(text, error);
  CHECK_MESSAGE(!s.has_value(), text, " parsed as ", s.value_or(0));
  return error;
}

}  // namespace

TEST_CASE("durations in Prometheus syntax") {
  CHECK(duration("250ms") == 250ms);
  CHECK(duration("15s") == 15s);
  CHECK(duration("5m") == 5min);
  CHECK(duration("1h30m") == 90min);
  CHECK(duration("1d") == 24h);
  CHECK(duration("1w") == 7 * 24h);
  CHECK(duration("1y") == 365 * 24h);
  CHECK(duration("0s") == 0ms);
  CHECK(duration("0") == 0ms);  // Prometheus accepts a bare zero
  CHECK(duration("1h0m30s") == 3630s);
  CHECK(duration("2d3h4m5s6ms") == 2 * 24h + 3h + 4min + 5s + 6ms);
  CHECK(duration("1s500ms") == 1500ms);
}

TEST_CASE("a malformed duration says what is wrong") {
  CHECK(duration_error("15") == "invalid duration \"15\": missing unit (e.g. 15s)");
  CHECK(duration_error("") == "invalid duration \"\": empty (e.g. 10s)");
  CHECK(duration_error("1.5h") == "invalid duration \"1.5h\": use whole numbers of a smaller unit (e.g. 1m30s, 1500ms)");
  CHECK(duration_error("30m1h") == "invalid duration \"30m1h\": units must go from largest to smallest (e.g. 1h30m)");
  CHECK(duration_error("1h1h") == "invalid duration \"1h1h\": unit \"h\" given twice");
  CHECK(duration_error("10S") == "invalid duration \"10S\": unknown unit \"S\" (units: ms, s, m, h, d, w, y)");
  CHECK(duration_error("10sec") == "invalid duration \"10sec\": unknown unit \"sec\" (units: ms, s, m, h, d, w, y)");
  CHECK(duration_error("-5s") == "invalid duration \"-5s\": must not be negative");
  CHECK(duration_error("s") == "invalid duration \"s\": expected a number at \"s\" (e.g. 1h30m)");
  CHECK(duration_error("1h 30m") == "invalid duration \"1h 30m\": must not contain spaces (e.g. 1h30m)");
  CHECK(duration_error("99999999999999999999s") == "invalid duration \"99999999999999999999s\": number too large");
  CHECK(duration_error("999999999999y") == "invalid duration \"999999999999y\": too long");
}

TEST_CASE("sizes in binary units") {
  CHECK(size("0B") == 0);
  CHECK(size("512B") == 512);
  CHECK(size("4KiB") == 4096);
  CHECK(size("4MiB") == 4u * 1024 * 1024);
  CHECK(size("2GiB") == 2ull * 1024 * 1024 * 1024);
}

TEST_CASE("decimal and misspelt size units are rejected with the unit meant") {
  CHECK(size_error("4MB") == "invalid size \"4MB\": use MiB (binary units: B, KiB, MiB, GiB)");
  CHECK(size_error("4KB") == "invalid size \"4KB\": use KiB (binary units: B, KiB, MiB, GiB)");
  CHECK(size_error("4kB") == "invalid size \"4kB\": use KiB (binary units: B, KiB, MiB, GiB)");
  CHECK(size_error("1GB") == "invalid size \"1GB\": use GiB (binary units: B, KiB, MiB, GiB)");
  CHECK(size_error("4mib") == "invalid size \"4mib\": use MiB (binary units: B, KiB, MiB, GiB)");
  CHECK(size_error("4096") == "invalid size \"4096\": missing unit (binary units: B, KiB, MiB, GiB)");
  CHECK(size_error("1TiB") == "invalid size \"1TiB\": unknown unit \"TiB\" (binary units: B, KiB, MiB, GiB)");
  CHECK(size_error("MiB") == "invalid size \"MiB\": expected a whole number and a unit (e.g. 4MiB)");
  CHECK(size_error("1.5MiB") == "invalid size \"1.5MiB\": unknown unit \".5MiB\" (binary units: B, KiB, MiB, GiB)");
  CHECK(size_error("99999999999GiB") == "invalid size \"99999999999GiB\": number too large");
}

TEST_CASE("format_duration gives the shortest spelling") {
  CHECK(format_duration(0ms) == "0s");
  CHECK(format_duration(250ms) == "250ms");
  CHECK(format_duration(1500ms) == "1s500ms");
  CHECK(format_duration(90s) == "1m30s");
  CHECK(format_duration(90min) == "1h30m");
  CHECK(format_duration(24h) == "1d");
  CHECK(format_duration(7 * 24h) == "1w");
  CHECK(format_duration(8 * 24h) == "1w1d");
  CHECK(format_duration(365 * 24h) == "1y");
  CHECK(format_duration(-5s) == "-5s");
}

TEST_CASE("format_duration and parse_duration round-trip") {
  for (auto ms : {1ms, 999ms, 1000ms, 61001ms, std::chrono::milliseconds(3 * 86400000LL + 7),
                  std::chrono::milliseconds(400LL * 86400000LL)}) {
    std::string error;
    const std::string text = format_duration(ms);
    auto back = parse_duration(text, error);
    REQUIRE_MESSAGE(back.has_value(), text, ": ", error);
    CHECK(*back == ms);
  }
}
