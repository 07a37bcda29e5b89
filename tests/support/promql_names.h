#pragma once
// The names a PromQL expression refers to, so tests can hold the shipped rules and dashboard against what
// the probe really exports: the metrics it selects with the matchers on each, and the label lists of its
// by/without/on/ignoring/group_left/group_right clauses with the metrics each list applies to. A lexer
// with bracket matching, not a parser: enough for the expressions we ship (no subquery or @ tricks).

#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace synthprobe::testing {

struct PromqlMatcher {
  std::string label;
  std::string op;  // =, !=, =~, !~
  std::string value;
};

struct PromqlSelector {
  std::string metric;  // "" for a selector without a name, such as {__name__=~"..."}
  std::vector<PromqlMatcher> matchers;
};

struct PromqlGrouping {
  std::string keyword;  // by, without, on, ignoring, group_left, group_right
  std::vector<std::string> labels;
  // by/without: the metrics of the aggregated expression; on/ignoring/group_*: those of the whole expression.
  std::set<std::string> metrics;
};

struct PromqlNames {
  std::vector<PromqlSelector> selectors;
  std::vector<PromqlGrouping> groupings;
  std::set<std::string> metrics() const;  // every named selector's metric
};

PromqlNames promql_names(std::string_view expr);

// Label names a template refers to: {{ $labels.name }} (Prometheus annotations) and {{name}} or
// {{ name }} (Grafana legends).
std::set<std::string> template_label_names(std::string_view text);

}  // namespace synthprobe::testing
