#pragma once
// Where a redirect goes, and whether the request may follow it. curl drops Authorization and Cookie on a
// redirect to another origin, but sends every other header along, even from https to http: a header that
// carries a ${env:}/${file:} secret (an API key) would go to whoever the target redirects to. Such a
// redirect is refused unless the check opts in with follow_redirects_with_secrets. Pure: no I/O.

#include <optional>
#include <string>
#include <string_view>

#include "config/config_model.h"

namespace synthprobe {

// `location` (a Location header's value, possibly relative) resolved against `base`, the URL that answered;
// nullopt when either does not parse.
std::optional<std::string> resolve_location(std::string_view base, std::string_view location);

// True when both URLs parse and have the same scheme, host (case-insensitive) and port (default ports
// spelled or not).
bool same_origin(std::string_view a, std::string_view b);

// True when the URL's scheme is http or https (what the probe follows).
bool is_http_url(std::string_view url);

// Why the redirect from `from` to `location` (as in the Location header) must not be followed with
// `settings`' headers, or nullopt when it may be followed.
std::optional<std::string> refuse_redirect(const config::RequestSettings& settings, std::string_view from,
                                           std::string_view location);

// A URL from a target, shortened for a message.
std::string quote_url(std::string_view url);

}  // namespace synthprobe
