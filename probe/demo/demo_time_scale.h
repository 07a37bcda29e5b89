#pragma once
// The demo in fast motion, for tests: every time in the outage script and in the probe's timing,
// multiplied by one factor, so a 6-minute demo plays in well under a minute and still tells the same
// story (the same number of check runs fit in each phase, the relapse lands inside the recovery watch).
// Pure: no clock, no I/O. A factor of 1 changes nothing.

#include "config/config_model.h"
#include "probe/demo/demo_script.h"

namespace synthprobe::demo {

// `d` * `factor`, rounded to the millisecond; a positive duration stays at least 1ms.
std::chrono::milliseconds scale_duration(std::chrono::milliseconds d, double factor);

// Each phase's start, duration and delay, and the period.
DemoScript scale_script(const DemoScript& script, double factor);

// The checks' and flows' (and their steps') interval, interval_when_failing, timeout, max_latency and
// degraded_latency, and each site's recovery_watch and comms_deadline. Notifiers, heartbeats and
// retention keep theirs: they are not part of the story the demo tells.
void scale_timings(config::Config& config, double factor);

}  // namespace synthprobe::demo
