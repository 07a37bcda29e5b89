#pragma once
// The files under deploy/ as tests read them: Prometheus rule files and their `promtool test rules` files
// (through a line-based reader of the YAML subset they are written in: block mappings and sequences,
// plain, quoted and `|` scalars on one line each) and the Grafana dashboard's variables and queries.
// The reader throws on what it does not understand rather than skipping it.

#include <map>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

namespace synthprobe::testing {

std::string source_dir();                        // $SYNTHPROBE_SOURCE_DIR (REQUIREd)
std::string read_text_file(const std::string& path);  // REQUIREs that it can be read

struct PromRule {
  std::string kind;  // "record" or "alert"
  std::string name;
  std::string expr;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  int line = 0;
};
std::vector<PromRule> read_rules(const std::string& yaml);

// The rule files Prometheus is to load, as shipped: every deploy/prometheus/*.yml with a top-level
// `groups:` (not the promtool tests, not the scrape example), full paths in name order.
std::vector<std::string> shipped_rule_files();
// Every rule of every shipped rule file, in that order.
std::vector<PromRule> read_shipped_rules();

struct InputSeries {
  std::string series;  // 'name{label="value",...}' as written
  int line = 0;
};
struct RuleTestFile {
  std::vector<std::string> rule_files;
  std::vector<InputSeries> input_series;
  std::vector<std::string> exprs;  // of promql_expr_test
};
RuleTestFile read_rule_test(const std::string& yaml);

struct DashboardQuery {
  std::string panel;  // title
  std::string expr;
  std::string legend;  // legendFormat, "" when none
};
struct DashboardVariable {
  std::string name;
  std::string query;  // e.g. label_values(probe_success{site=~"$site"}, check)
};
std::vector<DashboardQuery> dashboard_queries(const boost::json::value& dashboard);
std::vector<DashboardVariable> dashboard_query_variables(const boost::json::value& dashboard);

}  // namespace synthprobe::testing
