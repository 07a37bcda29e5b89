#include "exporters/store/pending_writes.h"

namespace synthprobe::store {
namespace {

template <class Map>
void overwrite(Map& older, Map&& newer) {
  for (auto& [key, value] : newer) older.insert_or_assign(key, std::move(value));
}

}  // namespace

bool PendingWrites::empty() const {
  return trackers.empty() && incidents.empty() && streaks.empty() && progress.empty() && outbox.empty() &&
         rollups.empty() && meta.empty() && files.empty() && drills.empty();
}

bool PendingWrites::urgent() const {
  return !trackers.empty() || !incidents.empty() || !progress.empty() || !outbox.empty() || !files.empty() || !drills.empty();
}

std::size_t PendingWrites::size() const {
  return trackers.size() + incidents.size() + streaks.size() + progress.size() + outbox.size() + rollups.size() +
         meta.size() + files.size() + drills.size();
}

void PendingWrites::add_rollup(RollupDelta delta) {
  auto [it, inserted] = rollups.try_emplace({delta.check, delta.hour}, delta);
  if (inserted) return;
  it->second.passed += delta.passed;
  it->second.total += delta.total;
}

void PendingWrites::merge_newer(PendingWrites&& newer) {
  overwrite(trackers, std::move(newer.trackers));
  overwrite(incidents, std::move(newer.incidents));
  overwrite(streaks, std::move(newer.streaks));
  overwrite(progress, std::move(newer.progress));
  overwrite(outbox, std::move(newer.outbox));
  overwrite(meta, std::move(newer.meta));
  overwrite(drills, std::move(newer.drills));
  for (auto& [key, delta] : newer.rollups) add_rollup(std::move(delta));
  for (auto& f : newer.files) files.push_back(std::move(f));
  newer = PendingWrites{};
}

}  // namespace synthprobe::store
