#pragma once
// `synthprobe demo`: the embedded demo shop with its scripted outages, the daemon watching it with
// config/examples/demo.toml, and a compact live view in the terminal.

#include <optional>
#include <string>

namespace synthprobe {

struct DemoOptions {
  std::string listen;  // the probe's HTTP address (/metrics, /status); "" keeps the config's
  // The rest are for tests and not in --help (`make demo` never sets them):
  double time_scale = 1.0;  // the demo in fast motion (demo_time_scale.h); 1 is real time
  std::string state_dir;    // "" keeps the config's
  std::optional<unsigned short> shop_port;  // unset: 8480, or any free port when it is taken; 0: any free port
};

// Returns the exit code.
int run_demo(const DemoOptions& options);

}  // namespace synthprobe
