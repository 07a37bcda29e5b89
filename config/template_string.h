#pragma once
// A string with ${...} placeholders, parsed once at config load.
//
// Site vars, ${env:NAME} and ${file:PATH} are known at load and are substituted then, escaped for where
// they land. What only a run knows stays a placeholder: variables extracted by earlier flow steps, and
// the built-ins ${uuid}, ${unix_ms}, ${random_digits:N}. `$${` writes a literal `${`.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace synthprobe::config {

// Where the rendered text lands, which decides how substituted values are escaped.
enum class TemplateContext {
  raw,   // headers, raw bodies, form values (form-encoded as a whole later), expected texts: as they are
  url,   // percent-encoded: fully in the query string, only unsafe characters before it
  json,  // JSON-string escaped (the template supplies the quotes)
  regex,  // RE2-quoted, so an inserted value matches only itself, whatever characters it holds
};

enum class Escape { none, url_path, url_query, json, regex };

void append_escaped(std::string& out, std::string_view value, Escape escape);

struct TemplatePart {
  enum class Kind { literal, variable, uuid, unix_ms, random_digits };
  Kind kind = Kind::literal;
  std::string text;  // literal text, or the variable's name
  Escape escape = Escape::none;
  int digits = 0;  // random_digits
};

// The values a run supplies.
struct RenderInputs {
  // Variables extracted by earlier steps of the run, in any order.
  const std::vector<std::pair<std::string, std::string>>* vars = nullptr;
  std::int64_t unix_ms = 0;
  std::mt19937_64* rng = nullptr;
};

// What a template may refer to, and how load-time values are found.
struct TemplateEnv {
  const std::map<std::string, std::string>* site_vars = nullptr;  // substituted at load
  const std::set<std::string>* runtime_vars = nullptr;            // extracted by earlier steps
  std::filesystem::path base_dir;                                  // for ${file:PATH}
  std::vector<std::string>* secrets = nullptr;                     // collects env/file values
  std::function<const char*(const char*)> getenv = nullptr;        // default ::getenv
};

class TemplateString {
 public:
  TemplateString() = default;
  static TemplateString literal(std::string text);

  struct ParseError {
    std::size_t offset;  // byte offset into the source text
    std::string message;
    std::string undefined = {};  // the variable's name, when the problem is that nothing defines it
  };
  // Parses `text`; on error returns nullopt and fills `error`.
  static std::optional<TemplateString> parse(std::string_view text, TemplateContext context,
                                             const TemplateEnv& env, ParseError& error);

  // True when no run-time value is needed: render() always gives the same text.
  bool is_constant() const { return parts_.size() <= 1 && (parts_.empty() || parts_[0].kind == TemplatePart::Kind::literal); }
  // The text when constant (else its first literal part; parts() has them all).
  const std::string& constant_text() const;
  bool empty() const { return parts_.empty(); }

  void render(std::string& out, const RenderInputs& inputs) const;
  std::string render(const RenderInputs& inputs) const {
    std::string out;
    render(out, inputs);
    return out;
  }

  // Names of the run-time variables it refers to (not built-ins).
  std::vector<std::string> variables() const;
  const std::vector<TemplatePart>& parts() const { return parts_; }

 private:
  std::vector<TemplatePart> parts_;
};

}  // namespace synthprobe::config
