#include "probe/engine/check_runner.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <string>
#include <utility>
#include <vector>

#include "common/utf8.h"
#include "config/duration.h"
#include "probe/engine/assertions.h"
#include "probe/engine/extraction.h"
#include "probe/engine/http_exchange.h"

namespace synthprobe {
namespace {

using SteadyClock = std::chrono::steady_clock;

// Finished runs kept for reuse; beyond this they are freed. Past a burst the pool stays at the peak.
constexpr std::size_t kMaxIdleRuns = 4096;

bool needs_body(const config::Step& step) {
  const auto& e = step.request.expect;
  if (!e.body_contains.empty() || !e.body_not_contains.empty() || !e.body_regex.empty() || !e.json.empty() ||
      !e.json_absent.empty())
    return true;
  for (const auto& x : step.extract)
    if (x.kind == config::Extraction::Kind::regex || x.kind == config::Extraction::Kind::json) return true;
  return false;
}

bool needs_headers(const config::Step& step) {
  if (!step.request.expect.headers.empty()) return true;
  for (const auto& x : step.extract)
    if (x.kind == config::Extraction::Kind::header) return true;
  return false;
}

bool needs_cookies(const config::Check& check) { return check.kind == config::Check::Kind::flow; }

std::vector<std::string> cookie_lines(CURL* easy) {
  std::vector<std::string> lines;
  curl_slist* list = nullptr;
  if (curl_easy_getinfo(easy, CURLINFO_COOKIELIST, &list) == CURLE_OK) {
    for (curl_slist* it = list; it; it = it->next) lines.emplace_back(it->data);
    curl_slist_free_all(list);
  }
  return lines;
}

}  // namespace

// One run of one check or flow. Owns itself from start until it reports, then goes back to the runner's
// pool (its buffers keep their capacity for the next run). There is one per check in flight, so its size
// is memory per in-flight check: 896 bytes, one of jemalloc's size classes (static_assert below; fields
// ordered to leave no holes, what only redirects need made on demand).
class CheckRunner::Run final : public TransferSink, public DnsSink {
 public:
  explicit Run(CheckRunner& runner) : runner_(runner), multi_(runner.multi_) {}

  void begin(std::shared_ptr<const config::Check> check, Done done, RunReceiver* receiver, std::uint32_t id,
             std::uint64_t run) {
    check_ = std::move(check);
    done_ = std::move(done);
    receiver_ = receiver;
    id_ = id;
    run_ = run;
    started_ = SteadyClock::now();
    deadline_ = started_ + check_->settings.timeout;
    attempt_ = 0;
    ++runner_.in_flight_;
  }

  // Back in the pool: nothing of the run is kept but capacity, and no large body.
  void clear() {
    check_.reset();
    done_ = nullptr;
    receiver_ = nullptr;
    vars_.clear();
    exchange_.trim();
  }

  void start() { start_attempt(); }

  void on_transfer_abandoned() override { abandon(); }
  void on_lookup_abandoned() override { abandon(); }

  void on_resolved(const DnsAnswer& answer) override {
    const config::Step& step = check_->steps[step_index_];
    const auto now = SteadyClock::now();
    const std::int64_t lookup_us = std::chrono::duration_cast<std::chrono::microseconds>(now - lookup_started_).count();
    const config::LookupTarget& target = *exchange_.lookup();
    if (!answer.ok) {
      std::string why = "cannot resolve ";
      why += target.host;
      why += ": ";
      if (answer.deadline_reached) {
        // Say which budget ran out, not the milliseconds the resolver happened to wait.
        why += lookup_bound_by_run_ ? "timeout: no answer within the run's timeout of " +
                                          config::format_duration(check_->settings.timeout)
                                    : "timeout: no answer within the step's timeout of " +
                                          config::format_duration(step.request.timeout);
      } else {
        why += answer.error;
      }
      StepResult& out = steps_[step_index_];
      out.phases = Phases{};
      out.phases.resolve = static_cast<double>(lookup_us) / 1e6;
      out.duration_seconds = out.phases.resolve;
      return fail_unsent(step, Reason::dns, std::move(why));
    }
    if (!step.request.fresh_connection)
      runner_.dns_cache_.store(target.host, step.request.ip_version, answer.address, answer.ttl, now);
    // The transfer gets what the lookup left of the step's time, and never more than the run's.
    const long run_left = static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - now).count());
    const long left = std::min(step_timeout_ms_ - static_cast<long>(lookup_us / 1000), run_left);
    exchange_.connect_to_address(answer.address, answer.ipv6, left, lookup_us);
    multi_.start(easy_, this);
  }

  void on_transfer_done(CURLcode code) override {
    const config::Step& step = check_->steps[step_index_];
    StepResult& out = steps_[step_index_];
    exchange_.collect(easy_, code, out);
    if (out.redirects > 0) easy_keeps_options_ = false;  // a hop may have been HTTPS (keeps_options)
    out.attempts = attempt_ + 1;
    if (code == CURLE_OK) judge(step, out);
    record(step, out);
    ++step_index_;
    run_next_step();
  }

 private:
  // The multi or the resolver is going away with this run in it: free what the run holds, report nothing.
  void abandon() {
    if (cookie_jar_) {
      release_cookie_jar(easy_);
      curl_share_cleanup(cookie_jar_);
    }
    // The runner may already be gone (it is destroyed before the multi): touch only the multi.
    multi_.release_easy(easy_);
    delete this;
  }

  void start_attempt() {
    easy_ = multi_.acquire_easy(easy_configured_);
    if (needs_cookies(*check_)) {
      // A fresh jar per attempt (cookies and TLS sessions): a retried flow starts as a new customer.
      cookie_jar_ = new_cookie_jar();
    }
    steps_.assign(check_->steps.size(), StepResult{});
    for (std::size_t i = 0; i < steps_.size(); ++i) steps_[i].name = check_->steps[i].name;
    vars_.clear();
    failed_index_ = -1;
    last_run_index_ = -1;
    step_index_ = 0;
    steps_started_ = 0;
    run_next_step();
  }

  void run_next_step() {
    // After a failure only `always` steps still run.
    while (step_index_ < check_->steps.size() && failed_index_ >= 0 && !check_->steps[step_index_].always)
      ++step_index_;
    if (step_index_ >= check_->steps.size()) return finish_attempt();

    const config::Step& step = check_->steps[step_index_];
    const auto remaining =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - SteadyClock::now()).count();
    if (remaining <= 0)
      return fail_unsent(step, Reason::timeout,
                         "run timeout of " + config::format_duration(check_->settings.timeout) +
                             " reached before the step started");
    if (steps_started_++ > 0) {
      if (cookie_jar_) release_cookie_jar(easy_);
      curl_easy_reset(easy_);
      easy_configured_ = false;
    }
    step_unix_ms_ =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    const config::RenderInputs inputs{&vars_, step_unix_ms_, &runner_.rng_};
    // A step's own timeout applies too, but never beyond what is left of the run's.
    const long step_timeout = std::min<long>(remaining, static_cast<long>(step.request.timeout.count()));
    // A refusal comes only from a run's own values: in a flow, what earlier steps extracted.
    const HttpExchange::Options options{step_timeout, needs_body(step), needs_headers(step), cookie_jar_, easy_configured_};
    easy_configured_ = true;  // from here on it has the shared options, whatever prepare() says
    easy_keeps_options_ = false;
    if (auto refused = exchange_.prepare(easy_, step.request, inputs, options))
      return fail_unsent(step, Reason::extraction, std::move(*refused));
    easy_keeps_options_ = steps_started_ == 1 && exchange_.keeps_options(options);
    if (const auto& target = exchange_.lookup()) {
      const auto now = SteadyClock::now();
      if (!step.request.fresh_connection) {
        // Like curl's own DNS cache: a cached answer costs no lookup and no resolve time.
        const std::string_view cached = runner_.dns_cache_.find(target->host, step.request.ip_version, now);
        if (!cached.empty()) {
          exchange_.connect_to_address(cached, cached.find(':') != std::string_view::npos, step_timeout, 0);
          return multi_.start(easy_, this);
        }
      }
      step_timeout_ms_ = step_timeout;
      lookup_started_ = now;
      const auto step_deadline = now + std::chrono::milliseconds(step_timeout);
      lookup_bound_by_run_ = remaining <= step.request.timeout.count();
      runner_.resolver_.lookup(target->host, step.request.ip_version, std::min(deadline_, step_deadline), this);
      return;
    }
    multi_.start(easy_, this);
  }

  // The current step failed before anything was sent (no time left, its request refused, its host not
  // found): its result says why, and the run goes on with the steps that still run.
  void fail_unsent(const config::Step& step, Reason reason, std::string message) {
    StepResult& out = steps_[step_index_];
    out.success = false;
    out.reason = reason;
    out.message = std::move(message);
    out.attempts = attempt_ + 1;
    record(step, out);
    ++step_index_;
    run_next_step();
  }

  // Assertions, then extractions, on a complete response.
  void judge(const config::Step& step, StepResult& out) {
    const ResponseView view{out.status_code,  exchange_.body(), &exchange_.headers(), out.duration_seconds,
                            out.cert_expiry_unix, static_cast<std::int64_t>(std::time(nullptr))};
    // The step's ${unix_ms} is the one its request was sent with, so a response can be checked for it.
    Verdict verdict = evaluate(step.request.expect, view, config::RenderInputs{&vars_, step_unix_ms_, &runner_.rng_});
    out.success = verdict.passed;
    out.degraded = verdict.degraded;
    out.failed_due_to_regex = verdict.failed_due_to_regex;
    if (!verdict.passed) {
      out.reason = verdict.reason;
      out.message = std::move(verdict.message);
      return;
    }
    if (step.extract.empty()) return;
    std::vector<std::string> cookies;
    bool cookies_read = false;
    for (const auto& x : step.extract) {
      if (x.kind == config::Extraction::Kind::cookie && !cookies_read) {
        cookies = cookie_lines(easy_);
        cookies_read = true;
      }
      std::string why;
      auto value = extract(x, ExtractionSource{exchange_.body(), &exchange_.headers(), &cookies}, why);
      if (!value) {
        out.success = false;
        out.reason = Reason::extraction;
        out.message = "cannot extract " + x.variable + ": " + why;
        return;
      }
      vars_.emplace_back(x.variable, std::move(*value));
    }
  }

  // A step is over: its message is final, and may quote what the target sent (a header value, a Location,
  // curl's text about either), which is bytes, not UTF-8. Everything downstream (JSON, logs, incidents,
  // notifications) gets valid UTF-8.
  void record(const config::Step& step, StepResult& out) {
    if (!out.message.empty()) out.message = utf8::sanitize(std::move(out.message));
    if (out.success == false && failed_index_ < 0 && !step.always)
      failed_index_ = static_cast<int>(&out - steps_.data());
    last_run_index_ = static_cast<int>(&out - steps_.data());
  }

  void finish_attempt() {
    if (cookie_jar_) {
      release_cookie_jar(easy_);
      curl_share_cleanup(cookie_jar_);
      cookie_jar_ = nullptr;
    }
    multi_.release_easy(easy_, easy_keeps_options_);
    easy_keeps_options_ = false;
    easy_ = nullptr;
    const bool time_left = SteadyClock::now() < deadline_;
    if (failed_index_ >= 0 && attempt_ < check_->settings.retries && time_left) {
      ++attempt_;
      return start_attempt();
    }
    report();
  }

  void report() {
    RunResult r;
    const config::Check& c = *check_;
    r.name = c.name;
    r.is_flow = c.kind == config::Check::Kind::flow;
    r.site = c.site;
    r.area = c.area;
    r.success = failed_index_ < 0;
    r.duration_seconds = std::chrono::duration<double>(SteadyClock::now() - started_).count();
    for (const StepResult& s : steps_) {
      if (!s.success.has_value()) continue;
      r.phases += s.phases;
      r.body_bytes += s.body_bytes;
      r.redirects += s.redirects;
      r.tls_used = r.tls_used || s.tls_used;
      r.failed_due_to_regex = r.failed_due_to_regex || s.failed_due_to_regex;
      if (s.cert_expiry_unix && (!r.cert_expiry_unix || *s.cert_expiry_unix < *r.cert_expiry_unix))
        r.cert_expiry_unix = s.cert_expiry_unix;
      if (s.degraded && s.success == true) r.degraded = true;
    }
    if (last_run_index_ >= 0) {
      const StepResult& last = steps_[last_run_index_];
      r.status_code = last.status_code;
      r.http_version = last.http_version;
    }
    if (!r.success) {
      r.degraded = false;
      const StepResult& failed = steps_[failed_index_];
      r.reason = failed.reason;
      if (r.is_flow) {
        r.failed_step = failed.name;
        r.message = "step " + failed.name + ": " + failed.message;
      } else {
        r.message = failed.message;
      }
    }
    r.steps = std::move(steps_);
    --runner_.in_flight_;
    Done done = std::move(done_);
    RunReceiver* receiver = receiver_;
    const std::uint32_t id = id_;
    const std::uint64_t run = run_;
    CheckRunner& runner = runner_;
    runner.recycle(this);  // before reporting: the receiver may start the next run on this very object
    if (receiver)
      receiver->on_run_done(id, run, std::move(r));
    else
      done(std::move(r));
  }

  CheckRunner& runner_;
  CurlMulti& multi_;
  std::shared_ptr<const config::Check> check_;
  Done done_;
  RunReceiver* receiver_ = nullptr;
  std::uint32_t id_ = 0;
  int attempt_ = 0;
  std::uint64_t run_ = 0;
  SteadyClock::time_point started_;
  SteadyClock::time_point deadline_;
  CURL* easy_ = nullptr;
  CURLSH* cookie_jar_ = nullptr;
  HttpExchange exchange_;
  std::vector<StepResult> steps_;
  std::vector<std::pair<std::string, std::string>> vars_;
  std::int64_t step_unix_ms_ = 0;
  SteadyClock::time_point lookup_started_;
  long step_timeout_ms_ = 0;  // the step's transfer budget before its lookup
  std::uint32_t step_index_ = 0;
  std::uint32_t steps_started_ = 0;
  int failed_index_ = -1;
  int last_run_index_ = -1;
  bool lookup_bound_by_run_ = false;  // the lookup's deadline is the run's (else the step's own timeout)
  bool easy_configured_ = false;  // easy_ has HttpExchange's shared options (see HttpExchange::Options)
  bool easy_keeps_options_ = false;  // easy_ may go back unreset (HttpExchange::keeps_options)
};

CheckRunner::CheckRunner(CurlMulti& multi, const DnsResolver::Options& dns)
    : multi_(multi), rng_(std::random_device{}()), resolver_(multi.io(), dns) {}

// Runs still in flight own themselves and are freed by the resolver (on_lookup_abandoned, when destroyed
// with this runner) or the multi (on_transfer_abandoned).
CheckRunner::~CheckRunner() = default;

CheckRunner::Run* CheckRunner::take_run() {
  // Memory per in-flight check is a target (README "Performance"): a field that pushes the Run past this
  // jemalloc size class costs 128 bytes a check in flight; move it out (as RedirectNotes) or say why.
  static_assert(sizeof(Run) <= 896, "CheckRunner::Run outgrew jemalloc's 896-byte size class");
  if (idle_runs_.empty()) return new Run(*this);
  Run* run = idle_runs_.back().release();
  idle_runs_.pop_back();
  return run;
}

void CheckRunner::recycle(Run* run) {
  run->clear();
  if (idle_runs_.size() >= kMaxIdleRuns) {
    delete run;
    return;
  }
  idle_runs_.emplace_back(run);
}

void CheckRunner::run(std::shared_ptr<const config::Check> check, Done done) {
  Run* r = take_run();
  r->begin(std::move(check), std::move(done), nullptr, 0, 0);
  r->start();
}

void CheckRunner::run(std::shared_ptr<const config::Check> check, RunReceiver& receiver, std::uint32_t id,
                      std::uint64_t run) {
  Run* r = take_run();
  r->begin(std::move(check), nullptr, &receiver, id, run);
  r->start();
}

}  // namespace synthprobe
