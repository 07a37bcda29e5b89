#pragma once
// Reads history out of the state store for the pages: a read-only connection of its own (SQLite in WAL
// mode lets it read while the writer writes), owned by whichever thread renders (the HTTP thread). Never
// used on the check loop. Errors are values: a page without history is better than no page.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace synthprobe::store {

// Runs of one area of a site on one UTC day, summed over its checks.
struct AreaDay {
  std::string site;
  std::string area;
  std::int64_t day = 0;  // Unix days (seconds / 86400)
  std::uint64_t passed = 0;
  std::uint64_t total = 0;
};

// What a period's stakeholder report reads besides availability (synthprobe report).
struct HistoryRows {
  std::vector<std::string> incidents;  // incident JSON of those open at some time since `since`
  std::vector<std::string> drills;     // drill JSON ({incident, deliveries, ...}) started since `since`
};

class StoreReader {
 public:
  explicit StoreReader(std::filesystem::path dir);
  ~StoreReader();
  StoreReader(const StoreReader&) = delete;
  StoreReader& operator=(const StoreReader&) = delete;

  // Every (site, area, day) with runs since `since_day`, ordered by site, area and day. Empty (and
  // last_error() set) when the store cannot be read.
  std::vector<AreaDay> daily_availability(std::int64_t since_day);
  // Incidents and drills since `since_ms` (Unix milliseconds), oldest first; bodies as stored.
  HistoryRows history(std::int64_t since_ms);
  const std::string& last_error() const { return error_; }

 private:
  bool ensure_open();

  std::filesystem::path file_;
  struct Db;
  std::unique_ptr<Db> db_;
  std::string error_;
};

}  // namespace synthprobe::store
