#pragma once
// Background threads (the HTTP server, remote_write's sender) give way to the check loop: the loop's lag
// is the probe's accuracy, while a 500 MiB scrape or a page can take a few milliseconds longer unnoticed.
// On a machine with fewer free cores than busy threads, the scheduler then runs the loop first.

namespace synthprobe {

// Lowers the calling thread's priority by `nice_increment` (Linux nice values: per thread). False when
// the system refused; the thread then simply keeps its priority.
bool lower_this_thread_priority(int nice_increment);

// The increment the background threads use: enough for the kernel to prefer the loop when both are
// runnable, without starving the background thread on an idle machine.
constexpr int kBackgroundNice = 5;

}  // namespace synthprobe
