#pragma once
// The command line of CONTRACT section 2.

namespace synthprobe {
// Returns the process exit code.
int run_cli(int argc, char** argv);
}
