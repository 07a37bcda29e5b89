#pragma once
// A real Prometheus (Debian's package) on loopback for end-to-end tests: it scrapes `targets` every
// second (none: it only receives), evaluates `rule_files` every second, sends alerts to `alertmanager`
// (host:port) when one is given, and with `remote_write_receiver` takes samples on /api/v1/write.

#include <optional>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace synthprobe::testing {

inline constexpr const char* kPrometheusBinary = "/usr/bin/prometheus";

// A JSON string's text; "" for anything else.
std::string json_text(const boost::json::value& v);

class Prometheus {
 public:
  struct Options {
    std::vector<std::string> targets;
    std::vector<std::string> rule_files;
    std::string alertmanager;
    bool remote_write_receiver = false;
  };

  Prometheus(const TempDir& dir, const std::vector<std::string>& targets, const std::vector<std::string>& rule_files,
             const std::string& alertmanager = "");
  Prometheus(const TempDir& dir, const Options& options);

  std::string url(const std::string& path) const;
  std::string log() const;

  // The "data" of a successful API answer, nullopt otherwise.
  std::optional<boost::json::value> api(const std::string& path_and_query) const;
  // An instant query's result vector; nullopt when the query fails.
  std::optional<boost::json::array> query(const std::string& promql) const;
  // Active (pending or firing) alerts named `name` (and of `site`).
  std::vector<boost::json::object> alerts(const std::string& name) const;
  std::vector<boost::json::object> alerts(const std::string& name, const std::string& site) const;
  // The rule groups as /api/v1/rules reports them, and when one was last evaluated.
  boost::json::array groups() const;
  std::string last_evaluation(const std::string& group) const;

 private:
  static std::string write_config(const TempDir& dir, const Options& options);

  unsigned short port_;
  std::string log_path_;
  ChildProcess process_;
};

}  // namespace synthprobe::testing
