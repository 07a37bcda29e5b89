#pragma once
// When each check and flow runs: the pure scheduling logic of the daemon. No asio, no sockets and no
// clock of its own: the caller passes `now` (steady_clock) into every call, polls when next_wakeup()
// says, and reports the end of every run. Tests drive time directly.
//
// Promises:
// - Phase. A check's runs sit on a grid `origin + offset + k * interval`, where offset is a stable hash
//   of its name modulo its interval (phase_offset()), so 10,000 checks at 60s start ~167 per second, in
//   the same order on every start of the daemon. A run's successor is due on the next grid point after
//   the run starts: late runs never shift the phase and missed grid points are never made up in a burst.
// - Failing. While the daemon says a check is failing (set_failing), it runs every
//   interval_when_failing, counted from its last start; when it is up again it goes back to its grid.
// - No overlap. A check never runs twice at once. A run that comes due while the previous one is still
//   running starts as soon as that one finishes, flagged `delayed`.
// - Cap. At most max_in_flight runs at once. Due runs beyond the cap wait in a queue ordered by due
//   time (first come, first served among equal due times), one entry per check at most; one that waited
//   is flagged `delayed`. Every start reports its lag (start - due).
// - Overload. A run that cannot start before the check's next run is due is skipped, never stacked: the
//   newest due run takes its place (keeping the check's place in the queue, so short intervals are not
//   starved by long ones) and every grid point passed over counts in skipped_total(). So an overloaded
//   probe runs as many checks as it can and says how many it could not, instead of falling ever further
//   behind.
// - Cost. Binary heaps keyed by due time with lazy deletion (generation counters): O(log n) per run,
//   no scan of all checks, no allocation per run beyond amortized vector growth.
//
// Not thread-safe: call it from the one thread that runs checks.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace synthprobe {

class Scheduler {
 public:
  using Clock = std::chrono::steady_clock;
  using TimePoint = Clock::time_point;
  using Duration = Clock::duration;  // config::Duration (milliseconds) converts implicitly

  // One run the caller must start now.
  struct Start {
    std::uint32_t id;
    std::uint64_t run;  // unique per start; hand it back to finished()
    TimePoint due;      // the due time it stands for: after an overlap, the first one that was missed
    Duration lag;       // start - due, >= 0 (0 for a run started early): synthprobe_scheduler_lag_seconds
    // Waited for its own previous run or for a free slot (synthprobe_checks_delayed_total). A run the
    // caller merely polled late for has a lag but is not delayed.
    bool delayed;
  };

  // `origin` anchors every check's phase grid: the daemon passes its start time.
  // A max_in_flight of 0 is taken as 1.
  Scheduler(std::size_t max_in_flight, TimePoint origin);

  // Takes effect at the next poll(); lowering it never stops runs already in flight.
  void set_max_in_flight(std::size_t max_in_flight);

  // `id` is the daemon's handle (small integers: storage is a vector indexed by id); keep an unchanged
  // check's id across reloads. `name` seeds the phase offset. An interval <= 0 is taken as one tick; an
  // interval_when_failing <= 0 means "same as interval". The first run is due on the first grid point at
  // or after `now`. Adding an id that exists replaces it (as remove() then add()).
  void add(std::uint32_t id, std::string_view name, Duration interval, Duration interval_when_failing,
           TimePoint now);

  // Reload of one check's intervals. The offset is re-derived from the name for the new interval. If the
  // cadence in force changed, the next due time is recomputed: up, the first point of the new grid at or
  // after `now` and after the last start; failing, last start + interval_when_failing, not before `now`.
  // A run in flight is left alone; a queued run still starts, its successor follows the new cadence.
  // False for an unknown id.
  bool update(std::uint32_t id, Duration interval, Duration interval_when_failing, TimePoint now);

  // Forgets the check at once: it is never started again, a queued run of it is dropped, and a run in
  // flight frees its slot now (the daemon cancels the transfer or lets it end unobserved); its
  // finished() is then ignored. False for an unknown id.
  bool remove(std::uint32_t id);

  // The daemon's verdict after a run (failing or down = true, up = false); repeating it is a no-op.
  // Entering failing: next due = min(current next due, last start + interval_when_failing), not before
  // `now` (never started: the first point at or after `now` of a grid of interval_when_failing, offset
  // by the name). Leaving it: the first point of the normal grid at or after `now` and after the last
  // start. False for an unknown id.
  bool set_failing(std::uint32_t id, bool failing, TimePoint now);

  // Appends every run that may start now (due, not running, under the cap) in due order and counts them
  // as in flight. Call it at next_wakeup() and after any finished(), add(), update(), set_failing() or
  // set_max_in_flight().
  // `early`: runs due within that much after `now` start now too, so one wake-up starts every run due in
  // the next moment instead of one wake-up each. Such a run counts as started at its due time: lag 0,
  // and its successor is the grid point after its due time, as if it had started then.
  void poll(TimePoint now, std::vector<Start>& out, Duration early = Duration::zero());

  // The end of run `run` of check `id`. If the check came due meanwhile it is queued (the next poll
  // starts it, flagged delayed). False (and nothing changes) when the check was removed, replaced or
  // is not running that run.
  bool finished(std::uint32_t id, std::uint64_t run, TimePoint now);

  // When poll() should run next: a time in the past means "now". nullopt: nothing to do until a run
  // finishes or the configuration changes, which is also the answer while every slot is busy: a run
  // coming due then could not start anyway, and the finish that frees a slot polls (an overloaded probe
  // is woken by its finishing runs, not by a timer per due run as well).
  std::optional<TimePoint> next_wakeup() const;

  // The due time of the check's next run: queued, the time it has waited since; running, its successor's
  // (already passed when it will start late, as soon as this run ends). nullopt for an unknown id.
  std::optional<TimePoint> next_due(std::uint32_t id) const;

  std::size_t in_flight() const { return in_flight_; }
  std::size_t queued() const { return queued_; }
  std::size_t size() const { return size_; }
  std::uint64_t delayed_total() const { return delayed_total_; }
  std::uint64_t skipped_total() const { return skipped_total_; }

  // A stable hash of `name` (FNV-1a 64, then a 64-bit finalizer so similar names spread evenly)
  // modulo `interval`: where in each interval the check runs.
  static Duration phase_offset(std::string_view name, Duration interval);

 private:
  enum class State : std::uint8_t { absent, waiting, queued, running };

  struct Check {
    std::uint64_t name_hash = 0;
    std::uint64_t run = 0;          // current or last run's number
    Duration interval{};
    Duration failing_interval{};
    Duration offset{};              // name_hash % interval
    TimePoint next_due{};
    TimePoint last_start{};
    std::uint32_t generation = 0;   // only heap entries carrying the current generation are live
    State state = State::absent;
    bool failing = false;
    bool started = false;           // last_start is meaningful
    std::uint64_t joined_poll = 0;  // queued: the poll() that first could have started it
    bool in_timers = false;         // has a live entry in timers_
    bool waited = false;            // queued: came due while its previous run was in flight or every slot was busy
  };

  // A check has at most one live entry (in one heap or the other), so what only a queued run needs
  // lives in Check and entries stay small: fewer cache misses per heap level.
  struct Entry {
    TimePoint due;
    std::uint64_t seq;  // insertion order: FIFO among equal due times
    std::uint32_t id;
    std::uint32_t generation;
  };
  struct Later {
    bool operator()(const Entry& a, const Entry& b) const {
      return a.due != b.due ? a.due > b.due : a.seq > b.seq;
    }
  };

  bool live(const Entry& e) const;
  void push_timer(std::uint32_t id, Check& c, TimePoint due);
  void push_ready(std::uint32_t id, Check& c, TimePoint due, bool delayed);
  void start(std::uint32_t id, Check& c, TimePoint due, bool delayed, TimePoint now, std::vector<Start>& out);
  static Duration cadence(const Check& c);
  TimePoint skip_stale(const Check& c, TimePoint due, TimePoint now);
  void drop_stale_tops();
  void compact_if_bloated();
  void note_slot_freed(std::optional<TimePoint> now);
  bool came_due_while_full(TimePoint due) const;
  TimePoint clamp(TimePoint now);
  TimePoint normal_anchor(const Check& c, TimePoint now) const;
  TimePoint failing_anchor(const Check& c, TimePoint now) const;
  Check* find(std::uint32_t id);
  const Check* find(std::uint32_t id) const;

  std::vector<Check> checks_;   // indexed by id
  std::vector<Entry> timers_;   // min-heap: checks waiting for their due time
  std::vector<Entry> ready_;    // min-heap: due runs waiting for a slot
  TimePoint origin_;
  TimePoint last_now_;
  std::size_t max_in_flight_;
  std::size_t in_flight_ = 0;
  std::size_t queued_ = 0;
  std::size_t size_ = 0;
  std::uint64_t delayed_total_ = 0;
  std::uint64_t skipped_total_ = 0;
  std::uint64_t runs_ = 0;
  std::uint64_t seq_ = 0;
  std::uint64_t poll_seq_ = 0;
  // The latest stretch with every slot busy: a run that came due inside it waited for a slot, even when it
  // joins and leaves the queue in one poll (no timer woke the loop for it meanwhile).
  std::optional<TimePoint> full_since_;
  bool full_ends_at_next_poll_ = false;  // a slot freed where no time was given (a raised cap, a removal)
  TimePoint last_full_from_{};
  TimePoint last_full_until_{};
};

}  // namespace synthprobe
