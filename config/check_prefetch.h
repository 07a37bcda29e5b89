#pragma once
// What a run reads of its loaded check, as prefetch hints (common/prefetch.h), level by level: each
// level's addresses are stored in the one before, so a caller with many runs to start asks for one level
// of all of them before the next, and the loads of a level overlap instead of queueing one run at a time
// (Daemon's start_due_runs()). Hints only: nothing is read that a run would not read.

#include <algorithm>
#include <cstddef>

#include "common/prefetch.h"
#include "config/config_model.h"

namespace synthprobe::config {

inline constexpr int kCheckPrefetchLevels = 4;

// Level 0: the check itself. 1: its first step, whose request a run prepares first. 2: that request's
// URL parts, header list and constant header lines. 3: the URL parts' texts.
inline void prefetch_check_level(const Check& c, int level) {
  if (level == 0) return prefetch_bytes(&c, sizeof(Check));
  if (c.steps.empty()) return;
  const Step& first = c.steps.front();
  const RequestSettings& r = first.request;
  switch (level) {
    case 1:
      return prefetch_bytes(&first, sizeof(Step));
    case 2:
      prefetch_bytes(r.url.parts().data(), r.url.parts().size() * sizeof(TemplatePart), 2);
      prefetch_bytes(r.headers.data(), r.headers.size() * sizeof(Header), 4);
      return prefetch_bytes(r.fixed_header_lines.data(), r.fixed_header_lines.size(), 2);
    case 3:
      for (std::size_t i = 0; i < std::min<std::size_t>(r.url.parts().size(), 2); ++i)
        prefetch_bytes(r.url.parts()[i].text.data(), r.url.parts()[i].text.size(), 2);
      return;
    default:
      return;
  }
}

}  // namespace synthprobe::config
