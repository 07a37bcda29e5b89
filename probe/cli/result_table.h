#pragma once
// Run results as an aligned terminal table, for `once --format table`.

#include <string>
#include <vector>

#include "probe/engine/run_result.h"

namespace synthprobe {

// Columns NAME, RESULT (ok | FAIL | degraded), REASON, STATUS, TOTAL ms and the five phases in ms with one
// decimal; numbers right-aligned, text left-aligned, columns two spaces apart, no trailing spaces.
// A flow's steps follow it as "  └ step" rows ("not run" for skipped steps). A failed run is followed by
// its message, indented four spaces. The last line counts checks, flows, failures and degraded runs:
// "3 checks, 1 failed". `color` adds ANSI colours to RESULT without changing the alignment.
// Every line ends with '\n'.
std::string results_to_table(const std::vector<RunResult>& results, bool color = false);

}  // namespace synthprobe
