#pragma once
// Typed, error-collecting reads of toml++ tables: the one place that turns a wrong type, an unknown key or
// a missing key into a message with a position. Readers never stop at an error: they report it and
// return nothing, so the load goes on and reports everything at once.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <toml++/toml.h>

#include "config/config_error.h"
#include "config/regex_compile.h"

namespace synthprobe::config {

using Duration = std::chrono::milliseconds;

// A value and where it was written, so later cross-field rules can point at it.
template <class T>
struct At {
  T value;
  SourcePos pos;
};
template <class T>
using Setting = std::optional<At<T>>;

SourcePos pos_of(const toml::node& node);
SourcePos pos_of(const toml::key& key);

// What all readers of one load share.
struct LoadContext {
  ErrorList& errors;
  std::string_view source;         // the whole document, to place errors inside strings
  std::filesystem::path base_dir;  // the config file's folder, absolute
  std::vector<std::string>* secrets = nullptr;
  std::function<const char*(const char*)> getenv;
  RegexCache regexes;

  void error(SourcePos pos, std::string message) const { errors.add(pos, std::move(message)); }
  // Where byte `offset` of string node `node`'s value was written.
  SourcePos inside(const toml::node& node, std::size_t offset) const;
  // `path` made absolute against the config file's folder.
  std::string absolute_path(const std::string& path) const;
};

std::string quote(std::string_view text);

// A table's entries in the order they were written (toml++ iterates in key order, but header order,
// form fields and messages should follow the file).
std::vector<std::pair<const toml::key*, const toml::node*>> entries_in_order(const toml::table& table);

class TableReader {
 public:
  // `where` names the table in messages: "[[check]]", "[check.expect]".
  TableReader(const toml::table& table, std::string where, LoadContext& ctx)
      : table_(table), where_(std::move(where)), ctx_(ctx) {}

  // Reports every key that is not in `known`, with a "did you mean" hint from `known`.
  void reject_unknown(std::span<const std::string_view> known) const;

  const toml::node* find(std::string_view key) const { return table_.get(key); }
  SourcePos pos() const { return pos_of(table_); }
  const std::string& where() const { return where_; }
  LoadContext& ctx() const { return ctx_; }
  const toml::table& table() const { return table_; }
  // Reports `key` as missing, at the table's position.
  void missing(std::string_view key, std::string_view why = {}) const;

  Setting<std::string> string(std::string_view key) const;
  // A string node left unparsed, for templates (their env is only known once inheritance is done).
  const toml::node* string_node(std::string_view key) const;
  Setting<bool> boolean(std::string_view key) const;
  Setting<std::int64_t> integer(std::string_view key, std::int64_t min, std::int64_t max) const;
  Setting<Duration> duration(std::string_view key) const;
  Setting<std::uint64_t> size(std::string_view key) const;
  // An array of strings; a single string counts as an array of one.
  Setting<std::vector<std::string>> strings(std::string_view key) const;
  // The same, keeping each element's position for messages about one element.
  Setting<std::vector<At<std::string>>> located_strings(std::string_view key) const;
  // The same, left unparsed for templates (as string_node).
  Setting<std::vector<const toml::node*>> string_nodes(std::string_view key) const;
  // A table (inline or not); reports other types.
  const toml::table* subtable(std::string_view key) const;

 private:
  void wrong_type(std::string_view key, const toml::node& node, std::string_view expected) const;

  const toml::table& table_;
  std::string where_;
  LoadContext& ctx_;
};

// A required name (of a site, check, step, notifier): non-empty, no "/", no control characters, no spaces
// around it, because names become label values, file names and dedup keys. nullopt when missing (reported).
Setting<std::string> read_name(const TableReader& reader, std::string_view key = "name");

// The same reads for a value that is not under a key of its own (array elements, nested entries);
// `what` names it in messages.
std::optional<std::string> read_string(const toml::node& node, std::string_view what, LoadContext& ctx);
std::optional<Duration> read_duration(const toml::node& node, std::string_view what, LoadContext& ctx);

}  // namespace synthprobe::config
