#pragma once
// Structured log lines on stderr: logfmt by default, JSON with `probe.log_format = "json"`.
// One line per event that matters (state changes, reloads), never one per run at info level.

#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace synthprobe {

enum class LogFormat { logfmt, json };
enum class LogLevel { debug, info, warn, error };

using LogField = std::pair<std::string_view, std::string_view>;

class Logger {
 public:
  void set_format(LogFormat f) { format_ = f; }
  // Applied to every value before it is written, so secrets never reach the log.
  void set_redactor(std::function<std::string(std::string)> r) { redact_ = std::move(r); }

  void log(LogLevel level, std::string_view msg, std::initializer_list<LogField> fields = {}) const;
  // The line `log` would write, without the timestamp prefix's clock: for tests.
  std::string format(LogLevel level, std::string_view msg, std::initializer_list<LogField> fields,
                     std::string_view timestamp) const;

 private:
  LogFormat format_ = LogFormat::logfmt;
  std::function<std::string(std::string)> redact_;
};

}  // namespace synthprobe
