#include "probe/engine/scheduler.h"

#include <algorithm>
#include <cassert>

namespace synthprobe {
namespace {

using TimePoint = Scheduler::TimePoint;
using Duration = Scheduler::Duration;

constexpr Duration kTick{1};

// The first point of the grid base + k * step (k any integer) at or after t.
TimePoint at_or_after(TimePoint base, Duration step, TimePoint t) {
  if (t <= base) return base - ((base - t) / step) * step;
  const auto behind = t - base;
  return base + ((behind + step - kTick) / step) * step;
}

Duration sanitize(Duration interval) { return interval > Duration::zero() ? interval : kTick; }

std::uint64_t name_hash(std::string_view name) {
  std::uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a 64
  for (unsigned char ch : name) {
    h ^= ch;
    h *= 0x100000001b3ULL;
  }
  // FNV-1a alone leaves "check-0001" and "check-0002" close together; murmur3's finalizer spreads them.
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

Duration offset_of(std::uint64_t hash, Duration interval) {
  return Duration(static_cast<Duration::rep>(hash % static_cast<std::uint64_t>(interval.count())));
}

}  // namespace

Scheduler::Scheduler(std::size_t max_in_flight, TimePoint origin)
    : origin_(origin), last_now_(origin), max_in_flight_(std::max<std::size_t>(max_in_flight, 1)) {}

void Scheduler::set_max_in_flight(std::size_t max_in_flight) {
  max_in_flight_ = std::max<std::size_t>(max_in_flight, 1);
  if (in_flight_ < max_in_flight_) note_slot_freed(std::nullopt);
  else if (!full_since_) full_since_ = last_now_;  // lowered below the runs in flight: full from now on
}

// Called wherever in_flight_ may have dropped below the cap: closes the stretch of busy slots, if any, at
// `now`, or (no time given) at the next poll, the first moment the free slot can be used.
void Scheduler::note_slot_freed(std::optional<TimePoint> now) {
  if (!full_since_ || in_flight_ >= max_in_flight_) return;
  if (!now) {
    full_ends_at_next_poll_ = true;
    return;
  }
  last_full_from_ = *full_since_;
  last_full_until_ = *now;
  full_since_.reset();
  full_ends_at_next_poll_ = false;
}

bool Scheduler::came_due_while_full(TimePoint due) const {
  if (full_since_ && due >= *full_since_) return true;
  return last_full_from_ <= due && due < last_full_until_;
}

Duration Scheduler::phase_offset(std::string_view name, Duration interval) {
  return offset_of(name_hash(name), sanitize(interval));
}

Scheduler::Check* Scheduler::find(std::uint32_t id) {
  if (id >= checks_.size() || checks_[id].state == State::absent) return nullptr;
  return &checks_[id];
}

const Scheduler::Check* Scheduler::find(std::uint32_t id) const {
  if (id >= checks_.size() || checks_[id].state == State::absent) return nullptr;
  return &checks_[id];
}

// Time never runs backwards here, whatever the caller passes: due-time arithmetic relies on it.
TimePoint Scheduler::clamp(TimePoint now) {
  last_now_ = std::max(last_now_, now);
  return last_now_;
}

bool Scheduler::live(const Entry& e) const {
  return e.id < checks_.size() && checks_[e.id].state != State::absent &&
         checks_[e.id].generation == e.generation;
}

void Scheduler::push_timer(std::uint32_t id, Check& c, TimePoint due) {
  c.next_due = due;
  c.in_timers = true;
  timers_.push_back(Entry{due, seq_++, id, ++c.generation});
  std::push_heap(timers_.begin(), timers_.end(), Later{});
}

void Scheduler::push_ready(std::uint32_t id, Check& c, TimePoint due, bool delayed) {
  c.next_due = due;
  c.in_timers = false;
  c.state = State::queued;
  c.waited = delayed;
  c.joined_poll = poll_seq_ + 1;  // between polls, the next poll is the first that could start it
  ++queued_;
  ready_.push_back(Entry{due, seq_++, id, ++c.generation});
  std::push_heap(ready_.begin(), ready_.end(), Later{});
}

TimePoint Scheduler::normal_anchor(const Check& c, TimePoint now) const {
  const TimePoint lower = c.started ? std::max(now, c.last_start + kTick) : now;
  return at_or_after(origin_ + c.offset, c.interval, lower);
}

TimePoint Scheduler::failing_anchor(const Check& c, TimePoint now) const {
  if (c.started) return std::max(now, c.last_start + c.failing_interval);
  return at_or_after(origin_ + offset_of(c.name_hash, c.failing_interval), c.failing_interval, now);
}

void Scheduler::add(std::uint32_t id, std::string_view name, Duration interval, Duration interval_when_failing,
                    TimePoint now) {
  now = clamp(now);
  remove(id);
  if (id >= checks_.size()) checks_.resize(static_cast<std::size_t>(id) + 1);
  Check& c = checks_[id];
  const std::uint32_t generation = c.generation;  // survives re-adds so old heap entries stay dead
  c = Check{};
  c.generation = generation;
  c.name_hash = name_hash(name);
  c.interval = sanitize(interval);
  c.failing_interval = interval_when_failing > Duration::zero() ? interval_when_failing : c.interval;
  c.offset = offset_of(c.name_hash, c.interval);
  c.state = State::waiting;
  ++size_;
  push_timer(id, c, normal_anchor(c, now));
  compact_if_bloated();
}

bool Scheduler::update(std::uint32_t id, Duration interval, Duration interval_when_failing, TimePoint now) {
  Check* c = find(id);
  if (c == nullptr) return false;
  now = clamp(now);
  interval = sanitize(interval);
  const Duration failing_interval = interval_when_failing > Duration::zero() ? interval_when_failing : interval;
  const bool cadence_changed = c->failing ? failing_interval != c->failing_interval : interval != c->interval;
  c->interval = interval;
  c->failing_interval = failing_interval;
  c->offset = offset_of(c->name_hash, interval);
  // A queued run is already due: it starts as is, and its successor follows the new cadence.
  if (cadence_changed && c->state != State::queued) {
    push_timer(id, *c, c->failing ? failing_anchor(*c, now) : normal_anchor(*c, now));
  }
  drop_stale_tops();
  compact_if_bloated();
  return true;
}

bool Scheduler::remove(std::uint32_t id) {
  Check* c = find(id);
  if (c == nullptr) return false;
  if (c->state == State::running) {
    --in_flight_;
    note_slot_freed(std::nullopt);
  }
  if (c->state == State::queued) --queued_;
  c->state = State::absent;
  ++c->generation;
  c->in_timers = false;
  --size_;
  drop_stale_tops();
  compact_if_bloated();
  return true;
}

bool Scheduler::set_failing(std::uint32_t id, bool failing, TimePoint now) {
  Check* c = find(id);
  if (c == nullptr) return false;
  now = clamp(now);
  if (c->failing == failing) return true;
  c->failing = failing;
  if (c->state != State::queued) {
    const TimePoint due = failing ? std::min(c->next_due, failing_anchor(*c, now)) : normal_anchor(*c, now);
    if (due != c->next_due) push_timer(id, *c, due);
  }
  drop_stale_tops();
  compact_if_bloated();
  return true;
}

Duration Scheduler::cadence(const Check& c) { return c.failing ? c.failing_interval : c.interval; }

// A due run that could not start before the check's next run came due is skipped, never stacked: the
// newest due time takes its place and every grid point passed over is counted.
TimePoint Scheduler::skip_stale(const Check& c, TimePoint due, TimePoint now) {
  const Duration step = cadence(c);
  if (due + step > now) return due;
  const auto missed = (now - due) / step;  // >= 1
  skipped_total_ += static_cast<std::uint64_t>(missed);
  return due + missed * step;
}

void Scheduler::start(std::uint32_t id, Check& c, TimePoint due, bool delayed, TimePoint now,
                      std::vector<Start>& out) {
  c.state = State::running;
  c.started = true;
  if (now < due) delayed = false;  // started early, inside the poll's window: on time by definition
  c.last_start = std::max(now, due);  // a run started early stands for its due time
  c.run = ++runs_;
  ++in_flight_;
  if (in_flight_ >= max_in_flight_ && !full_since_) full_since_ = now;
  if (delayed) ++delayed_total_;
  out.push_back(Start{id, c.run, due, now > due ? now - due : Duration::zero(), delayed});
  // The successor's due time is the next point of the cadence after now (after the due time, for a run
  // started early): on the name's grid, or while failing every failing_interval from this run's due time.
  // Points already passed are skipped.
  const TimePoint after = std::max(now, due) + kTick;
  const TimePoint next = c.failing ? at_or_after(due, c.failing_interval, after)
                                   : at_or_after(origin_ + c.offset, c.interval, after);
  push_timer(id, c, next);
}

void Scheduler::poll(TimePoint now, std::vector<Start>& out, Duration early) {
  now = clamp(now);
  ++poll_seq_;
  if (full_ends_at_next_poll_) note_slot_freed(now);
  const TimePoint horizon = now + std::max(early, Duration::zero());
  while (!timers_.empty() && timers_.front().due <= horizon) {
    std::pop_heap(timers_.begin(), timers_.end(), Later{});
    const Entry e = timers_.back();
    timers_.pop_back();
    if (!live(e)) continue;
    Check& c = checks_[e.id];
    c.in_timers = false;
    // A running check keeps next_due; finished() sees that it has passed and queues the late run.
    if (c.state == State::running) continue;
    // Late with a slot free: the loop woke late. Late because no slot was free: it waited.
    const bool waited = e.due <= now && came_due_while_full(e.due);
    const TimePoint due = skip_stale(c, e.due, now);  // held up past a whole interval
    if (ready_.empty() && in_flight_ < max_in_flight_) {
      // Nothing waits ahead of it (timers pop in due order): skip the queue.
      start(e.id, c, due, waited, now, out);
      continue;
    }
    c.state = State::queued;
    c.waited = waited;
    c.joined_poll = poll_seq_;
    c.next_due = due;
    ++queued_;
    ready_.push_back(Entry{due, seq_++, e.id, e.generation});
    std::push_heap(ready_.begin(), ready_.end(), Later{});
  }
  while (!ready_.empty() && in_flight_ < max_in_flight_) {
    std::pop_heap(ready_.begin(), ready_.end(), Later{});
    const Entry e = ready_.back();
    ready_.pop_back();
    if (!live(e)) continue;
    Check& c = checks_[e.id];
    // It may have waited past its next due time: that newest one is the run that starts (those passed
    // over are skipped and counted), in the place the check already had in the queue, so a check with a
    // short interval is never pushed behind the others for ever.
    const TimePoint due = skip_stale(c, e.due, now);
    --queued_;
    start(e.id, c, due, c.waited || c.joined_poll != poll_seq_ || due != e.due, now, out);
  }
  drop_stale_tops();
  compact_if_bloated();
}

bool Scheduler::finished(std::uint32_t id, std::uint64_t run, TimePoint now) {
  Check* c = find(id);
  if (c == nullptr || c->state != State::running || c->run != run) return false;
  now = clamp(now);
  --in_flight_;
  note_slot_freed(now);
  if (c->next_due <= now) {
    // Came due while running: start as soon as possible, not twice, and with no burst afterwards. If even
    // the run after that is due, the older one is skipped.
    const TimePoint due = skip_stale(*c, c->next_due, now);
    push_ready(id, *c, due, due < now);
  } else {
    c->state = State::waiting;
    if (!c->in_timers) push_timer(id, *c, c->next_due);
  }
  drop_stale_tops();
  compact_if_bloated();
  return true;
}

std::optional<TimePoint> Scheduler::next_wakeup() const {
  if (in_flight_ >= max_in_flight_) return std::nullopt;  // the finish that frees a slot polls
  std::optional<TimePoint> wake;
  if (!ready_.empty()) wake = ready_.front().due;
  if (!timers_.empty() && (!wake || timers_.front().due < *wake)) wake = timers_.front().due;
  return wake;
}

std::optional<TimePoint> Scheduler::next_due(std::uint32_t id) const {
  const Check* c = find(id);
  if (c == nullptr) return std::nullopt;
  return c->next_due;
}

// Keeps both heap tops live, so next_wakeup() (const) never reports a dead entry.
void Scheduler::drop_stale_tops() {
  for (auto* heap : {&timers_, &ready_}) {
    while (!heap->empty() && !live(heap->front())) {
      std::pop_heap(heap->begin(), heap->end(), Later{});
      heap->pop_back();
    }
  }
}

// Dead entries deep in a heap (left by reloads and set_failing) cost memory only; rebuild once they
// outnumber the live ones, which keeps the rebuild's O(n) amortized over the changes that caused it.
void Scheduler::compact_if_bloated() {
  for (auto* heap : {&timers_, &ready_}) {
    if (heap->size() <= 2 * size_ + 64) continue;
    std::erase_if(*heap, [this](const Entry& e) { return !live(e); });
    std::make_heap(heap->begin(), heap->end(), Later{});
  }
}

}  // namespace synthprobe
