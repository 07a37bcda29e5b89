#include "config/notifier_reader.h"

#include <algorithm>
#include <array>

#include "config/did_you_mean.h"
#include "config/header_value.h"
#include "config/layer_tables.h"
#include "config/settings_layer.h"
#include "config/template_field.h"

namespace synthprobe::config {
namespace {

constexpr std::array<std::string_view, 5> kTypes{"pagerduty", "opsgenie", "alertmanager", "webhook", "slack"};
constexpr std::array<std::string_view, 12> kNotifierKeys{"name",       "type",    "min_severity",    "timeout",
                                                         "url",        "urls",    "routing_key",     "api_key",
                                                         "headers",    "resend_interval", "max_delivery_age",
                                                         "notify_on_comms_overdue"};
constexpr std::array<std::string_view, 2> kHeartbeatKeys{"url", "interval"};

// Which type-specific keys apply to which type; a key for another type is a mistake worth naming.
bool applies(std::string_view key, std::string_view type) {
  if (key == "url") return type != "alertmanager";
  if (key == "urls" || key == "resend_interval") return type == "alertmanager";
  if (key == "routing_key") return type == "pagerduty";
  if (key == "api_key") return type == "opsgenie";
  if (key == "headers") return type == "webhook";
  return true;
}

std::optional<std::string> read_url(const toml::node& node, std::string_view what, const TemplateEnv& env,
                                    LoadContext& ctx) {
  if (!node.is_string()) {
    ctx.error(pos_of(node), std::string(what) + " must be a string");
    return std::nullopt;
  }
  auto text = parse_constant(node, what, env, ctx);
  if (!text) return std::nullopt;
  if (!check_url(TemplateString::literal(*text), what, node, ctx)) return std::nullopt;
  return text;
}

std::optional<std::string> read_secret(const TableReader& r, std::string_view key, const TemplateEnv& env) {
  const toml::node* node = r.string_node(key);
  if (!node) return std::nullopt;
  auto value = parse_constant(*node, quote(key), env, r.ctx());
  if (value && value->empty()) {
    r.ctx().error(pos_of(*node), quote(key) + " must not be empty");
    return std::nullopt;
  }
  return value;
}

Setting<Severity> read_min_severity(const TableReader& r) {
  auto text = r.string("min_severity");
  if (!text) return std::nullopt;
  if (auto severity = parse_severity(text->value)) return At<Severity>{*severity, text->pos};
  r.ctx().error(text->pos, "\"min_severity\" " + quote(text->value) + " must be P1, P2 or P3");
  return std::nullopt;
}

void read_type_settings(const TableReader& r, Notifier& n, const TemplateEnv& env) {
  LoadContext& ctx = r.ctx();
  if (n.type == "alertmanager") {
    if (const toml::node* urls = r.find("urls")) {
      if (const toml::array* array = urls->as_array()) {
        for (const toml::node& element : *array)
          if (auto url = read_url(element, "\"urls\" entry", env, ctx)) n.urls.push_back(*url);
        if (array->empty()) ctx.error(pos_of(*urls), "\"urls\" must list at least one Alertmanager");
      } else {
        ctx.error(pos_of(*urls), "\"urls\" must be an array of Alertmanager base URLs");
      }
    } else {
      r.missing("urls", "required for type \"alertmanager\"");
    }
    if (auto resend = r.duration("resend_interval")) {
      if (resend->value.count() <= 0) ctx.error(resend->pos, "\"resend_interval\" must be more than 0s");
      n.resend_interval = resend->value;
    }
    return;
  }

  if (const toml::node* url = r.find("url")) {
    if (auto text = read_url(*url, "\"url\"", env, ctx)) n.url = *text;
  } else if (n.type == "pagerduty") {
    n.url = kPagerDutyUrl;
  } else if (n.type == "opsgenie") {
    n.url = kOpsgenieUrl;
  } else {
    r.missing("url", "required for type " + quote(n.type));
  }

  if (n.type == "pagerduty") {
    if (!r.find("routing_key")) r.missing("routing_key", "required for type \"pagerduty\"");
    else if (auto key = read_secret(r, "routing_key", env)) n.routing_key = *key;
  }
  if (n.type == "opsgenie") {
    if (!r.find("api_key")) r.missing("api_key", "required for type \"opsgenie\"");
    else if (auto key = read_secret(r, "api_key", env);
             key && check_header_value(*key, *r.find("api_key"), "\"api_key\"", ctx))
      n.api_key = *key;
  }
  if (n.type == "webhook") {
    if (const toml::table* headers = r.subtable("headers")) {
      for (const auto& [k, node] : entries_in_order(*headers)) {
        if (!is_http_token(k->str())) {
          ctx.error(pos_of(*k), "header name " + quote(k->str()) + " is not a valid HTTP header name");
          continue;
        }
        if (!node->is_string()) {
          ctx.error(pos_of(*node), "header " + quote(k->str()) + " must be a string");
          continue;
        }
        const std::string what = "header " + quote(k->str());
        if (auto value = parse_constant(*node, what, env, ctx); value && check_header_value(*value, *node, what, ctx))
          n.headers[std::string(k->str())] = *value;
      }
    }
  }
}

}  // namespace

std::optional<Notifier> read_notifier(const toml::table& table, LoadContext& ctx) {
  TableReader r(table, "[[notifier]]", ctx);
  r.reject_unknown(kNotifierKeys);
  const TemplateEnv env = make_template_env(ctx, nullptr, nullptr);
  Notifier n;
  auto type = r.string("type");
  if (!type) {
    if (!r.find("type")) r.missing("type", "one of pagerduty, opsgenie, alertmanager, webhook, slack");
    return std::nullopt;
  }
  n.type = type->value;
  if (std::find(kTypes.begin(), kTypes.end(), n.type) == kTypes.end()) {
    std::string message = "notifier type " + quote(n.type) + " must be one of pagerduty, opsgenie, alertmanager, webhook, slack";
    if (auto hint = did_you_mean(n.type, kTypes)) message += " (did you mean " + quote(*hint) + "?)";
    ctx.error(type->pos, message);
    return std::nullopt;
  }
  // A name is only needed to tell two notifiers of one type apart; the type is the natural default.
  if (r.find("name")) {
    auto name = read_name(r);
    if (!name) return std::nullopt;
    n.name = name->value;
  } else {
    n.name = n.type;
  }
  for (const auto& [key, node] : entries_in_order(table)) {
    if (!applies(key->str(), n.type))
      ctx.error(pos_of(*key), quote(key->str()) + " does not apply to a notifier of type " + quote(n.type));
  }
  if (auto min = read_min_severity(r)) n.min_severity = min->value;
  if (auto overdue = r.boolean("notify_on_comms_overdue")) n.notify_on_comms_overdue = overdue->value;
  if (auto age = r.duration("max_delivery_age")) {
    if (age->value.count() <= 0) ctx.error(age->pos, "\"max_delivery_age\" must be more than 0s");
    n.max_delivery_age = age->value;
  }
  if (auto timeout = r.duration("timeout")) {
    if (timeout->value.count() <= 0) ctx.error(timeout->pos, "\"timeout\" must be more than 0s");
    n.timeout = timeout->value;
  }
  read_type_settings(r, n, env);
  return n;
}

std::optional<Heartbeat> read_heartbeat(const toml::table& table, LoadContext& ctx) {
  TableReader r(table, "[[heartbeat]]", ctx);
  r.reject_unknown(kHeartbeatKeys);
  const TemplateEnv env = make_template_env(ctx, nullptr, nullptr);
  Heartbeat h;
  bool ok = true;
  if (const toml::node* url = r.find("url")) {
    auto text = read_url(*url, "\"url\"", env, ctx);
    if (text) h.url = *text;
    ok = text.has_value();
  } else {
    r.missing("url");
    ok = false;
  }
  if (auto interval = r.duration("interval")) {
    if (interval->value.count() <= 0) ctx.error(interval->pos, "\"interval\" must be more than 0s");
    h.interval = interval->value;
  }
  if (!ok) return std::nullopt;
  return h;
}

}  // namespace synthprobe::config
