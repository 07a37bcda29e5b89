#include "tests/support/deploy_files.h"

#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>

namespace synthprobe::testing {

std::string source_dir() {
  const char* d = std::getenv("SYNTHPROBE_SOURCE_DIR");
  REQUIRE_MESSAGE(d, "SYNTHPROBE_SOURCE_DIR is set by ctest");
  return d;
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path);
  REQUIRE_MESSAGE(in, "cannot read " << path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

namespace {

// One "key: value" (or "- value") of a block mapping or sequence; `indent` is the column of the key, so
// "  - alert: X" gives indent 4 with item = true.
struct YamlEntry {
  int indent = 0;
  bool item = false;
  std::string key;  // "" for a plain sequence item
  std::string value;
  int line = 0;
};

[[noreturn]] void unsupported(int line, const std::string& why) {
  throw std::runtime_error("line " + std::to_string(line) + ": " + why + " (the test's YAML reader is line based)");
}

std::string trim(const std::string& s) {
  const std::size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

int indent_of(const std::string& s) {
  const std::size_t n = s.find_first_not_of(' ');
  return n == std::string::npos ? static_cast<int>(s.size()) : static_cast<int>(n);
}

std::string scalar(const std::string& raw, int line) {
  const std::string s = trim(raw);
  if (s.empty()) return "";
  if (s[0] == '\'') {
    std::string out;
    std::size_t i = 1;
    for (; i < s.size(); ++i) {
      if (s[i] == '\'') {
        if (i + 1 < s.size() && s[i + 1] == '\'') {
          out += '\'';
          ++i;
        } else {
          break;
        }
      } else {
        out += s[i];
      }
    }
    if (i >= s.size()) unsupported(line, "a quoted scalar over several lines");
    if (!trim(s.substr(i + 1)).empty() && trim(s.substr(i + 1))[0] != '#') unsupported(line, "text after a quoted scalar");
    return out;
  }
  if (s[0] == '"') {
    std::string out;
    std::size_t i = 1;
    for (; i < s.size() && s[i] != '"'; ++i) {
      if (s[i] == '\\' && i + 1 < s.size()) {
        ++i;
        out += s[i] == 'n' ? '\n' : s[i] == 't' ? '\t' : s[i];
      } else {
        out += s[i];
      }
    }
    if (i >= s.size()) unsupported(line, "a quoted scalar over several lines");
    if (!trim(s.substr(i + 1)).empty() && trim(s.substr(i + 1))[0] != '#') unsupported(line, "text after a quoted scalar");
    return out;
  }
  if (s[0] == '[' || s[0] == '{') {
    if (s.back() != ']' && s.back() != '}') unsupported(line, "a flow collection over several lines");
    return s;  // kept as written, e.g. [site]
  }
  const std::size_t comment = s.find(" #");
  return trim(comment == std::string::npos ? s : s.substr(0, comment));
}

std::vector<YamlEntry> yaml_entries(const std::string& text) {
  std::vector<std::string> lines;
  {
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) {
      if (l.find('\t') != std::string::npos && trim(l).rfind('#', 0) != 0) unsupported(static_cast<int>(lines.size()) + 1, "a tab");
      lines.push_back(l);
    }
  }
  std::vector<YamlEntry> out;
  static const std::regex key_value(R"(^([A-Za-z_][A-Za-z0-9_.-]*)\s*:(?:\s+(.*))?$)");
  for (std::size_t n = 0; n < lines.size(); ++n) {
    const std::string content = trim(lines[n]);
    if (content.empty() || content[0] == '#' || content == "---") continue;
    YamlEntry e;
    e.line = static_cast<int>(n) + 1;
    e.indent = indent_of(lines[n]);
    std::string rest = content;
    if (rest == "-" ) unsupported(e.line, "an item on the next line");
    if (rest.rfind("- ", 0) == 0) {
      e.item = true;
      rest = trim(rest.substr(2));
      e.indent += 2;
      if (rest.rfind("- ", 0) == 0) unsupported(e.line, "a nested sequence on one line");
    }
    std::smatch m;
    std::string value;
    if (rest[0] != '\'' && rest[0] != '"' && std::regex_match(rest, m, key_value)) {
      e.key = m[1];
      value = m[2].matched ? m[2].str() : "";
    } else if (e.item) {
      value = rest;
    } else {
      unsupported(e.line, "neither \"key: value\" nor \"- item\": " + content);
    }
    const std::string v = trim(value);
    if (!v.empty() && (v[0] == '|' || v[0] == '>')) {
      // A block scalar: the following lines indented deeper than the key, less their common indentation.
      std::vector<std::string> block;
      int block_indent = -1;
      while (n + 1 < lines.size() && (trim(lines[n + 1]).empty() || indent_of(lines[n + 1]) > e.indent)) {
        ++n;
        if (!trim(lines[n]).empty() && block_indent < 0) block_indent = indent_of(lines[n]);
        block.push_back(lines[n]);
      }
      while (!block.empty() && trim(block.back()).empty()) block.pop_back();
      for (std::size_t b = 0; b < block.size(); ++b) {
        if (b) e.value += v[0] == '|' ? "\n" : " ";
        e.value += trim(block[b]).empty() ? "" : block[b].substr(static_cast<std::size_t>(block_indent));
      }
    } else {
      e.value = scalar(value, e.line);
    }
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

std::vector<PromRule> read_rules(const std::string& yaml) {
  std::vector<PromRule> rules;
  int rule_indent = -1;
  std::string section;  // "labels" or "annotations" while inside one
  int section_indent = -1;
  for (const YamlEntry& e : yaml_entries(yaml)) {
    if (e.item && (e.key == "record" || e.key == "alert")) {
      rules.push_back({e.key, e.value, "", {}, {}, e.line});
      rule_indent = e.indent;
      section.clear();
      continue;
    }
    if (rule_indent < 0) continue;
    if (e.indent < rule_indent || (e.indent == rule_indent && e.item)) {  // the rule has ended
      rule_indent = -1;
      continue;
    }
    if (e.indent == rule_indent) {
      section.clear();
      if (e.key == "expr") rules.back().expr = e.value;
      if (e.key == "labels" || e.key == "annotations") {
        section = e.key;
        section_indent = -1;
      }
    } else if (!section.empty()) {
      if (section_indent < 0) section_indent = e.indent;
      if (e.indent != section_indent) throw std::runtime_error("line " + std::to_string(e.line) + ": nested " + section);
      (section == "labels" ? rules.back().labels : rules.back().annotations)[e.key] = e.value;
    }
  }
  return rules;
}

std::vector<std::string> shipped_rule_files() {
  std::vector<std::string> out;
  for (const auto& entry : std::filesystem::directory_iterator(source_dir() + "/deploy/prometheus")) {
    const std::string path = entry.path().string();
    if (!path.ends_with(".yml") || path.ends_with(".test.yml")) continue;
    static const std::regex groups(R"((^|\n)groups:)");
    if (std::regex_search(read_text_file(path), groups)) out.push_back(path);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<PromRule> read_shipped_rules() {
  std::vector<PromRule> out;
  for (const std::string& file : shipped_rule_files()) {
    std::vector<PromRule> rules = read_rules(read_text_file(file));
    out.insert(out.end(), rules.begin(), rules.end());
  }
  return out;
}

RuleTestFile read_rule_test(const std::string& yaml) {
  RuleTestFile out;
  int rule_files_indent = -1;
  for (const YamlEntry& e : yaml_entries(yaml)) {
    if (e.key == "rule_files") {
      rule_files_indent = e.indent;
      continue;
    }
    if (rule_files_indent >= 0 && e.item && e.key.empty() && e.indent > rule_files_indent) {
      out.rule_files.push_back(e.value);
      continue;
    }
    rule_files_indent = -1;
    if (e.key == "series") out.input_series.push_back({e.value, e.line});
    if (e.key == "expr") out.exprs.push_back(e.value);
  }
  return out;
}

namespace {

void collect_queries(const boost::json::value& v, const std::string& panel, std::vector<DashboardQuery>& out) {
  if (v.is_object()) {
    const boost::json::object& o = v.as_object();
    std::string title = panel;
    if (const auto* t = o.if_contains("title"); t && t->is_string()) title = std::string(t->as_string());
    if (const auto* e = o.if_contains("expr"); e && e->is_string()) {
      const auto* legend = o.if_contains("legendFormat");
      out.push_back({title, std::string(e->as_string()),
                     legend && legend->is_string() ? std::string(legend->as_string()) : ""});
    }
    for (const auto& [k, x] : o)
      if (k != "templating") collect_queries(x, title, out);
  } else if (v.is_array()) {
    for (const auto& x : v.as_array()) collect_queries(x, panel, out);
  }
}

}  // namespace

std::vector<DashboardQuery> dashboard_queries(const boost::json::value& dashboard) {
  std::vector<DashboardQuery> out;
  collect_queries(dashboard, "", out);
  return out;
}

std::vector<DashboardVariable> dashboard_query_variables(const boost::json::value& dashboard) {
  std::vector<DashboardVariable> out;
  for (const auto& v : dashboard.at("templating").at("list").as_array()) {
    if (v.at("type") != "query") continue;
    const boost::json::value& q = v.at("query");
    // Grafana writes a query variable's query as a string, or as {"query": "..."} in newer versions.
    out.push_back({std::string(v.at("name").as_string()),
                   std::string(q.is_string() ? q.as_string() : q.at("query").as_string())});
  }
  return out;
}

}  // namespace synthprobe::testing
