#pragma once
// Structured log lines on stderr: logfmt by default, JSON with `probe.log_format = "json"`.
// One line per event that matters (state changes, reloads), never one per run at info level.

#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

namespace synthprobe {

enum class LogFormat { logfmt, json };
enum class LogLevel { debug, info, warn, error };

using LogField = std::pair<std::string_view, std::string_view>;

// Thread-safe: a reload may change the format and the redactor while other threads (the state store's
// writer, remote_write's sender) log.
class Logger {
 public:
  void set_format(LogFormat f);
  // Applied to every value before it is written, so secrets never reach the log.
  void set_redactor(std::function<std::string(std::string)> r);

  void log(LogLevel level, std::string_view msg, std::initializer_list<LogField> fields = {}) const;
  // The line `log` would write, without the timestamp prefix's clock: for tests.
  std::string format(LogLevel level, std::string_view msg, std::initializer_list<LogField> fields,
                     std::string_view timestamp) const;

 private:
  using Redactor = std::function<std::string(std::string)>;
  mutable std::mutex mutex_;  // guards format_ and redact_ (the pointer; what it points to never changes)
  LogFormat format_ = LogFormat::logfmt;
  std::shared_ptr<const Redactor> redact_;
};

}  // namespace synthprobe
