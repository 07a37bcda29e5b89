#include "probe/cli/result_table.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <string_view>

namespace synthprobe {
namespace {

constexpr std::size_t kColumns = 10;
constexpr std::array<std::string_view, kColumns> kHeaders{
    "NAME", "RESULT", "REASON", "STATUS", "TOTAL ms", "RESOLVE", "CONNECT", "TLS", "PROCESSING", "TRANSFER"};
constexpr std::size_t kFirstNumeric = 3;  // STATUS onwards are right-aligned
constexpr std::string_view kGap = "  ";

constexpr std::string_view kGreen = "\x1b[32m";
constexpr std::string_view kRed = "\x1b[1;31m";
constexpr std::string_view kYellow = "\x1b[33m";
constexpr std::string_view kDim = "\x1b[2m";
constexpr std::string_view kBold = "\x1b[1m";
constexpr std::string_view kReset = "\x1b[0m";

// A table line: either a row of cells or a free-text message under the row before it.
struct Line {
  std::array<std::string, kColumns> cells;
  std::string_view result_color;  // for the RESULT cell
  bool header = false;
  bool is_message = false;
  std::string message;
};

// Terminal columns, not bytes: "└" and non-ASCII names are several bytes but one column.
std::size_t display_width(std::string_view s) {
  std::size_t n = 0;
  for (char c : s)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  return n;
}

std::string ms(double seconds) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", seconds * 1000.0);
  return buf;
}

void fill_outcome(Line& line, bool success, bool degraded, const std::optional<Reason>& reason,
                  long status_code, double duration_seconds, const Phases& p) {
  if (!success) {
    line.cells[1] = "FAIL";
    line.result_color = kRed;
  } else if (degraded) {
    line.cells[1] = "degraded";
    line.result_color = kYellow;
  } else {
    line.cells[1] = "ok";
    line.result_color = kGreen;
  }
  if (!success && reason) line.cells[2] = std::string(to_string(*reason));
  line.cells[3] = status_code > 0 ? std::to_string(status_code) : "-";
  line.cells[4] = ms(duration_seconds);
  line.cells[5] = ms(p.resolve);
  line.cells[6] = ms(p.connect);
  line.cells[7] = ms(p.tls);
  line.cells[8] = ms(p.processing);
  line.cells[9] = ms(p.transfer);
}

Line step_line(const StepResult& step) {
  Line line;
  line.cells[0] = "  └ " + step.name;
  if (!step.success) {
    line.cells[1] = "not run";
    line.result_color = kDim;
    return line;
  }
  fill_outcome(line, *step.success, step.degraded, step.reason, step.status_code, step.duration_seconds,
               step.phases);
  return line;
}

std::string plural(std::size_t n, std::string_view word) {
  std::string s = std::to_string(n) + " " + std::string(word);
  if (n != 1) s += 's';
  return s;
}

std::string summary(const std::vector<RunResult>& results) {
  std::size_t checks = 0, flows = 0, failed = 0, degraded = 0;
  for (const auto& r : results) {
    (r.is_flow ? flows : checks)++;
    if (!r.success) ++failed;
    else if (r.degraded) ++degraded;
  }
  std::string s;
  if (checks > 0 || flows == 0) s = plural(checks, "check");
  if (flows > 0) s += (s.empty() ? "" : ", ") + plural(flows, "flow");
  s += ", " + std::to_string(failed) + " failed";
  if (degraded > 0) s += ", " + std::to_string(degraded) + " degraded";
  return s;
}

void append_padded(std::string& out, std::string_view text, std::size_t width, bool right,
                   std::string_view color) {
  const std::size_t pad = width - std::min(width, display_width(text));
  if (right) out.append(pad, ' ');
  if (!color.empty() && !text.empty()) {
    out += color;
    out += text;
    out += kReset;
  } else {
    out += text;
  }
  if (!right) out.append(pad, ' ');
}

}  // namespace

std::string results_to_table(const std::vector<RunResult>& results, bool color) {
  std::vector<Line> lines;
  Line header;
  header.header = true;
  for (std::size_t c = 0; c < kColumns; ++c) header.cells[c] = std::string(kHeaders[c]);
  lines.push_back(std::move(header));

  for (const auto& r : results) {
    Line line;
    line.cells[0] = r.name;
    fill_outcome(line, r.success, r.degraded, r.reason, r.status_code, r.duration_seconds, r.phases);
    lines.push_back(std::move(line));
    if (r.is_flow)
      for (const auto& step : r.steps) lines.push_back(step_line(step));
    if (!r.success) {
      Line message;
      message.is_message = true;
      message.message = r.message;
      lines.push_back(std::move(message));
    }
  }

  std::array<std::size_t, kColumns> widths{};
  for (const auto& line : lines) {
    if (line.is_message) continue;
    for (std::size_t c = 0; c < kColumns; ++c) widths[c] = std::max(widths[c], display_width(line.cells[c]));
  }

  std::string out;
  for (const auto& line : lines) {
    if (line.is_message) {
      out += "    ";
      out += line.message;
      out += '\n';
      continue;
    }
    std::string row;
    for (std::size_t c = 0; c < kColumns; ++c) {
      if (c > 0) row += kGap;
      std::string_view cell_color;
      if (color && line.header) cell_color = kBold;
      else if (color && c == 1) cell_color = line.result_color;
      append_padded(row, line.cells[c], widths[c], c >= kFirstNumeric, cell_color);
    }
    while (!row.empty() && row.back() == ' ') row.pop_back();
    out += row;
    out += '\n';
  }
  out += summary(results);
  out += '\n';
  return out;
}

}  // namespace synthprobe
