#include "probe/cli/result_table.h"

#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>

using synthprobe::Phases;
using synthprobe::Reason;
using synthprobe::results_to_table;
using synthprobe::RunResult;
using synthprobe::StepResult;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    // One byte per terminal column, so offsets below are columns.
    for (std::size_t pos; (pos = line.find("└")) != std::string::npos;) line.replace(pos, 3, "+");
    lines.push_back(line);
  }
  return lines;
}

RunResult check(std::string name, bool success, long status, double seconds) {
  RunResult r;
  r.name = std::move(name);
  r.site = "shop";
  r.area = "storefront";
  r.success = success;
  r.status_code = status;
  r.duration_seconds = seconds;
  r.phases = Phases{0.0012, 0.0003, 0.0045, 0.0101, 0.0009};
  if (!success) {
    r.reason = Reason::status;
    r.message = "status " + std::to_string(status) + " not in [2xx]";
  }
  return r;
}

RunResult flow() {
  RunResult r = check("checkout", false, 503, 0.184);
  r.is_flow = true;
  r.message = "step add-to-cart: status 503 not in [2xx]";
  r.failed_step = "add-to-cart";
  StepResult product;
  product.name = "product";
  product.success = true;
  product.status_code = 200;
  product.duration_seconds = 0.09;
  StepResult add;
  add.name = "add-to-cart";
  add.success = false;
  add.reason = Reason::status;
  add.message = "status 503 not in [2xx]";
  add.status_code = 503;
  add.duration_seconds = 0.094;
  StepResult pay;
  pay.name = "pay";
  r.steps = {product, add, pay};
  return r;
}

std::vector<RunResult> sample() {
  RunResult slow = check("product-page-with-a-long-name", true, 200, 1.2345);
  slow.degraded = true;
  return {check("home", true, 200, 0.0123), check("api", false, 503, 0.05), slow, flow()};
}

struct Column {
  std::string header;
  bool right;
};
const std::vector<Column> kColumns = {{"NAME", false},    {"RESULT", false},  {"REASON", false},
                                      {"STATUS", true},   {"TOTAL ms", true}, {"RESOLVE", true},
                                      {"CONNECT", true},  {"TLS", true},      {"PROCESSING", true},
                                      {"TRANSFER", true}};

// Where each column's text starts (left-aligned) or ends (right-aligned), taken from the header.
std::vector<std::size_t> anchors(const std::string& header) {
  std::vector<std::size_t> out;
  std::size_t from = 0;
  for (const auto& c : kColumns) {
    const std::size_t pos = header.find(c.header, from);
    REQUIRE(pos != std::string::npos);
    out.push_back(c.right ? pos + c.header.size() : pos);
    from = pos + c.header.size();
  }
  return out;
}

// The cell of column `c` in `line` is `text`, at the column's anchor.
void check_cell(const std::string& line, const std::vector<std::size_t>& at, std::size_t c,
                const std::string& text) {
  CAPTURE(line);
  CAPTURE(kColumns[c].header);
  const std::size_t start = kColumns[c].right ? at[c] - text.size() : at[c];
  REQUIRE(start + text.size() <= line.size());
  CHECK(line.substr(start, text.size()) == text);
  if (start > 0) CHECK(line[start - 1] == ' ');
  if (start + text.size() < line.size()) CHECK(line[start + text.size()] == ' ');
}

std::size_t index_of(const std::vector<std::string>& lines, const std::string& prefix) {
  for (std::size_t i = 0; i < lines.size(); ++i)
    if (lines[i].rfind(prefix, 0) == 0) return i;
  FAIL("no line starts with " << prefix);
  return 0;
}

}  // namespace

TEST_CASE("every row's columns line up with the header") {
  const auto lines = lines_of(results_to_table(sample()));
  const auto at = anchors(lines.at(0));
  CHECK(at[0] == 0);

  const auto& home = lines.at(index_of(lines, "home "));
  check_cell(home, at, 1, "ok");
  check_cell(home, at, 3, "200");
  check_cell(home, at, 4, "12.3");
  check_cell(home, at, 5, "1.2");
  check_cell(home, at, 6, "0.3");
  check_cell(home, at, 7, "4.5");
  check_cell(home, at, 8, "10.1");
  check_cell(home, at, 9, "0.9");

  const auto& api = lines.at(index_of(lines, "api "));
  check_cell(api, at, 1, "FAIL");
  check_cell(api, at, 2, "status");
  check_cell(api, at, 3, "503");
  check_cell(api, at, 4, "50.0");

  const auto& slow = lines.at(index_of(lines, "product-page-with-a-long-name "));
  check_cell(slow, at, 1, "degraded");
  check_cell(slow, at, 4, "1234.5");
  check_cell(slow, at, 9, "0.9");

  const auto& checkout = lines.at(index_of(lines, "checkout "));
  check_cell(checkout, at, 1, "FAIL");
  check_cell(checkout, at, 2, "status");
  check_cell(checkout, at, 4, "184.0");

  const auto& product = lines.at(index_of(lines, "  + product"));
  check_cell(product, at, 1, "ok");
  check_cell(product, at, 3, "200");
  check_cell(product, at, 4, "90.0");
  check_cell(product, at, 9, "0.0");

  const auto& add = lines.at(index_of(lines, "  + add-to-cart"));
  check_cell(add, at, 1, "FAIL");
  check_cell(add, at, 2, "status");
  check_cell(add, at, 3, "503");
  check_cell(add, at, 4, "94.0");

  const auto& pay = lines.at(index_of(lines, "  + pay"));
  check_cell(pay, at, 1, "not run");
  CHECK(pay.size() == at[1] + std::string("not run").size());  // nothing else on the line
}

TEST_CASE("a failed run is followed by its message; a passing one is not") {
  const auto lines = lines_of(results_to_table(sample()));
  const std::size_t api = index_of(lines, "api ");
  CHECK(lines.at(api + 1) == "    status 503 not in [2xx]");

  const std::size_t home = index_of(lines, "home ");
  CHECK(lines.at(home + 1).rfind("api ", 0) == 0);

  // A flow's steps come first, then the run's message.
  const std::size_t checkout = index_of(lines, "checkout ");
  CHECK(lines.at(checkout + 1).rfind("  + product", 0) == 0);
  CHECK(lines.at(checkout + 2).rfind("  + add-to-cart", 0) == 0);
  CHECK(lines.at(checkout + 3).rfind("  + pay", 0) == 0);
  CHECK(lines.at(checkout + 4) == "    step add-to-cart: status 503 not in [2xx]");
}

TEST_CASE("no trailing spaces, every line ends with a newline") {
  const std::string text = results_to_table(sample());
  REQUIRE(!text.empty());
  CHECK(text.back() == '\n');
  CHECK(text.find(" \n") == std::string::npos);
}

TEST_CASE("a run without a response shows '-' for its status") {
  RunResult r = check("dns", false, 0, 0.002);
  r.reason = Reason::dns;
  r.message = "could not resolve host";
  const auto lines = lines_of(results_to_table({r}));
  const auto at = anchors(lines.at(0));
  check_cell(lines.at(1), at, 2, "dns");
  check_cell(lines.at(1), at, 3, "-");
  CHECK(lines.at(2) == "    could not resolve host");
}

TEST_CASE("the summary line counts checks, flows, failures and degraded runs") {
  auto last_line = [](const std::vector<RunResult>& results) { return lines_of(results_to_table(results)).back(); };
  CHECK(last_line({check("a", true, 200, 0.1), check("b", false, 500, 0.1), check("c", true, 200, 0.1)}) ==
        "3 checks, 1 failed");
  CHECK(last_line({check("a", true, 200, 0.1)}) == "1 check, 0 failed");
  CHECK(last_line(sample()) == "3 checks, 1 flow, 2 failed, 1 degraded");
  RunResult only_flow = flow();
  CHECK(last_line({only_flow}) == "1 flow, 1 failed");
  CHECK(last_line({}) == "0 checks, 0 failed");
}

TEST_CASE("colour changes nothing but the escape codes") {
  const std::string plain = results_to_table(sample(), false);
  std::string coloured = results_to_table(sample(), true);
  CHECK(coloured != plain);
  CHECK(plain.find('\x1b') == std::string::npos);
  // Strip ESC [ ... m sequences.
  std::string stripped;
  for (std::size_t i = 0; i < coloured.size(); ++i) {
    if (coloured[i] == '\x1b') {
      while (i < coloured.size() && coloured[i] != 'm') ++i;
      continue;
    }
    stripped += coloured[i];
  }
  CHECK(stripped == plain);
}
