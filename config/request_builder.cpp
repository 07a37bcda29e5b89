#include "config/request_builder.h"

#include <boost/json/parse.hpp>

#include "common/text.h"
#include "common/version.h"
#include "config/duration.h"
#include "config/header_value.h"
#include "config/template_field.h"

namespace synthprobe::config {
namespace {

void build_url(const Layer& layer, const RequestScope& scope, const TemplateEnv& env, RequestSettings& out,
               LoadContext& ctx) {
  if (!layer.url) {
    if (scope.url_required) scope.table.missing("url");
    return;
  }
  if (layer.url->as_string()->get().empty()) {
    ctx.error(pos_of(*layer.url), "\"url\" must not be empty");
    return;
  }
  auto url = parse_template(*layer.url, TemplateContext::url, env, ctx);
  if (!url) return;
  check_url(*url, "\"url\"", *layer.url, ctx);
  out.url = std::move(*url);
}

void build_headers(const Layer& layer, const TemplateEnv& env, RequestSettings& out, LoadContext& ctx) {
  bool user_agent = false;
  for (const NamedTemplate& h : layer.headers) {
    user_agent = user_agent || text::to_lower(h.name) == "user-agent";
    auto value = parse_template(*h.value, TemplateContext::raw, env, ctx);
    if (value && check_header_value(*value, *h.value, "header " + quote(h.name), ctx))
      out.headers.push_back(Header{h.name, std::move(*value)});
  }
  if (!user_agent)
    out.headers.push_back(Header{"User-Agent", TemplateString::literal(std::string("synthprobe/") + kVersion)});
  for (Header& h : out.headers) {
    if (!h.value.is_constant() || h.value.constant_text().empty()) continue;
    out.fixed_header_lines += h.name;
    out.fixed_header_lines += ": ";
    out.fixed_header_lines += h.value.constant_text();
    out.fixed_header_lines += '\0';
    h.fixed = true;
  }
}

void build_body(const Layer& layer, const TemplateEnv& env, RequestSettings& out, LoadContext& ctx) {
  if (!layer.body) return;
  const BodyLayer& body = *layer.body;
  out.body_kind = body.kind;
  if (body.kind == BodyKind::form) {
    for (const NamedTemplate& field : body.form)
      if (auto value = parse_template(*field.value, TemplateContext::raw, env, ctx))
        out.form.push_back(FormField{field.name, std::move(*value)});
    return;
  }
  const bool json = body.kind == BodyKind::json;
  auto text = parse_template(*body.text, json ? TemplateContext::json : TemplateContext::raw, env, ctx);
  if (!text) return;
  if (json && text->is_constant()) {
    // Only a constant body can be checked now; one with run-time values is valid JSON if its template is.
    boost::system::error_code ec;
    boost::json::parse(text->constant_text(), ec);
    if (ec) ctx.error(pos_of(*body.text), "\"json\" is not valid JSON: " + ec.message());
  }
  out.body = std::move(*text);
}

void build_auth(const Layer& layer, const TemplateEnv& env, RequestSettings& out, LoadContext& ctx) {
  if (!layer.auth) return;
  const AuthLayer& auth = *layer.auth;
  if (auth.bearer_token) {
    auto token = parse_constant(*auth.bearer_token, "\"bearer_token\"", env, ctx);
    if (token && check_header_value(*token, *auth.bearer_token, "\"bearer_token\"", ctx)) out.bearer_token = *token;
    return;
  }
  if (auth.username) {
    if (auto user = parse_constant(*auth.username, "\"username\"", env, ctx)) out.basic_auth_user = *user;
  }
  out.basic_auth_password = "";
  if (auth.password) {
    if (auto password = parse_constant(*auth.password, "\"password\"", env, ctx)) out.basic_auth_password = *password;
  }
}

void build_proxy(const Layer& layer, const TemplateEnv& env, RequestSettings& out, LoadContext& ctx) {
  if (!layer.proxy_url) return;
  auto proxy = parse_constant(*layer.proxy_url, "\"proxy_url\"", env, ctx);
  if (!proxy || proxy->empty()) return;
  if (check_url(TemplateString::literal(*proxy), "\"proxy_url\"", *layer.proxy_url, ctx,
                {"http", "https", "socks4", "socks4a", "socks5", "socks5h"}))
    out.proxy_url = *proxy;
}

template <class T, class U>
void set_if(T& target, const Setting<U>& setting) {
  if (setting) target = setting->value;
}

}  // namespace

RequestSettings build_request(const Layer& layer, const RequestScope& scope, LoadContext& ctx) {
  const TemplateEnv env = make_template_env(ctx, &layer.vars, scope.runtime_vars);
  RequestSettings out;
  build_url(layer, scope, env, out, ctx);
  set_if(out.method, layer.method);
  build_headers(layer, env, out, ctx);
  build_body(layer, env, out, ctx);
  build_auth(layer, env, out, ctx);
  set_if(out.interval, layer.interval);
  out.interval_when_failing = layer.interval_when_failing ? layer.interval_when_failing->value : out.interval;
  set_if(out.timeout, layer.timeout);
  set_if(out.retries, layer.retries);
  set_if(out.follow_redirects, layer.follow_redirects);
  set_if(out.max_redirects, layer.max_redirects);
  set_if(out.follow_redirects_with_secrets, layer.follow_redirects_with_secrets);
  set_if(out.max_body_bytes, layer.max_body_bytes);
  set_if(out.fresh_connection, layer.fresh_connection);
  set_if(out.ip_version, layer.ip_version);
  set_if(out.resolve, layer.resolve);
  build_proxy(layer, env, out, ctx);
  set_if(out.tls.ca_file, layer.tls.ca_file);
  set_if(out.tls.client_cert, layer.tls.client_cert);
  set_if(out.tls.client_key, layer.tls.client_key);
  set_if(out.tls.insecure, layer.tls.insecure);
  out.expect = finish_expect(layer.expect, env, ctx);
  if (out.url.is_constant())
    out.constant_lookup = constant_lookup(out.url.constant_text(), out.resolve, !out.proxy_url.empty());
  return out;
}

void check_run_timing(const Layer& layer, const TableReader& table, LoadContext& ctx) {
  const RequestSettings built_in;
  const Duration interval = layer.interval ? layer.interval->value : built_in.interval;
  const Duration timeout = layer.timeout ? layer.timeout->value : built_in.timeout;
  if (layer.interval && interval.count() <= 0) {
    ctx.error(layer.interval->pos, "\"interval\" must be more than 0s");
    return;
  }
  if (layer.interval_when_failing && layer.interval_when_failing->value.count() <= 0)
    ctx.error(layer.interval_when_failing->pos, "\"interval_when_failing\" must be more than 0s");
  if (layer.timeout && timeout.count() <= 0) {
    ctx.error(layer.timeout->pos, "\"timeout\" must be more than 0s");
    return;
  }
  if (timeout < interval) return;
  const std::string rule = "\"timeout\" (" + format_duration(timeout) + ") must be less than \"interval\" (" +
                           format_duration(interval) + ")";
  // Point at whichever of the two the user wrote: the timeout if set, else the interval.
  if (layer.timeout) ctx.error(layer.timeout->pos, rule);
  else if (layer.interval) ctx.error(layer.interval->pos, rule + "; the default timeout is " + format_duration(timeout));
  else ctx.error(table.pos(), rule);
}

}  // namespace synthprobe::config
