#pragma once
// A hint to the CPU: start loading an object's cache lines now, so code that reads it later does not
// wait for memory. For the check loop, which touches each check's records once per run: with thousands
// of checks those records are cold, and one run waits for a dozen such loads in turn unless they are
// asked for together, ahead of the run (see Daemon's start_due_runs()). Never changes behaviour.

#include <cstddef>
#include <cstdint>

namespace synthprobe {

inline constexpr std::size_t kCacheLine = 64;

// Every line of [address, address + bytes), at most `max_lines` of them. An address, not a pointer, so a
// caller may name memory next to an object (a shared_ptr's count before the object it owns) without
// pointer arithmetic outside the object; nothing is dereferenced.
inline void prefetch_address(std::uintptr_t address, std::size_t bytes, std::size_t max_lines = 16) {
  if (address == 0) return;
  const std::uintptr_t end = address + bytes;
  std::size_t lines = 0;
  for (std::uintptr_t at = address & ~(kCacheLine - 1); at < end && lines < max_lines; at += kCacheLine, ++lines)
    __builtin_prefetch(reinterpret_cast<const void*>(at));
}

// Every line of the object at `object`, `bytes` long, at most `max_lines` of them.
inline void prefetch_bytes(const void* object, std::size_t bytes, std::size_t max_lines = 16) {
  prefetch_address(reinterpret_cast<std::uintptr_t>(object), bytes, max_lines);
}

}  // namespace synthprobe
