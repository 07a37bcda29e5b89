#include "config/toml_reader.h"

#include <algorithm>

#include "config/did_you_mean.h"
#include "config/duration.h"
#include "config/toml_string_position.h"

namespace synthprobe::config {

SourcePos pos_of(const toml::node& node) { return {node.source().begin.line, node.source().begin.column}; }
SourcePos pos_of(const toml::key& key) { return {key.source().begin.line, key.source().begin.column}; }

SourcePos LoadContext::inside(const toml::node& node, std::size_t offset) const {
  return locate_in_string(source, pos_of(node), offset);
}

std::string LoadContext::absolute_path(const std::string& path) const {
  if (path.empty()) return path;
  std::filesystem::path p(path);
  if (p.is_relative()) p = base_dir / p;
  return p.lexically_normal().string();
}

std::string quote(std::string_view text) { return "\"" + std::string(text) + "\""; }

std::vector<std::pair<const toml::key*, const toml::node*>> entries_in_order(const toml::table& table) {
  std::vector<std::pair<const toml::key*, const toml::node*>> entries;
  for (auto&& [key, node] : table) entries.emplace_back(&key, &node);
  std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    const SourcePos pa = pos_of(*a.first), pb = pos_of(*b.first);
    return pa.line != pb.line ? pa.line < pb.line : pa.column < pb.column;
  });
  return entries;
}

void TableReader::reject_unknown(std::span<const std::string_view> known) const {
  for (const auto& [key, node] : entries_in_order(table_)) {
    const std::string_view name = key->str();
    if (std::find(known.begin(), known.end(), name) != known.end()) continue;
    std::string message = "unknown key " + quote(name) + " in " + where_;
    if (auto hint = did_you_mean(name, known)) message += " (did you mean " + quote(*hint) + "?)";
    ctx_.error(pos_of(*key), std::move(message));
  }
}

void TableReader::missing(std::string_view key, std::string_view why) const {
  std::string message = "missing required key " + quote(key) + " in " + where_;
  if (!why.empty()) message += " (" + std::string(why) + ")";
  ctx_.error(pos(), std::move(message));
}

void TableReader::wrong_type(std::string_view key, const toml::node& node, std::string_view expected) const {
  ctx_.error(pos_of(node), quote(key) + " must be " + std::string(expected));
}

Setting<std::string> TableReader::string(std::string_view key) const {
  const toml::node* node = find(key);
  if (!node) return std::nullopt;
  if (!node->is_string()) {
    wrong_type(key, *node, "a string");
    return std::nullopt;
  }
  return At<std::string>{node->as_string()->get(), pos_of(*node)};
}

const toml::node* TableReader::string_node(std::string_view key) const {
  const toml::node* node = find(key);
  if (node && !node->is_string()) {
    wrong_type(key, *node, "a string");
    return nullptr;
  }
  return node;
}

Setting<bool> TableReader::boolean(std::string_view key) const {
  const toml::node* node = find(key);
  if (!node) return std::nullopt;
  if (!node->is_boolean()) {
    wrong_type(key, *node, "true or false");
    return std::nullopt;
  }
  return At<bool>{node->as_boolean()->get(), pos_of(*node)};
}

Setting<std::int64_t> TableReader::integer(std::string_view key, std::int64_t min, std::int64_t max) const {
  const toml::node* node = find(key);
  if (!node) return std::nullopt;
  if (!node->is_integer()) {
    wrong_type(key, *node, "an integer");
    return std::nullopt;
  }
  const std::int64_t value = node->as_integer()->get();
  if (value < min || value > max) {
    ctx_.error(pos_of(*node), quote(key) + " must be between " + std::to_string(min) + " and " +
                                  std::to_string(max) + ", not " + std::to_string(value));
    return std::nullopt;
  }
  return At<std::int64_t>{value, pos_of(*node)};
}

std::optional<Duration> read_duration(const toml::node& node, std::string_view what, LoadContext& ctx) {
  if (!node.is_string()) {
    ctx.error(pos_of(node), quote(what) + " must be a duration string like \"10s\"");
    return std::nullopt;
  }
  std::string error;
  auto d = parse_duration(node.as_string()->get(), error);
  if (!d) ctx.error(pos_of(node), error);
  return d;
}

std::optional<std::string> read_string(const toml::node& node, std::string_view what, LoadContext& ctx) {
  if (!node.is_string()) {
    ctx.error(pos_of(node), std::string(what) + " must be a string");
    return std::nullopt;
  }
  return node.as_string()->get();
}

Setting<Duration> TableReader::duration(std::string_view key) const {
  const toml::node* node = find(key);
  if (!node) return std::nullopt;
  auto d = read_duration(*node, key, ctx_);
  if (!d) return std::nullopt;
  return At<Duration>{*d, pos_of(*node)};
}

Setting<std::uint64_t> TableReader::size(std::string_view key) const {
  const toml::node* node = find(key);
  if (!node) return std::nullopt;
  if (!node->is_string()) {
    wrong_type(key, *node, "a size string like \"4MiB\"");
    return std::nullopt;
  }
  std::string error;
  auto bytes = parse_size(node->as_string()->get(), error);
  if (!bytes) {
    ctx_.error(pos_of(*node), error);
    return std::nullopt;
  }
  return At<std::uint64_t>{*bytes, pos_of(*node)};
}

Setting<std::vector<const toml::node*>> TableReader::string_nodes(std::string_view key) const {
  const toml::node* node = find(key);
  if (!node) return std::nullopt;
  if (node->is_string()) return At<std::vector<const toml::node*>>{{node}, pos_of(*node)};
  if (!node->is_array()) {
    wrong_type(key, *node, "an array of strings");
    return std::nullopt;
  }
  std::vector<const toml::node*> nodes;
  bool ok = true;
  for (const toml::node& element : *node->as_array()) {
    if (!element.is_string()) {
      ctx_.error(pos_of(element), quote(key) + " must be an array of strings");
      ok = false;
      continue;
    }
    nodes.push_back(&element);
  }
  if (!ok) return std::nullopt;
  return At<std::vector<const toml::node*>>{std::move(nodes), pos_of(*node)};
}

Setting<std::vector<At<std::string>>> TableReader::located_strings(std::string_view key) const {
  auto nodes = string_nodes(key);
  if (!nodes) return std::nullopt;
  std::vector<At<std::string>> values;
  for (const toml::node* n : nodes->value) values.push_back({n->as_string()->get(), pos_of(*n)});
  return At<std::vector<At<std::string>>>{std::move(values), nodes->pos};
}

Setting<std::vector<std::string>> TableReader::strings(std::string_view key) const {
  auto located = located_strings(key);
  if (!located) return std::nullopt;
  std::vector<std::string> values;
  for (auto& v : located->value) values.push_back(std::move(v.value));
  return At<std::vector<std::string>>{std::move(values), located->pos};
}

const toml::table* TableReader::subtable(std::string_view key) const {
  const toml::node* node = find(key);
  if (!node) return nullptr;
  if (!node->is_table()) {
    wrong_type(key, *node, "a table, like " + std::string(key) + " = { ... }");
    return nullptr;
  }
  return node->as_table();
}

Setting<std::string> read_name(const TableReader& reader, std::string_view key) {
  auto name = reader.string(key);
  if (!name) {
    if (!reader.find(key)) reader.missing(key);
    return std::nullopt;
  }
  const std::string& n = name->value;
  const bool control = std::any_of(n.begin(), n.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
  if (n.empty() || control || n.find('/') != std::string::npos || n.front() == ' ' || n.back() == ' ') {
    reader.ctx().error(name->pos, quote(key) + " " + quote(n) +
                                      " must be non-empty, without \"/\", control characters or surrounding spaces");
    return std::nullopt;
  }
  return name;
}

}  // namespace synthprobe::config
