#include "probe/cli/cli.h"

int main(int argc, char** argv) { return synthprobe::run_cli(argc, argv); }
