#pragma once
// Which site a check or flow belongs to: the [[site]] its `site` names or, without `site`, the site named
// after the host of its URL (a flow's: its first step's). That site is made implicitly, with the
// [defaults], unless a [[site]] of that name exists: then the check joins it.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/settings_layer.h"
#include "config/template_string.h"

namespace synthprobe::config {

class SiteDirectory {
 public:
  explicit SiteDirectory(Layer defaults) : defaults_(std::move(defaults)) {}

  const Layer& defaults() const { return defaults_; }
  // A [[site]], its settings already merged over [defaults]. The first of a name stays.
  void add(const std::string& name, Layer layer) { sites_.emplace(name, std::move(layer)); }
  // The [[site]] named `name`, or null: a `site = "..."` names a [[site]], never an implicit one.
  const Layer* find(const std::string& name) const;
  // The names of the [[site]] tables, for "did you mean" hints.
  std::vector<std::string> names() const;

  // The site named after host `host`: that [[site]] if there is one, else the implicit site of that name,
  // made on first use.
  const Layer& for_host(const std::string& host);
  // The implicit sites, in the order they were made.
  const std::vector<std::string>& implicit() const { return implicit_; }

 private:
  Layer defaults_;
  std::map<std::string, Layer> sites_;
  std::vector<std::string> implicit_;
};

// The host of `url` in lower case, when load-time values make it known; nullopt when a run-time value
// decides it or the URL has none.
std::optional<std::string> host_known_at_load(const TemplateString& url);

// The site name for a check or flow without `site`: the host of the URL that `layer` ([defaults] < the
// check or flow < for a flow, its first step) holds. `owner` is the check or flow, `url_table` the table
// that needs the URL (the check, or the flow's first step). nullopt, reported, when the URL is missing or
// invalid, or when its host is not known at load.
std::optional<std::string> implicit_site_name(const Layer& layer, const TableReader& owner,
                                              const TableReader& url_table, LoadContext& ctx);

}  // namespace synthprobe::config
