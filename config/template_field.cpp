#include "config/template_field.h"

#include <algorithm>
#include <cctype>

#include <boost/url/parse.hpp>

#include "common/text.h"

namespace synthprobe::config {
namespace {

std::string list(std::initializer_list<std::string_view> schemes) {
  std::string out;
  std::size_t i = 0;
  for (std::string_view s : schemes) {
    if (i > 0) out += (i + 1 == schemes.size()) ? " or " : ", ";
    out += s;
    ++i;
  }
  return out;
}

}  // namespace

TemplateEnv make_template_env(const LoadContext& ctx, const std::map<std::string, std::string>* vars,
                              const std::set<std::string>* runtime_vars) {
  static const std::map<std::string, std::string> kNoVars;
  static const std::set<std::string> kNoRuntimeVars;
  TemplateEnv env;
  env.site_vars = vars ? vars : &kNoVars;
  env.runtime_vars = runtime_vars ? runtime_vars : &kNoRuntimeVars;
  env.base_dir = ctx.base_dir;
  env.secrets = ctx.secrets;
  env.getenv = ctx.getenv;
  return env;
}

std::optional<TemplateString> parse_template(const toml::node& node, TemplateContext context, const TemplateEnv& env,
                                             LoadContext& ctx) {
  TemplateString::ParseError error{0, {}};
  auto parsed = TemplateString::parse(node.as_string()->get(), context, env, error);
  if (!parsed) ctx.error(ctx.inside(node, error.offset), error.message);
  return parsed;
}

std::optional<std::string> parse_constant(const toml::node& node, std::string_view what, const TemplateEnv& env,
                                          LoadContext& ctx) {
  auto parsed = parse_template(node, TemplateContext::raw, env, ctx);
  if (!parsed) return std::nullopt;
  if (!parsed->is_constant()) {
    ctx.error(pos_of(node), std::string(what) +
                                " must be known when the config is loaded: it cannot use ${uuid}, ${unix_ms}, "
                                "${random_digits:N} or variables extracted by a step");
    return std::nullopt;
  }
  return parsed->constant_text();
}

bool check_url(const TemplateString& url, std::string_view what, const toml::node& node, LoadContext& ctx,
               std::initializer_list<std::string_view> schemes) {
  const auto allowed = [&](std::string_view scheme) {
    return std::find(schemes.begin(), schemes.end(), text::to_lower(scheme)) != schemes.end();
  };
  const std::string must = std::string(what) + " must be an absolute URL starting with " + list(schemes) + "://";
  if (url.is_constant()) {
    const std::string& text = url.constant_text();
    auto parsed = boost::urls::parse_absolute_uri(text);
    if (!parsed) {
      // Say which part is wrong: a missing scheme is the usual slip ("shop.example.com/").
      if (text.find("://") == std::string::npos) ctx.error(pos_of(node), must);
      else ctx.error(pos_of(node), std::string(what) + " is not a valid URL: " + parsed.error().message());
      return false;
    }
    if (!allowed(parsed->scheme())) {
      ctx.error(pos_of(node), std::string(what) + " scheme " + quote(parsed->scheme()) + " is not supported: use " +
                                  list(schemes));
      return false;
    }
    if (!parsed->has_authority() || parsed->host().empty()) {
      ctx.error(pos_of(node), std::string(what) + " has no host");
      return false;
    }
    return true;
  }
  // Only the literal beginning is known; a URL that starts with a variable is checked when it runs.
  const auto& parts = url.parts();
  if (parts.empty() || parts[0].kind != TemplatePart::Kind::literal) return true;
  const std::string prefix = parts[0].text;
  if (const std::size_t sep = prefix.find("://"); sep != std::string::npos) {
    if (!allowed(prefix.substr(0, sep))) {
      ctx.error(pos_of(node), std::string(what) + " scheme " + quote(prefix.substr(0, sep)) +
                                  " is not supported: use " + list(schemes));
      return false;
    }
    return true;
  }
  for (std::string_view scheme : schemes) {
    const std::string full = std::string(scheme) + "://";
    if (full.starts_with(text::to_lower(prefix))) return true;  // "http" + "${rest}": cannot tell yet
  }
  ctx.error(pos_of(node), must);
  return false;
}

}  // namespace synthprobe::config
