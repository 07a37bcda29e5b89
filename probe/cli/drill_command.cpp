#include "probe/cli/drill_command.h"

#include <algorithm>
#include <array>
#include <thread>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>

#include "common/json_format.h"
#include "common/text.h"
#include "common/time_format.h"
#include "config/duration.h"
#include "probe/cli/probe_api_client.h"
#include "probe/daemon/drill_runner.h"

namespace synthprobe {
namespace json = boost::json;

namespace {

std::string str(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : "";
}

std::string leg_text(const json::value* leg) {
  const std::optional<DrillLeg> read = drill_leg_from_json(leg);
  return read ? read->describe() : "?";
}

std::string pad(std::string s, std::size_t width) {
  if (s.size() < width) s.resize(width, ' ');
  return s;
}

}  // namespace

std::string render_drill_report(const json::value& value) {
  if (!value.is_object()) return "unreadable drill report\n";
  const json::object& r = value.get_object();
  std::string out = "drill " + str(r, "id") + " of site " + str(r, "site") + " (" + str(r, "severity") + ")\n";
  const json::value* deliveries = r.if_contains("deliveries");
  std::size_t width = 8, delivered = 0, total = 0;
  std::vector<std::array<std::string, 3>> rows;
  if (deliveries && deliveries->is_array()) {
    for (const json::value& d : deliveries->get_array()) {
      if (!d.is_object()) continue;
      const json::object& o = d.get_object();
      const json::value* open = o.if_contains("open");
      const json::value* resolve = o.if_contains("resolve");
      rows.push_back({str(o, "notifier"), leg_text(open), leg_text(resolve)});
      width = std::max(width, rows.back()[0].size());
      ++total;
      const auto ok = [](const json::value* leg) {
        return leg && leg->is_object() && leg->get_object().if_contains("result") &&
               leg->get_object().at("result") == "delivered";
      };
      delivered += ok(open) && ok(resolve);
    }
  }
  std::size_t open_width = 4;
  for (const auto& row : rows) open_width = std::max(open_width, row[1].size());
  if (!rows.empty()) {
    out += pad("notifier", width + 2) + pad("open", open_width + 2) + "resolve\n";
    for (const auto& row : rows) out += pad(row[0], width + 2) + pad(row[1], open_width + 2) + row[2] + "\n";
  }
  if (const std::string note = str(r, "note"); !note.empty()) out += "note: " + note + "\n";
  const json::value* ok = r.if_contains("ok");
  const bool passed = ok && ok->is_bool() && ok->get_bool();
  out += (passed ? "ok: " : "FAILED: ") + std::to_string(delivered) + " of " + std::to_string(total) +
         " notifiers got the open and the resolve\n";
  return out;
}

int run_drill(const config::Probe& probe, const DrillOptions& options, std::ostream& out, std::ostream& err) {
  json::object request{{"site", options.site}, {"severity", options.severity}, {"duration", options.duration},
                       {"wait", options.wait}};
  const ProbeApiReply started = post_to_probe(probe, "/api/drills", serialize_json(request));
  if (started.status != 201) {
    std::string why = started.status ? "the probe answered " + std::to_string(started.status) + ": " + started.body
                                     : started.error;
    while (!why.empty() && why.back() == '\n') why.pop_back();
    err << "synthprobe: " << why << "\n";
    return 2;
  }
  json::error_code ec;
  const json::value answer = json::parse(started.body, ec);
  const json::value* id = !ec && answer.is_object() ? answer.get_object().if_contains("id") : nullptr;
  if (!id || !id->is_string()) {
    err << "synthprobe: the probe's answer has no drill id: " << started.body << "\n";
    return 2;
  }
  const std::string drill_id(id->get_string());
  out << "drill " << drill_id << " started: notifiers hear a [DRILL] " << options.severity << " of site "
      << options.site << ", resolved after " << options.duration << "\n"
      << std::flush;

  // The probe finishes the report by duration + wait at the latest (or kRestartWait after a restart); a
  // little more for its 1 s tick.
  std::string e1, e2;
  const auto duration = config::parse_duration(options.duration, e1).value_or(std::chrono::minutes(1));
  const auto wait = config::parse_duration(options.wait, e2).value_or(std::chrono::minutes(2));
  const auto give_up =
      std::chrono::steady_clock::now() + duration + wait + DrillRunner::kRestartWait + std::chrono::seconds(15);
  json::value report;
  while (true) {
    const ProbeApiReply reply = get_from_probe(probe, "/api/drills/" + text::percent_encode(drill_id));
    if (reply.status == 200) {
      report = json::parse(reply.body, ec);
      const json::value* finished = !ec && report.is_object() ? report.get_object().if_contains("finished") : nullptr;
      if (finished && finished->is_bool() && finished->get_bool()) break;
    } else if (reply.status != 0) {
      err << "synthprobe: the probe answered " << reply.status << " for drill " << drill_id << ": " << reply.body;
      return 2;
    }
    if (std::chrono::steady_clock::now() > give_up) {
      if (report.is_object()) out << render_drill_report(report);
      err << "synthprobe: drill " << drill_id << " did not finish in time"
          << (reply.status == 0 ? " (" + reply.error + ")" : std::string()) << "\n";
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  out << render_drill_report(report);
  const json::value* ok = report.get_object().if_contains("ok");
  return ok && ok->is_bool() && ok->get_bool() ? 0 : 1;
}

}  // namespace synthprobe
