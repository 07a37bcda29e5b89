#pragma once
// `synthprobe demo`: the embedded demo shop with its scripted outages, the daemon watching it with
// config/examples/demo.toml, and a compact live view in the terminal.

#include <string>

namespace synthprobe {

// `listen` is the probe's HTTP address (/metrics, /status); "" keeps the config's. Returns the exit code.
int run_demo(const std::string& listen);

}  // namespace synthprobe
