#include "exporters/notify/outbox.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "exporters/store/durable_file.h"
#include "probe/engine/result_json.h"
#include "probe/health/site_severity.h"

namespace synthprobe {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using TimePoint = Outbox::TimePoint;

constexpr const char* kFileName = "outbox.jsonl";

std::string system_error(const std::string& what, const fs::path& path, int err) {
  return what + " " + path.string() + ": " + std::strerror(err);
}

std::int64_t to_unix_ms(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

TimePoint from_unix_ms(std::int64_t ms) {
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::milliseconds(ms)));
}

std::optional<std::int64_t> int_field(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end()) return std::nullopt;
  if (it->value().is_int64()) return it->value().get_int64();
  if (it->value().is_uint64() && it->value().get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    return static_cast<std::int64_t>(it->value().get_uint64());
  return std::nullopt;
}

std::optional<std::uint64_t> id_field(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end()) return std::nullopt;
  if (it->value().is_uint64()) return it->value().get_uint64();
  if (it->value().is_int64() && it->value().get_int64() >= 0)
    return static_cast<std::uint64_t>(it->value().get_int64());
  return std::nullopt;
}

const json::string* string_field(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it == o.end() ? nullptr : it->value().if_string();
}

std::string event_line(const OutboxEntry& e) {
  json::object o;
  o["op"] = "event";
  o["id"] = e.id;
  o["notifier"] = e.notifier;
  o["target"] = e.target;
  o["incident_id"] = e.incident_id;
  o["event"] = to_string(e.event.kind);
  o["sequence"] = e.event.sequence;
  o["event_id"] = e.event.event_id;
  if (e.event.previous_severity) o["previous_severity"] = severity_name(*e.event.previous_severity);
  else o["previous_severity"] = nullptr;
  o["attempts"] = e.attempts;
  o["next_attempt_at_ms"] = to_unix_ms(e.next_attempt_at);
  o["incident"] = e.event.incident;
  return serialize_json(o) + "\n";
}

std::optional<OutboxEntry> read_event(const json::object& o) {
  OutboxEntry e;
  auto id = id_field(o, "id");
  auto sequence = id_field(o, "sequence");
  auto attempts = int_field(o, "attempts");
  auto next = int_field(o, "next_attempt_at_ms");
  const json::string* notifier = string_field(o, "notifier");
  const json::string* target = string_field(o, "target");
  const json::string* incident_id = string_field(o, "incident_id");
  const json::string* kind = string_field(o, "event");
  const json::string* event_id = string_field(o, "event_id");
  auto incident = o.find("incident");
  if (!id || !sequence || !attempts || !next || !notifier || !target || !incident_id || !kind || !event_id ||
      incident == o.end() || !incident->value().is_object())
    return std::nullopt;
  auto parsed_kind = parse_notification_kind(*kind);
  if (!parsed_kind) return std::nullopt;
  e.id = *id;
  e.notifier = *notifier;
  e.target = *target;
  e.incident_id = *incident_id;
  e.event.kind = *parsed_kind;
  e.event.sequence = *sequence;
  e.event.event_id = *event_id;
  e.event.incident = incident->value().get_object();
  if (const json::string* prev = string_field(o, "previous_severity"))
    e.event.previous_severity = parse_severity_name(*prev);
  e.attempts = static_cast<int>(std::clamp<std::int64_t>(*attempts, 0, 1 << 30));
  e.next_attempt_at = from_unix_ms(*next);
  return e;
}

// The whole file, or an errno (ENOENT for a missing one).
int read_file(const fs::path& path, std::string& out) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return err;
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return 0;
}

}  // namespace

Outbox::Outbox(fs::path dir, OutboxOptions options)
    : dir_(std::move(dir)), file_(dir_ / kFileName), options_(options) {}

Outbox::~Outbox() {
  if (fd_ >= 0) ::close(fd_);
}

void Outbox::clear() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  broken_tail_ = false;
  readable_ = true;
  next_id_ = 1;
  lines_ = 0;
  entries_.clear();
  queues_.clear();
  per_notifier_.clear();
}

void Outbox::insert(OutboxEntry entry) {
  const std::uint64_t id = entry.id;
  queues_[QueueKey{entry.notifier, entry.target, entry.incident_id}].push_back(id);
  auto it = per_notifier_.find(entry.notifier);
  if (it == per_notifier_.end()) per_notifier_.emplace(entry.notifier, 1);
  else ++it->second;
  next_id_ = std::max(next_id_, id + 1);
  entries_[id] = Slot{std::move(entry), false};
}

void Outbox::erase(std::uint64_t id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  const OutboxEntry& e = it->second.entry;
  auto q = queues_.find(QueueKey{e.notifier, e.target, e.incident_id});
  if (q != queues_.end()) {
    auto& ids = q->second;
    ids.erase(std::remove(ids.begin(), ids.end(), id), ids.end());
    if (ids.empty()) queues_.erase(q);
  }
  if (auto n = per_notifier_.find(e.notifier); n != per_notifier_.end() && --n->second == 0)
    per_notifier_.erase(n);
  entries_.erase(it);
}

OutboxLoad Outbox::load() {
  OutboxLoad report;
  clear();
  loaded_ = true;
  std::string data;
  if (int err = read_file(file_, data); err != 0 && err != ENOENT) {
    report.status = OutboxStatus(system_error("cannot read the outbox", file_, err));
    readable_ = false;  // never append to (or compact away) what we could not read
    return report;
  }

  std::size_t complete = data.rfind('\n');
  complete = complete == std::string::npos ? 0 : complete + 1;
  if (complete < data.size()) {
    report.torn_tail = true;
    report.warnings.push_back("outbox " + file_.string() + ": dropped an incomplete last line of " +
                              std::to_string(data.size() - complete) + " bytes (a write cut short by a crash)");
    // Cut it off, or the next append would be glued to it.
    if (::truncate(file_.c_str(), static_cast<off_t>(complete)) != 0) {
      report.warnings.push_back(system_error("cannot cut the incomplete line off", file_, errno));
      broken_tail_ = true;
    }
  }

  std::size_t line_number = 0;
  std::size_t start = 0;
  while (start < complete) {
    const std::size_t end = data.find('\n', start);
    const std::string_view line(data.data() + start, end - start);
    start = end + 1;
    ++line_number;
    ++lines_;
    if (line.empty()) continue;
    boost::system::error_code ec;
    json::value v = json::parse(line, ec);
    const json::object* o = ec ? nullptr : v.if_object();
    const json::string* op = o ? string_field(*o, "op") : nullptr;
    bool ok = false;
    if (op && *op == "event") {
      if (auto e = read_event(*o); e && !entries_.contains(e->id)) {
        insert(std::move(*e));
        ok = true;
      }
    } else if (op && *op == "retry") {
      auto id = id_field(*o, "id");
      auto attempts = int_field(*o, "attempts");
      auto next = int_field(*o, "next_attempt_at_ms");
      if (id && attempts && next) {
        if (auto it = entries_.find(*id); it != entries_.end()) {
          it->second.entry.attempts = static_cast<int>(std::clamp<std::int64_t>(*attempts, 0, 1 << 30));
          it->second.entry.next_attempt_at = from_unix_ms(*next);
        }
        ok = true;
      }
    } else if (op && *op == "done") {
      if (auto id = id_field(*o, "id")) {
        erase(*id);
        next_id_ = std::max(next_id_, *id + 1);
        ok = true;
      }
    }
    if (!ok) {
      ++report.bad_lines;
      report.warnings.push_back("outbox " + file_.string() + ": skipped unreadable line " +
                                std::to_string(line_number));
    }
  }
  report.pending = pending();
  return report;
}

OutboxStatus Outbox::ensure_loaded() {
  if (loaded_) return {};
  OutboxLoad report = load();
  return report.status;
}

OutboxStatus Outbox::open_for_append() {
  if (fd_ >= 0) return {};
  std::error_code ec;
  const bool dir_existed = fs::exists(dir_, ec);
  fs::create_directories(dir_, ec);
  if (ec) return OutboxStatus("cannot create the outbox directory " + dir_.string() + ": " + ec.message());
  const bool file_existed = fs::exists(file_, ec);
  fd_ = ::open(file_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) return OutboxStatus(system_error("cannot open the outbox", file_, errno));
  // A new file's name lives in its directory: without this an fsync'ed file can vanish in a crash.
  if (!file_existed) {
    if (int err = fsync_dir(dir_); err != 0) return OutboxStatus(system_error("cannot fsync", dir_, err));
    if (!dir_existed && dir_.has_parent_path()) {
      if (int err = fsync_dir(dir_.parent_path()); err != 0)
        return OutboxStatus(system_error("cannot fsync", dir_.parent_path(), err));
    }
  }
  return {};
}

OutboxStatus Outbox::write_lines(const std::string& lines, bool sync) {
  if (!readable_) return OutboxStatus("the outbox " + file_.string() + " could not be read at load");
  if (OutboxStatus s = open_for_append(); !s.ok()) return s;
  struct stat st {};
  const off_t before = ::fstat(fd_, &st) == 0 ? st.st_size : -1;
  const std::string data = broken_tail_ ? "\n" + lines : lines;
  if (int err = write_all(fd_, data); err != 0) {
    // Cut the partial record off, or the next one would be glued to it.
    if (before < 0 || ::ftruncate(fd_, before) != 0) broken_tail_ = true;
    return OutboxStatus(system_error("cannot write the outbox", file_, err));
  }
  broken_tail_ = false;
  if (sync && ::fsync(fd_) != 0) return OutboxStatus(system_error("cannot fsync the outbox", file_, errno));
  return {};
}

OutboxStatus Outbox::append(OutboxEntry& entry) {
  std::vector<OutboxEntry> one{std::move(entry)};
  OutboxStatus s = append(one);
  entry = std::move(one.front());
  return s;
}

OutboxStatus Outbox::append(std::vector<OutboxEntry>& entries) {
  OutboxStatus loaded = ensure_loaded();
  std::string lines;
  for (auto& e : entries) {
    e.id = next_id_++;
    if (e.incident_id.empty()) {
      if (auto it = e.event.incident.find("id"); it != e.event.incident.end() && it->value().is_string())
        e.incident_id = std::string(it->value().get_string());
    }
    lines += event_line(e);
    insert(e);
  }
  if (!loaded.ok()) return OutboxStatus(loaded.error() + "; the events are kept in memory only");
  OutboxStatus s = write_lines(lines, true);
  if (!s.ok()) return OutboxStatus(s.error() + "; the events are kept in memory only");
  lines_ += entries.size();
  return {};
}

const OutboxEntry* Outbox::head_if_ready(const std::deque<std::uint64_t>& queue) const {
  if (queue.empty()) return nullptr;
  auto it = entries_.find(queue.front());
  if (it == entries_.end() || it->second.in_flight) return nullptr;
  return &it->second.entry;
}

std::vector<OutboxEntry> Outbox::next_ready(TimePoint now) const {
  std::vector<const OutboxEntry*> ready;
  for (const auto& [key, queue] : queues_) {
    const OutboxEntry* head = head_if_ready(queue);
    if (head && head->next_attempt_at <= now) ready.push_back(head);
  }
  std::sort(ready.begin(), ready.end(), [](auto* a, auto* b) { return a->id < b->id; });
  std::vector<OutboxEntry> out;
  out.reserve(ready.size());
  for (const OutboxEntry* e : ready) out.push_back(*e);
  return out;
}

std::optional<TimePoint> Outbox::next_due() const {
  std::optional<TimePoint> due;
  for (const auto& [key, queue] : queues_) {
    if (const OutboxEntry* head = head_if_ready(queue); head && (!due || head->next_attempt_at < *due))
      due = head->next_attempt_at;
  }
  return due;
}

bool Outbox::begin_send(std::uint64_t id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return false;
  it->second.in_flight = true;
  return true;
}

OutboxStatus Outbox::mark_done(std::uint64_t id, DeliveryResult result) {
  if (!entries_.contains(id)) return {};
  erase(id);
  json::object o;
  o["op"] = "done";
  o["id"] = id;
  o["result"] = to_string(result);
  OutboxStatus s = write_lines(serialize_json(o) + "\n", false);
  if (!s.ok()) return s;
  ++lines_;
  if (needs_compaction()) return compact();
  return {};
}

OutboxStatus Outbox::reschedule(std::uint64_t id, TimePoint next_attempt_at) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return {};
  OutboxEntry& e = it->second.entry;
  it->second.in_flight = false;
  ++e.attempts;
  e.next_attempt_at = next_attempt_at;
  json::object o;
  o["op"] = "retry";
  o["id"] = id;
  o["attempts"] = e.attempts;
  o["next_attempt_at_ms"] = to_unix_ms(next_attempt_at);
  OutboxStatus s = write_lines(serialize_json(o) + "\n", false);
  if (s.ok()) ++lines_;
  return s;
}

OutboxStatus Outbox::finish(std::uint64_t id, DeliveryResult result, TimePoint now, double unit_random) {
  if (result != DeliveryResult::retry) return mark_done(id, result);
  const OutboxEntry* e = find(id);
  if (!e) return {};
  const auto wait = backoff(e->attempts + 1, unit_random);
  return reschedule(id, now + std::chrono::duration_cast<TimePoint::duration>(wait));
}

std::size_t Outbox::pending_count(std::string_view notifier) const {
  auto it = per_notifier_.find(notifier);
  return it == per_notifier_.end() ? 0 : it->second;
}

std::vector<OutboxEntry> Outbox::pending() const {
  std::vector<OutboxEntry> out;
  out.reserve(entries_.size());
  for (const auto& [id, slot] : entries_) out.push_back(slot.entry);
  return out;
}

const OutboxEntry* Outbox::find(std::uint64_t id) const {
  auto it = entries_.find(id);
  return it == entries_.end() ? nullptr : &it->second.entry;
}

bool Outbox::needs_compaction() const {
  if (options_.compact_after == 0) return false;
  const std::size_t dead = lines_ > entries_.size() ? lines_ - entries_.size() : 0;
  return dead >= options_.compact_after && dead > entries_.size();
}

OutboxStatus Outbox::compact() {
  if (OutboxStatus s = ensure_loaded(); !s.ok()) return s;
  if (!readable_) return OutboxStatus("the outbox " + file_.string() + " could not be read at load");
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) return OutboxStatus("cannot create the outbox directory " + dir_.string() + ": " + ec.message());
  std::string data;
  for (const auto& [id, slot] : entries_) data += event_line(slot.entry);
  if (std::string error = replace_file_durably(file_, data, 0600); !error.empty())
    return OutboxStatus("cannot compact the outbox: " + error);
  // The old descriptor still points at the replaced file.
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  broken_tail_ = false;
  lines_ = entries_.size();
  return {};
}

}  // namespace synthprobe
