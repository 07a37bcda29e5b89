#include "tests/support/prometheus.h"

#include <doctest/doctest.h>

#include "common/text.h"
#include "tests/support/deploy_files.h"
#include "tests/support/test_server.h"

namespace synthprobe::testing {

namespace json = boost::json;
using namespace std::chrono_literals;

std::string json_text(const json::value& v) { return v.is_string() ? std::string(v.as_string()) : ""; }

Prometheus::Prometheus(const TempDir& dir, const std::vector<std::string>& targets,
                       const std::vector<std::string>& rule_files, const std::string& alertmanager)
    : Prometheus(dir, Options{targets, rule_files, alertmanager, false}) {}

Prometheus::Prometheus(const TempDir& dir, const Options& options)
    : port_(closed_port()), log_path_((dir.path() / "prometheus.log").string()), process_([&] {
        std::vector<std::string> argv{kPrometheusBinary, "--config.file=" + write_config(dir, options),
                                      "--storage.tsdb.path=" + (dir.path() / "tsdb").string(),
                                      "--web.listen-address=127.0.0.1:" + std::to_string(port_)};
        if (options.remote_write_receiver) argv.push_back("--web.enable-remote-write-receiver");
        return argv;
      }(), log_path_) {
  REQUIRE_MESSAGE(eventually([&] { return http_request(url("/-/ready")).status == 200; }, 60s), log());
}

std::string Prometheus::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

std::string Prometheus::log() const { return read_text_file(log_path_); }

std::optional<json::value> Prometheus::api(const std::string& path_and_query) const {
  HttpGetResult r = http_request(url(path_and_query));
  if (r.status != 200) return std::nullopt;
  boost::system::error_code ec;
  json::value v = json::parse(r.body, ec);
  if (ec || !v.is_object() || v.at("status") != "success") return std::nullopt;
  return v.at("data");
}

std::optional<json::array> Prometheus::query(const std::string& promql) const {
  auto data = api("/api/v1/query?query=" + text::percent_encode(promql));
  if (!data) return std::nullopt;
  return data->at("result").as_array();
}

std::vector<json::object> Prometheus::alerts(const std::string& name) const {
  std::vector<json::object> out;
  auto data = api("/api/v1/alerts");
  if (!data) return out;
  for (const auto& a : data->at("alerts").as_array())
    if (json_text(a.at("labels").at("alertname")) == name) out.push_back(a.as_object());
  return out;
}

std::vector<json::object> Prometheus::alerts(const std::string& name, const std::string& site) const {
  std::vector<json::object> out;
  for (auto& a : alerts(name)) {
    const json::object& labels = a.at("labels").as_object();
    if (labels.contains("site") && json_text(labels.at("site")) == site) out.push_back(std::move(a));
  }
  return out;
}

json::array Prometheus::groups() const {
  auto data = api("/api/v1/rules");
  return data ? data->at("groups").as_array() : json::array{};
}

std::string Prometheus::last_evaluation(const std::string& group) const {
  for (const auto& g : groups())
    if (json_text(g.at("name")) == group) return json_text(g.at("lastEvaluation"));
  return "";
}

std::string Prometheus::write_config(const TempDir& dir, const Options& options) {
  std::string config = "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n";
  for (const auto& f : options.rule_files) config += "  - '" + f + "'\n";
  if (!options.alertmanager.empty())
    config += "alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ['" + options.alertmanager + "']\n";
  if (!options.targets.empty()) {
    std::string list;
    for (const auto& t : options.targets) list += (list.empty() ? "'" : ", '") + t + "'";
    config += "scrape_configs:\n  - job_name: synthprobe\n    static_configs:\n      - targets: [" + list + "]\n";
  }
  return dir.write("prometheus.yml", config);
}

}  // namespace synthprobe::testing
