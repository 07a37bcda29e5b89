#pragma once
// The table-valued settings of one layer (headers, body/form, credentials, tls, resolve, vars, labels),
// each checked where it was written. Templates inside them stay unparsed string nodes.

#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/settings_layer.h"

namespace synthprobe::config {

// An HTTP token (RFC 9110): what header names and methods are made of.
bool is_http_token(std::string_view text);

std::vector<NamedTemplate> read_headers(const TableReader& reader);
// body, form or json: reports more than one.
std::optional<BodyLayer> read_body(const TableReader& reader);
// basic_auth or bearer_token: reports both. `prefix` names the table in messages ("check").
std::optional<AuthLayer> read_auth(const TableReader& reader, const std::string& prefix);
// Paths made absolute against the config's folder; unreadable files reported now, not on every run.
TlsLayer read_tls(const TableReader& reader, const std::string& prefix);
// { "host:port" = "addr" } as curl's "host:port:addr".
Setting<std::vector<std::string>> read_resolve(const TableReader& reader);
// Values resolved now: they may use ${env:} and ${file:}, nothing that needs a var or a run.
std::map<std::string, std::string> read_vars(const TableReader& reader);
// Prometheus label names, none of those the probe sets itself (but those in `also_allowed`).
std::map<std::string, std::string> read_labels(const TableReader& reader,
                                               std::initializer_list<std::string_view> also_allowed = {});

}  // namespace synthprobe::config
