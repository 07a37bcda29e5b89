// The customer status page as pure rendering: states in plain words, what it hides, bars, past incidents.
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include "common/time_format.h"
#include "exporters/web/public_status.h"

using namespace synthprobe;
namespace json = boost::json;

namespace {

constexpr std::int64_t kNow = 1'795'000'000;  // 2026-11-18

std::shared_ptr<const config::Check> check(std::string name, std::string area, std::string site = "shop") {
  auto c = std::make_shared<config::Check>();
  c->name = std::move(name);
  c->area = std::move(area);
  c->site = std::move(site);
  return c;
}

CheckStatusRow row(std::shared_ptr<const config::Check> c, CheckState state) {
  CheckStatusRow r;
  r.check = std::move(c);
  r.state = state;
  return r;
}

std::vector<config::Site> sites() {
  config::Site s;
  s.name = "shop";
  s.status_message = "We are on it.";
  return {s};
}

bool has(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

}  // namespace

TEST_CASE("area states in plain words; a site is in a major outage only when every area is") {
  const auto a = check("a", "x"), b = check("b", "x");
  auto state = [&](CheckState s1, CheckState s2) {
    const CheckStatusRow r1 = row(a, s1), r2 = row(b, s2);
    return area_state({&r1, &r2});
  };
  CHECK(state(CheckState::down, CheckState::down) == PublicState::major_outage);
  CHECK(state(CheckState::down, CheckState::up) == PublicState::partial_outage);
  CHECK(state(CheckState::degraded, CheckState::up) == PublicState::degraded);
  CHECK(state(CheckState::failing, CheckState::up) == PublicState::operational);  // not yet down: no news
  CHECK(state(CheckState::unknown, CheckState::unknown) == PublicState::checking);
  CHECK(public_words(PublicState::partial_outage) == "Partial outage");

  const auto sites_ = sites();
  const std::vector<CheckStatusRow> rows{row(check("cart-api", "checkout"), CheckState::down),
                                         row(check("home-page", "storefront"), CheckState::up)};
  const IncidentBoard board;
  const std::vector<store::AreaDay> history;
  const std::string page = render_public_status_html({sites_, rows, board, history, kNow});
  CHECK(has(page, "data-state=\"partial_outage\">Partial outage</div>"));
  CHECK(has(page, "data-area=\"checkout\" data-state=\"major_outage\""));
  CHECK(!has(page, "cart-api"));
  CHECK(!has(page, "home-page"));
}

TEST_CASE("an open incident: the site's message, its title in plain words, operator updates newest first") {
  const auto sites_ = sites();
  const std::vector<CheckStatusRow> rows{row(check("cart-api", "checkout"), CheckState::down),
                                         row(check("home-page", "storefront"), CheckState::up)};
  Incident in;
  in.id = "shop-eu-1";
  in.site = "shop";
  in.extent = Extent::partial;
  in.areas = {"checkout"};
  in.summary = "shop: checkout down (status 503)";  // internal: never on the page
  in.opened_at = Timestamp(std::chrono::seconds(kNow - 600));
  in.comms = {{Timestamp(std::chrono::seconds(kNow - 300)), "Payments are failing; we are on it.", "operator"},
              {Timestamp(std::chrono::seconds(kNow - 120)), "A fix is rolling out.", "operator"},
              {Timestamp(std::chrono::seconds(kNow - 100)), "We are on it.", "status page"}};
  IncidentBoard board;
  auto shared = std::make_shared<const Incident>(in);
  board.open_by_site["shop"] = shared;
  board.incidents.push_back(shared);
  const std::vector<store::AreaDay> history;
  const std::string page = render_public_status_html({sites_, rows, board, history, kNow});
  CHECK(has(page, "Partial outage affecting checkout"));
  CHECK(has(page, "We are on it."));
  CHECK(!has(page, "status 503"));
  CHECK(page.find("A fix is rolling out.") < page.find("Payments are failing"));
  const json::value twin = json::parse(render_public_status_json({sites_, rows, board, history, kNow}));
  const auto& updates = twin.at("sites").at(0).at("incident").at("updates").as_array();
  REQUIRE(updates.size() == 2);  // the status page's own showing is not an update
  CHECK(updates.at(0).at("message") == "A fix is rolling out.");
}

TEST_CASE("90 days of bars from the store's rollups; past incidents of 14 days only") {
  const auto sites_ = sites();
  const std::vector<CheckStatusRow> rows{row(check("cart-api", "checkout"), CheckState::up)};
  const std::int64_t today = kNow / 86400;
  const std::vector<store::AreaDay> history{{"shop", "checkout", today, 999, 1000},
                                            {"shop", "checkout", today - 1, 500, 1000},
                                            {"shop", "checkout", today - 200, 0, 10}};  // too old
  IncidentBoard board;
  Incident recent, old;
  recent.id = "r";
  recent.site = old.site = "shop";
  recent.extent = Extent::full;
  recent.opened_at = Timestamp(std::chrono::seconds(kNow - 3 * 86400));
  recent.resolved_at = Timestamp(std::chrono::seconds(kNow - 3 * 86400 + 1500));
  old = recent;
  old.id = "o";
  old.opened_at = Timestamp(std::chrono::seconds(kNow - 20 * 86400));
  old.resolved_at = Timestamp(std::chrono::seconds(kNow - 20 * 86400 + 60));
  board.incidents = {std::make_shared<const Incident>(recent), std::make_shared<const Incident>(old)};
  const std::string page = render_public_status_html({sites_, rows, board, history, kNow});
  std::size_t bars = 0;
  for (std::size_t at = 0; (at = page.find("class=\"bar ", at)) != std::string::npos; ++at) ++bars;
  CHECK(bars == 90);
  CHECK(has(page, "class=\"bar ok\" title=\"" + format_rfc3339(Timestamp(std::chrono::seconds(today * 86400))).substr(0, 10) + ": 99.90% available\""));
  CHECK(has(page, ": 50.00% available\""));
  CHECK(has(page, "74.95% uptime"));
  CHECK(has(page, "Major outage"));
  CHECK(has(page, "resolved after 25m"));
  std::size_t past = 0;
  for (std::size_t at = 0; (at = page.find("data-incident=\"resolved\"", at)) != std::string::npos; ++at) ++past;
  CHECK(past == 1);
}

TEST_CASE("hundreds of components: listed with their state, without bars") {
  const auto sites_ = sites();
  std::vector<CheckStatusRow> rows;
  for (int i = 0; i < 300; ++i) rows.push_back(row(check("c" + std::to_string(i), "area-" + std::to_string(i)), CheckState::up));
  const IncidentBoard board;
  const std::vector<store::AreaDay> history;
  const std::string page = render_public_status_html({sites_, rows, board, history, kNow});
  CHECK(!has(page, "class=\"bar "));
  CHECK(has(page, "data-area=\"area-299\""));
  CHECK(page.size() < 120'000);
}
