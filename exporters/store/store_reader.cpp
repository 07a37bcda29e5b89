#include "exporters/store/store_reader.h"

#include <sqlite3.h>

namespace synthprobe::store {

struct StoreReader::Db {
  sqlite3* db = nullptr;
  ~Db() {
    if (db) sqlite3_close_v2(db);
  }
};

StoreReader::StoreReader(std::filesystem::path dir) : file_(std::move(dir) / "synthprobe.db") {}

StoreReader::~StoreReader() = default;

bool StoreReader::ensure_open() {
  if (db_) return true;
  auto db = std::make_unique<Db>();
  const int rc = sqlite3_open_v2(file_.c_str(), &db->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    error_ = "cannot read " + file_.string() + ": " + (db->db ? sqlite3_errmsg(db->db) : sqlite3_errstr(rc));
    return false;
  }
  sqlite3_busy_timeout(db->db, 1000);
  db_ = std::move(db);
  return true;
}

std::vector<AreaDay> StoreReader::daily_availability(std::int64_t since_day) {
  std::vector<AreaDay> out;
  if (!ensure_open()) return out;
  constexpr const char* kSql =
      "SELECT site, area, hour / 24 AS day, SUM(passed), SUM(total) FROM rollups WHERE hour >= ?1 "
      "GROUP BY site, area, day ORDER BY site, area, day";
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_->db, kSql, -1, &stmt, nullptr) != SQLITE_OK) {
    error_ = sqlite3_errmsg(db_->db);  // e.g. no table yet: the writer has not created it
    db_.reset();
    return out;
  }
  sqlite3_bind_int64(stmt, 1, since_day * 24);
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    AreaDay d;
    d.site = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    d.area = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 1));
    d.day = sqlite3_column_int64(stmt, 2);
    d.passed = static_cast<std::uint64_t>(sqlite3_column_int64(stmt, 3));
    d.total = static_cast<std::uint64_t>(sqlite3_column_int64(stmt, 4));
    out.push_back(std::move(d));
  }
  if (rc != SQLITE_DONE) error_ = sqlite3_errmsg(db_->db);
  else error_.clear();
  sqlite3_finalize(stmt);
  return out;
}

HistoryRows StoreReader::history(std::int64_t since_ms) {
  HistoryRows out;
  if (!ensure_open()) return out;
  const auto read = [&](const char* sql, std::vector<std::string>& into) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_->db, sql, -1, &stmt, nullptr) != SQLITE_OK) {
      error_ = sqlite3_errmsg(db_->db);
      return false;
    }
    sqlite3_bind_int64(stmt, 1, since_ms);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
      into.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
    if (rc != SQLITE_DONE) error_ = sqlite3_errmsg(db_->db);
    sqlite3_finalize(stmt);
    return rc == SQLITE_DONE;
  };
  error_.clear();
  if (!read("SELECT body FROM incidents WHERE resolved_at_ms IS NULL OR resolved_at_ms >= ?1 ORDER BY opened_at_ms",
            out.incidents))
    return out;
  // A store written before drills existed has no such table: no drills, not an error.
  if (!read("SELECT body FROM drills WHERE started_at_ms >= ?1 ORDER BY started_at_ms", out.drills) &&
      error_.find("no such table") != std::string::npos)
    error_.clear();
  return out;
}

}  // namespace synthprobe::store
