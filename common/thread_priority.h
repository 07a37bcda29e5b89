#pragma once
// Background threads (the HTTP server, remote_write's sender) give way to the check loop: the loop's lag
// is the probe's accuracy, while a 500 MiB scrape or a page can take a few milliseconds longer unnoticed.
// On a machine with fewer free cores than busy threads, the scheduler then runs the loop first.

#include <chrono>

namespace synthprobe {

// Lowers the calling thread's priority by `nice_increment` (Linux nice values: per thread). False when
// the system refused; the thread then simply keeps its priority.
bool lower_this_thread_priority(int nice_increment);

// Asks the scheduler to give the calling thread short slices (Linux 6.12+ EEVDF: `sched_runtime` of
// SCHED_OTHER): a thread that wakes often and runs briefly then gets the CPU soon after it wakes even
// while other tasks keep both cores busy, instead of waiting for their longer slices to end. Needs no
// privilege and changes no share of the CPU. False when the thread is not SCHED_OTHER or the kernel refused;
// older kernels accept and ignore it.
bool request_short_slices(std::chrono::microseconds slice);

// The calling thread's slice as the kernel reports it (from 6.12: the one asked for, else the default);
// zero before 6.12 or when the thread is not SCHED_OTHER.
std::chrono::nanoseconds this_thread_slice();

// The slice the check loop asks for: the kernel's smallest is 100 µs; a run's own work is tens of µs.
constexpr std::chrono::microseconds kLoopSlice{200};

// The increment the background threads use: enough for the kernel to prefer the loop when both are
// runnable, without starving the background thread on an idle machine.
constexpr int kBackgroundNice = 5;

}  // namespace synthprobe
