// The exposition's values and labels as the direct writers write them must be what prometheus-cpp's
// TextSerializer (the library installed, not a copy of its rules) writes for the same series.
#include "exporters/metrics/text_format.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

namespace text_format = synthprobe::text_format;

namespace {

using Labels = std::vector<prometheus::ClientMetric::Label>;

std::string serialize(const prometheus::MetricFamily& family) {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, {family});
  return out.str();
}

// TextSerializer's text for a gauge of `value`: the part after "g ".
std::string library_value(double value) {
  prometheus::MetricFamily f{"g", "", prometheus::MetricType::Gauge, {}};
  f.metric.emplace_back().gauge.value = value;
  const std::string text = serialize(f);
  const auto at = text.find("\ng ") + 3;
  return text.substr(at, text.size() - at - 1);
}

std::string our_value(double value) {
  std::string out;
  text_format::append_double(out, value);
  return out;
}

// TextSerializer's sample line for a gauge with these labels (sorted) and one more, as Collect() adds it.
std::string library_line(const Labels& labels) {
  prometheus::MetricFamily f{"g", "", prometheus::MetricType::Gauge, {}};
  prometheus::ClientMetric& m = f.metric.emplace_back();
  m.label = labels;
  m.gauge.value = 1;
  const std::string text = serialize(f);
  return text.substr(text.find("\ng") + 1);
}

}  // namespace

TEST_CASE("sample values are written as TextSerializer writes them") {
  std::vector<double> values = {0.0,
                                -0.0,
                                1,
                                -1,
                                0.1,
                                0.1 + 0.2,
                                46.708,
                                1.1,
                                0.005,
                                2.5,
                                1700000000.5,
                                1800000000,
                                999999999999999,
                                1e15,
                                9999999999999998,
                                1e16,
                                12345678901234567.0,
                                -123456789012345.6,
                                1e-5,
                                1e-300,
                                5e-324,
                                std::numeric_limits<double>::min(),
                                std::numeric_limits<double>::max(),
                                std::numeric_limits<double>::lowest(),
                                std::numeric_limits<double>::infinity(),
                                -std::numeric_limits<double>::infinity(),
                                std::numeric_limits<double>::quiet_NaN(),
                                -std::numeric_limits<double>::quiet_NaN(),
                                static_cast<double>(UINT64_MAX),
                                static_cast<double>(INT64_MIN)};
  std::mt19937_64 random(12);
  for (int i = 0; i < 20000; ++i) {
    const std::uint64_t bits = random();
    double any;
    std::memcpy(&any, &bits, sizeof any);
    values.push_back(any);                                                               // any bit pattern
    values.push_back(std::ldexp(static_cast<double>(random() >> 11), static_cast<int>(random() % 140) - 90));
    values.push_back(static_cast<double>(random() % 100000000) / 1e6);                 // seconds, µs
    values.push_back(1.7e9 + static_cast<double>(random() % 1000000000) / 1e6);        // timestamps
    values.push_back(static_cast<double>(random() % 100000));                          // counts
  }
  for (const double v : values) {
    CAPTURE(v);
    REQUIRE(our_value(v) == library_value(v));
  }
  CHECK(our_value(0.1 + 0.2) == "0.3");
  CHECK(our_value(-0.0) == "-0");
  CHECK(our_value(1e16) == "1e+16");
  CHECK(our_value(std::numeric_limits<double>::quiet_NaN()) == "Nan");
}

TEST_CASE("counts are plain integers") {
  for (const std::uint64_t v : {std::uint64_t{0}, std::uint64_t{7}, std::uint64_t{1} << 53, UINT64_MAX}) {
    std::string out;
    text_format::append_count(out, v);
    CHECK(out == std::to_string(v));
  }
}

TEST_CASE("label values are escaped as TextSerializer escapes them, and labels go in where it puts them") {
  const std::vector<std::string> hard = {"",
                                         "plain",
                                         "say \"hi\"",
                                         "C:\\temp\\",
                                         "two\nlines\n",
                                         "\\\"\n",
                                         "tab\tand\rreturn",
                                         "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x9a\x80",
                                         "{braces},=commas="};
  for (const std::string& value : hard) {
    CAPTURE(value);
    const Labels labels{{"a", value}, {"check", "x"}, {"zone", value}};
    const text_format::LabelText text(labels);
    std::string ours;
    text_format::append_series(ours, "g", text.text());
    ours += "1\n";
    CHECK(ours == library_line(labels));

    // One more label in every position, as Collect() inserts phase, reason and step.
    for (const std::string name : {"0", "a", "b", "check", "d", "zone", "zz"}) {
      if (name == "a" || name == "check" || name == "zone") continue;
      CAPTURE(name);
      Labels more = labels;
      more.push_back({name, value});
      std::sort(more.begin(), more.end());
      std::string line;
      text_format::append_series(line, "g", text.text(), text.at(name), text_format::label_pair(name, value));
      line += "1\n";
      CHECK(line == library_line(more));
    }
    // Two more (phase before step).
    Labels both = labels;
    both.push_back({"b", "1"});
    both.push_back({"d", value});
    std::sort(both.begin(), both.end());
    std::string line;
    text_format::append_series(line, "g", text.text(), text.at("b"), text_format::label_pair("b", "1"), text.at("d"),
                               text_format::label_pair("d", value));
    line += "1\n";
    CHECK(line == library_line(both));
  }
}

TEST_CASE("a series without labels has no braces") {
  std::string out;
  text_format::append_series(out, "g", "");
  out += "1\n";
  CHECK(out == "g 1\n");
  CHECK(out == library_line({}));
}
