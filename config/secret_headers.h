#pragma once
// Which request headers carry a secret: a value that holds any ${env:} or ${file:} value, directly or
// through a site var. The engine refuses to follow a redirect to another origin with such a header unless
// the check sets follow_redirects_with_secrets (curl only drops Authorization and Cookie there).

#include "config/config_model.h"

namespace synthprobe::config {

// Sets Header::secret on every header of every check, flow and step of `config`, from config.secrets.
void mark_secret_headers(Config& config);

}  // namespace synthprobe::config
