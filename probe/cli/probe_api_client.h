#pragma once
// Talks to a running `synthprobe run` on its `[probe] listen` address, as the operator commands do
// (`synthprobe comms`, `synthprobe drill`): POSTs JSON with the config's api_token as a bearer token.

#include <string>
#include <string_view>

#include "config/config_model.h"

namespace synthprobe {

struct ProbeApiReply {
  long status = 0;    // 0: no answer
  std::string body;
  std::string error;  // why there was no answer
};

// The URL of `path` on the probe: a wildcard listen address (":9464", "0.0.0.0:9464", "[::]:9464") is
// reached on loopback.
std::string probe_url(const config::Probe& probe, std::string_view path);

ProbeApiReply post_to_probe(const config::Probe& probe, std::string_view path, const std::string& json_body);
ProbeApiReply get_from_probe(const config::Probe& probe, std::string_view path);

}  // namespace synthprobe
