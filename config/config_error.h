#pragma once
// A config error with the place it was written, and the list a load collects them in.

#include <cstdint>
#include <string>
#include <vector>

namespace synthprobe::config {

// 1-based, columns in code points (as toml++ counts them). line 0: the error has no place in the text
// (an unreadable file).
struct SourcePos {
  std::uint32_t line = 0;
  std::uint32_t column = 0;
};

struct ConfigError {
  std::string file;
  std::uint32_t line = 0;
  std::uint32_t column = 0;
  std::string message;

  // "FILE:LINE:COLUMN: message", or "FILE: message" when there is no line.
  std::string to_string() const;
};

// Collects every error of one load, so the user fixes them all in one go.
class ErrorList {
 public:
  explicit ErrorList(std::string file) : file_(std::move(file)) {}

  void add(SourcePos pos, std::string message);
  bool empty() const { return errors_.empty(); }

  // In source order, without repeats (an inherited setting is checked again for every check that inherits
  // it), and with every secret value replaced, so no message can leak one.
  std::vector<ConfigError> take(const std::vector<std::string>& secrets);

 private:
  std::string file_;
  std::vector<ConfigError> errors_;
};

// Replaces each non-empty secret in text by "<secret>".
std::string redact_secrets(std::string text, const std::vector<std::string>& secrets);
// The same for a list already in redaction order (sort_secrets): no sorting per call, for the check loop.
std::string redact_sorted_secrets(std::string text, const std::vector<std::string>& sorted);
// Unique, non-empty, longest first: the order redaction needs, so a secret containing another is masked whole.
void sort_secrets(std::vector<std::string>& secrets);

}  // namespace synthprobe::config
