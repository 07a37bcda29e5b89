#include "config/remote_write_reader.h"

#include <array>

#include "config/header_value.h"
#include "config/layer_tables.h"
#include "config/settings_layer.h"
#include "config/template_field.h"

namespace synthprobe::config {
namespace {

constexpr std::array<std::string_view, 11> kRemoteWriteKeys{
    "name",   "url",         "interval",             "timeout",        "bearer_token", "basic_auth",
    "labels", "min_backoff", "max_samples_per_send", "queue_capacity", "max_backoff"};

// Prometheus' receiver takes at most a few MB per request; far more samples than this per send only
// makes a retry costlier.
constexpr std::int64_t kMaxSamplesPerSend = 100000;
// About a gigabyte of queued requests at worst: a typo must not be able to take the host's memory.
constexpr std::int64_t kMaxQueueCapacity = 10000000;

// A credential: redacted from logs even when written literally (not through ${env:} or ${file:}).
std::optional<std::string> secret(const toml::node* node, std::string_view what, const TemplateEnv& env,
                                  LoadContext& ctx, bool may_be_empty = false) {
  if (!node) return std::nullopt;
  auto value = parse_constant(*node, what, env, ctx);
  if (value && value->empty() && !may_be_empty) {
    ctx.error(pos_of(*node), std::string(what) + " must not be empty");
    return std::nullopt;
  }
  if (value && !value->empty() && ctx.secrets) ctx.secrets->push_back(*value);
  return value;
}

void positive(const Setting<Duration>& d, std::string_view key, LoadContext& ctx) {
  if (d && d->value.count() <= 0) ctx.error(d->pos, quote(key) + " must be more than 0s");
}

}  // namespace

std::optional<RemoteWrite> read_remote_write(const toml::table& table, const std::string& probe_name,
                                             LoadContext& ctx) {
  TableReader r(table, "[[remote_write]]", ctx);
  r.reject_unknown(kRemoteWriteKeys);
  const TemplateEnv env = make_template_env(ctx, nullptr, nullptr);
  RemoteWrite w;
  w.name = "remote_write";
  if (r.find("name")) {
    auto name = read_name(r);
    if (!name) return std::nullopt;
    w.name = name->value;
  }

  bool ok = true;
  if (const toml::node* url = r.find("url")) {
    std::optional<std::string> text;
    if (!url->is_string()) ctx.error(pos_of(*url), "\"url\" must be a string");
    else text = parse_constant(*url, "\"url\"", env, ctx);
    if (text && check_url(TemplateString::literal(*text), "\"url\"", *url, ctx)) w.url = *text;
    else ok = false;
  } else {
    r.missing("url", "the receiver's write endpoint, e.g. http://prometheus:9090/api/v1/write");
    ok = false;
  }

  const auto interval = r.duration("interval");
  const auto timeout = r.duration("timeout");
  const auto min_backoff = r.duration("min_backoff");
  const auto max_backoff = r.duration("max_backoff");
  if (interval && interval->value < std::chrono::seconds(1))
    ctx.error(interval->pos, "\"interval\" must be at least 1s (samples are stamped in milliseconds; receivers "
                             "refuse two samples of a series with one timestamp)");
  positive(timeout, "timeout", ctx);
  positive(min_backoff, "min_backoff", ctx);
  positive(max_backoff, "max_backoff", ctx);
  if (interval) w.interval = interval->value;
  if (timeout) w.timeout = timeout->value;
  if (min_backoff) w.min_backoff = min_backoff->value;
  if (max_backoff) w.max_backoff = max_backoff->value;
  if (w.min_backoff > w.max_backoff)
    ctx.error(max_backoff ? max_backoff->pos : min_backoff->pos, "\"min_backoff\" must not be more than \"max_backoff\"");

  if (auto per_send = r.integer("max_samples_per_send", 1, kMaxSamplesPerSend))
    w.max_samples_per_send = static_cast<std::size_t>(per_send->value);
  if (auto capacity = r.integer("queue_capacity", 1, kMaxQueueCapacity)) {
    w.queue_capacity = static_cast<std::size_t>(capacity->value);
    if (w.queue_capacity < w.max_samples_per_send)
      ctx.error(capacity->pos, "\"queue_capacity\" must hold at least \"max_samples_per_send\" (" +
                                   std::to_string(w.max_samples_per_send) + ") samples");
  }

  if (auto auth = read_auth(r, "remote_write")) {
    auto token = secret(auth->bearer_token, "\"bearer_token\"", env, ctx);
    if (token && check_header_value(*token, *auth->bearer_token, "\"bearer_token\"", ctx)) w.bearer_token = *token;
    if (auth->username) {
      auto user = parse_constant(*auth->username, "\"username\"", env, ctx);
      if (user && user->empty()) ctx.error(pos_of(*auth->username), "\"username\" must not be empty");
      else if (user) w.username = *user;
    }
    if (auto password = secret(auth->password, "\"password\"", env, ctx, true)) w.password = *password;
  }

  w.labels = {{"job", "synthprobe"}, {"instance", probe_name}};
  for (auto& [name, value] : read_labels(r, {"job", "instance"})) w.labels[name] = std::move(value);
  if (!ok) return std::nullopt;
  return w;
}

}  // namespace synthprobe::config
