#include "tests/support/promql_names.h"

#include <cctype>
#include <regex>
#include <stdexcept>

namespace synthprobe::testing {
namespace {

enum class Kind { ident, string, open_paren, close_paren, open_brace, close_brace, comma, match_op, other };

struct Token {
  Kind kind;
  std::string text;  // a string's value without quotes
};

bool ident_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':'; }
bool ident_char(char c) { return ident_start(c) || std::isdigit(static_cast<unsigned char>(c)); }

std::vector<Token> lex(std::string_view s) {
  std::vector<Token> out;
  std::size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '#') {  // a comment to the end of the line
      while (i < s.size() && s[i] != '\n') ++i;
    } else if (c == '[') {  // a range or subquery: durations and Grafana's $__interval, never names
      while (i < s.size() && s[i] != ']') ++i;
      ++i;
    } else if (c == '"' || c == '\'' || c == '`') {
      std::string value;
      ++i;
      while (i < s.size() && s[i] != c) {
        if (s[i] == '\\' && c != '`' && i + 1 < s.size()) ++i;
        value += s[i++];
      }
      if (i == s.size()) throw std::runtime_error("unterminated string in: " + std::string(s));
      ++i;
      out.push_back({Kind::string, value});
    } else if (ident_start(c)) {
      const std::size_t start = i;
      while (i < s.size() && ident_char(s[i])) ++i;
      out.push_back({Kind::ident, std::string(s.substr(start, i - start))});
    } else if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') {  // numbers and durations
      const std::size_t start = i;
      while (i < s.size() && (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
      out.push_back({Kind::other, std::string(s.substr(start, i - start))});
    } else if (c == '$') {  // a Grafana variable outside a string: not a PromQL name
      ++i;
      if (i < s.size() && s[i] == '{') {
        while (i < s.size() && s[i] != '}') ++i;
        ++i;
      } else {
        while (i < s.size() && ident_char(s[i])) ++i;
      }
      out.push_back({Kind::other, "$"});
    } else if (c == '(' || c == ')' || c == '{' || c == '}' || c == ',') {
      const Kind k = c == '(' ? Kind::open_paren
                     : c == ')' ? Kind::close_paren
                     : c == '{' ? Kind::open_brace
                     : c == '}' ? Kind::close_brace
                                : Kind::comma;
      out.push_back({k, std::string(1, c)});
      ++i;
    } else {
      // Operators: the two-character ones matter inside braces (=~, !=, !~); == outside is "other".
      const std::string two(s.substr(i, 2));
      if (two == "=~" || two == "!=" || two == "!~") {
        out.push_back({Kind::match_op, two});
        i += 2;
      } else if (two == "==" || two == "<=" || two == ">=") {
        out.push_back({Kind::other, two});
        i += 2;
      } else {
        out.push_back({c == '=' ? Kind::match_op : Kind::other, std::string(1, c)});
        ++i;
      }
    }
  }
  return out;
}

// For every bracket token, the index of its partner.
std::vector<std::size_t> partners(const std::vector<Token>& tokens, std::string_view expr) {
  std::vector<std::size_t> partner(tokens.size(), tokens.size());
  std::vector<std::size_t> open;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i].kind == Kind::open_paren || tokens[i].kind == Kind::open_brace) {
      open.push_back(i);
    } else if (tokens[i].kind == Kind::close_paren || tokens[i].kind == Kind::close_brace) {
      if (open.empty()) throw std::runtime_error("unbalanced brackets in: " + std::string(expr));
      partner[i] = open.back();
      partner[open.back()] = i;
      open.pop_back();
    }
  }
  if (!open.empty()) throw std::runtime_error("unbalanced brackets in: " + std::string(expr));
  return partner;
}

const std::set<std::string> kGroupingKeywords{"by", "without", "on", "ignoring", "group_left", "group_right"};
const std::set<std::string> kAggregations{"sum",    "min",   "max",         "avg",      "group",    "stddev",
                                          "stdvar", "count", "count_values", "bottomk", "topk",     "quantile",
                                          "limitk", "limit_ratio"};
const std::set<std::string> kKeywords{"and", "or", "unless", "bool", "offset", "atan2", "inf", "nan", "Inf", "NaN"};

}  // namespace

std::set<std::string> PromqlNames::metrics() const {
  std::set<std::string> out;
  for (const auto& s : selectors)
    if (!s.metric.empty()) out.insert(s.metric);
  return out;
}

PromqlNames promql_names(std::string_view expr) {
  const std::vector<Token> t = lex(expr);
  const std::vector<std::size_t> partner = partners(t, expr);
  PromqlNames names;
  std::vector<std::size_t> selector_at;  // the token index of each selector
  struct Pending {
    std::size_t grouping;
    std::size_t begin, end;  // token range of the clause's scope; whole expression when begin > end
  };
  std::vector<Pending> scopes;

  for (std::size_t i = 0; i < t.size(); ++i) {
    const bool next_paren = i + 1 < t.size() && t[i + 1].kind == Kind::open_paren;
    const bool next_brace = i + 1 < t.size() && t[i + 1].kind == Kind::open_brace;
    if (t[i].kind == Kind::ident && next_paren && kGroupingKeywords.contains(t[i].text)) {
      PromqlGrouping g{t[i].text, {}, {}};
      const std::size_t close = partner[i + 1];
      for (std::size_t j = i + 2; j < close; ++j)
        if (t[j].kind == Kind::ident || t[j].kind == Kind::string) g.labels.push_back(t[j].text);
      Pending scope{names.groupings.size(), 1, 0};
      if (g.keyword == "by" || g.keyword == "without") {
        if (i > 0 && t[i - 1].kind == Kind::close_paren) {  // sum(x) by (l)
          scope.begin = partner[i - 1];
          scope.end = i - 1;
        } else if (close + 1 < t.size() && t[close + 1].kind == Kind::open_paren) {  // sum by (l) (x)
          scope.begin = close + 1;
          scope.end = partner[close + 1];
        } else {
          throw std::runtime_error("cannot tell what '" + g.keyword + "' applies to in: " + std::string(expr));
        }
      }
      names.groupings.push_back(std::move(g));
      scopes.push_back(scope);
      i = close;
    } else if (t[i].kind == Kind::ident && next_paren) {
      // a function or an aggregation: not a metric
    } else if ((t[i].kind == Kind::ident && next_brace) || t[i].kind == Kind::open_brace) {
      PromqlSelector s;
      std::size_t open = i;
      if (t[i].kind == Kind::ident) {
        s.metric = t[i].text;
        open = i + 1;
      }
      const std::size_t close = partner[open];
      for (std::size_t j = open + 1; j + 2 < close; ++j) {
        if (t[j].kind == Kind::ident && t[j + 1].kind == Kind::match_op && t[j + 2].kind == Kind::string) {
          s.matchers.push_back({t[j].text, t[j + 1].text, t[j + 2].text});
          if (s.metric.empty() && t[j].text == "__name__" && t[j + 1].text == "=") s.metric = t[j + 2].text;
          j += 2;
        }
      }
      selector_at.push_back(i);
      names.selectors.push_back(std::move(s));
      i = close;
    } else if (t[i].kind == Kind::ident && !kKeywords.contains(t[i].text) && !kAggregations.contains(t[i].text)) {
      selector_at.push_back(i);
      names.selectors.push_back({t[i].text, {}});
    }
  }
  for (const Pending& p : scopes) {
    for (std::size_t k = 0; k < names.selectors.size(); ++k) {
      const bool inside = p.begin > p.end || (selector_at[k] > p.begin && selector_at[k] < p.end);
      if (inside && !names.selectors[k].metric.empty()) names.groupings[p.grouping].metrics.insert(names.selectors[k].metric);
    }
  }
  return names;
}

std::set<std::string> template_label_names(std::string_view text) {
  std::set<std::string> out;
  const std::string s(text);
  const std::regex re(R"(\{\{-?\s*(?:\$labels\.)?([a-zA-Z_][a-zA-Z0-9_]*)\s*-?\}\})");
  const std::regex in_expression(R"(\$labels\.([a-zA-Z_][a-zA-Z0-9_]*))");
  for (auto it = std::sregex_iterator(s.begin(), s.end(), re); it != std::sregex_iterator(); ++it) out.insert((*it)[1]);
  // $labels.x inside a longer template expression, e.g. {{ $labels.check | title }}
  for (auto it = std::sregex_iterator(s.begin(), s.end(), in_expression); it != std::sregex_iterator(); ++it)
    out.insert((*it)[1]);
  return out;
}

}  // namespace synthprobe::testing
