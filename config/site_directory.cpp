#include "config/site_directory.h"

#include <algorithm>

#include <boost/url/parse.hpp>

#include "common/text.h"
#include "config/template_field.h"

namespace synthprobe::config {

const Layer* SiteDirectory::find(const std::string& name) const {
  auto it = sites_.find(name);
  return it == sites_.end() ? nullptr : &it->second;
}

std::vector<std::string> SiteDirectory::names() const {
  std::vector<std::string> out;
  for (const auto& [name, layer] : sites_) out.push_back(name);
  return out;
}

const Layer& SiteDirectory::for_host(const std::string& host) {
  if (const Layer* site = find(host)) return *site;
  if (std::find(implicit_.begin(), implicit_.end(), host) == implicit_.end()) implicit_.push_back(host);
  return defaults_;
}

std::optional<std::string> host_known_at_load(const TemplateString& url) {
  // Only the literal beginning is known at load: the host is when the authority ends inside it.
  const auto& parts = url.parts();
  if (parts.empty() || parts[0].kind != TemplatePart::Kind::literal) return std::nullopt;
  const std::string_view text = parts[0].text;
  const std::size_t scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) return std::nullopt;
  const std::size_t authority_end = text.find_first_of("/?#", scheme_end + 3);
  if (authority_end == std::string_view::npos && !url.is_constant()) return std::nullopt;
  auto parsed = boost::urls::parse_absolute_uri(text.substr(0, authority_end));
  if (!parsed || !parsed->has_authority() || parsed->host_address().empty()) return std::nullopt;
  return text::to_lower(parsed->host_address());
}

std::optional<std::string> implicit_site_name(const Layer& layer, const TableReader& owner,
                                              const TableReader& url_table, LoadContext& ctx) {
  if (!layer.url) {
    url_table.missing("url");
    return std::nullopt;
  }
  const std::string& written = layer.url->as_string()->get();
  const char* whose = &owner.table() == &url_table.table() ? "its url " : "its first step's url ";
  const std::string ask = "missing required key \"site\" in " + owner.where() + ": the host of " + whose +
                          quote(written) + " is not known at load, so no site can be named after it (set site = \"...\")";
  // The vars in scope without a site: those of [defaults], the check or flow, and the step.
  TemplateString::ParseError error{0, {}};
  auto url = TemplateString::parse(written, TemplateContext::url, make_template_env(ctx, &layer.vars, nullptr), error);
  if (!url) {
    // A site var, most likely: only the site the user means can define it.
    if (!error.undefined.empty()) ctx.error(owner.pos(), ask);
    else ctx.error(ctx.inside(*layer.url, error.offset), error.message);
    return std::nullopt;
  }
  if (!check_url(*url, "\"url\"", *layer.url, ctx)) return std::nullopt;
  auto host = host_known_at_load(*url);
  if (!host) ctx.error(owner.pos(), ask);
  return host;
}

}  // namespace synthprobe::config
