#pragma once
// Pieces of the Prometheus text exposition (format 0.0.4) written exactly as prometheus-cpp 1.0's
// TextSerializer writes them, for the writers that go straight from numbers to text (check_metrics_text).
// A test compares the two byte for byte.
//
// What TextSerializer (prometheus-cpp 1.0.1, Debian 12) does, and these functions therefore do:
// - sample values: "Nan" for NaN (whatever its sign), "+Inf" and "-Inf", otherwise the stream's `<<` at
//   precision max_digits10 - 1 = 16 in the classic locale, i.e. printf's "%.16g" ("0.3", "1e+16", "-0");
// - counts of summaries and histograms (`_count`, `_bucket`) as plain unsigned integers;
// - label values escaped: backslash, double quote and newline get a backslash (newline as "\n"); every other
//   byte, UTF-8 included, as it is.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace synthprobe::text_format {

void append_escaped(std::string& out, std::string_view label_value);
void append_double(std::string& out, double value);
void append_count(std::string& out, std::uint64_t value);

// A series' labels rendered once, sorted by name as prometheus-cpp sorts them: `name="value",` for each
// label (escaped, each followed by a comma, so that a label can go in anywhere by plain concatenation).
// `at()` tells where one more label of a given name belongs.
class LabelText {
 public:
  LabelText() = default;
  // `labels` sorted by name, names unique.
  template <typename Labels>
  explicit LabelText(const Labels& labels) {
    for (const auto& label : labels) add(label.name, label.value);
  }

  const std::string& text() const { return text_; }
  // The byte offset in text() where a label named `name` goes (before the first label whose name is not
  // less than it).
  std::size_t at(std::string_view name) const;

  bool operator==(const LabelText&) const = default;

 private:
  void add(std::string_view name, std::string_view value);
  std::string text_;
};

// Appends `name{labels}` for a series whose label text (from LabelText, with its trailing comma) is
// `labels` with at most two more labels `extra` (each `name="value",`) inserted at offsets `at1 <= at2`.
// Then a space: the value follows.
void append_series(std::string& out, std::string_view name, std::string_view labels);
void append_series(std::string& out, std::string_view name, std::string_view labels, std::size_t at,
                   std::string_view extra);
void append_series(std::string& out, std::string_view name, std::string_view labels, std::size_t at1,
                   std::string_view extra1, std::size_t at2, std::string_view extra2);

// `name="value",` with the value escaped.
std::string label_pair(std::string_view name, std::string_view value);

}  // namespace synthprobe::text_format
