#pragma once
// A thin RAII layer over SQLite's C API: a connection, prepared statements with typed binds and columns,
// and errors as values (the message SQLite gives, with the statement that failed). Not thread-safe: one
// thread owns a connection.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace synthprobe::store {

class Statement {
 public:
  Statement() = default;
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Statement();
  Statement(Statement&& o) noexcept : db_(o.db_), stmt_(o.stmt_) { o.stmt_ = nullptr; }
  Statement& operator=(Statement&& o) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  explicit operator bool() const { return stmt_ != nullptr; }

  // Parameters are numbered from 1, as in SQLite. Text is copied (SQLITE_TRANSIENT).
  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, std::int64_t value);
  Statement& bind_null(int index);

  // One step: true while a row is available; false when done. Errors land in `error` (empty on success).
  bool step(std::string& error);
  // Runs to completion (for statements without rows) and resets for the next use.
  bool run(std::string& error);
  void reset();

  std::int64_t column_int(int index) const;
  std::string column_text(int index) const;
  bool column_is_null(int index) const;

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

class Database {
 public:
  Database() = default;
  ~Database();
  Database(Database&& o) noexcept : db_(o.db_) { o.db_ = nullptr; }
  Database& operator=(Database&& o) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Opens (creating it when missing) the file read-write. "" on success, else what failed.
  std::string open(const std::filesystem::path& file);
  void close();
  bool is_open() const { return db_ != nullptr; }

  // Runs one or more statements without results. "" or the error.
  std::string exec(std::string_view sql);
  // nullopt-like: an empty Statement with `error` set when the SQL does not compile.
  Statement prepare(std::string_view sql, std::string& error);

  // The primary result code of the last failure (SQLITE_CORRUPT, SQLITE_NOTADB, SQLITE_FULL, ...).
  int last_error_code() const;

 private:
  sqlite3* db_ = nullptr;
};

}  // namespace synthprobe::store
