#include "exporters/remote_write/remote_write_service.h"

#include <openssl/evp.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_set>

#include "common/thread_priority.h"
#include "common/time_format.h"
#include "common/version.h"
#include "exporters/remote_write/exposition_reader.h"
#include "exporters/remote_write/send_policy.h"
#include "exporters/remote_write/send_queue.h"
#include "exporters/remote_write/write_request_encoder.h"
#include "probe/engine/curl_multi.h"
#include "probe/engine/http_post.h"

namespace synthprobe::remote_write {

namespace net = boost::asio;
using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

// A failing receiver is logged when it starts failing and when it recovers; rejections, a full queue and
// unreadable lines, which can go on for hours, at most this often.
constexpr auto kRepeatLogEvery = std::chrono::minutes(1);
// How much of a receiver's answer a log line shows: its reason, not a page (nor echoed headers).
constexpr std::size_t kAnswerInLog = 200;

// True (and `last` moved to now) when a repeated log line is due again.
bool due(std::optional<SteadyClock::time_point>& last) {
  const auto now = SteadyClock::now();
  if (last && now - *last < kRepeatLogEvery) return false;
  last = now;
  return true;
}

std::string answer_for_log(const std::string& body) {
  std::string line = body.substr(0, body.find('\n'));
  if (line.size() > kAnswerInLog) line = line.substr(0, kAnswerInLog) + "...";
  return line;
}

std::string base64(const std::string& text) {
  std::string out(4 * ((text.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::vector<std::pair<std::string, std::string>> request_headers(const config::RemoteWrite& c) {
  std::vector<std::pair<std::string, std::string>> h{{"Content-Encoding", "snappy"},
                                                     {"Content-Type", "application/x-protobuf"},
                                                     {"User-Agent", std::string("synthprobe/") + kVersion},
                                                     {"X-Prometheus-Remote-Write-Version", "0.1.0"}};
  if (!c.bearer_token.empty()) h.emplace_back("Authorization", "Bearer " + c.bearer_token);
  if (!c.username.empty()) h.emplace_back("Authorization", "Basic " + base64(c.username + ":" + c.password));
  return h;
}

// One receiver, owned by the service thread.
struct Remote {
  Remote(net::io_context& io, config::RemoteWrite c)
      : config(std::move(c)), headers(request_headers(config)), queue(config.queue_capacity), sample_timer(io),
        retry_timer(io) {}

  config::RemoteWrite config;
  std::vector<std::pair<std::string, std::string>> headers;
  SendQueue queue;
  std::optional<EncodedBatch> in_flight;  // taken from the queue, not yet delivered or given up
  bool sending = false;                   // a request is out
  bool waiting = false;                   // backing off before the next try
  bool failing = false;                   // the last try failed (logged once)
  bool retired = false;                   // removed by a reload or stop(): answers are ignored
  milliseconds backoff{0};
  std::int64_t last_ms = 0;               // the last sample's timestamp: the next one is later
  std::optional<SteadyClock::time_point> last_rejection_log, last_drop_log, last_bad_line_log;
  net::steady_timer sample_timer;
  net::steady_timer retry_timer;
  std::unordered_set<std::string> previous_series;  // to end the series that vanish with a stale marker

  bool idle() const { return !sending && !in_flight && queue.empty(); }
};

}  // namespace

struct RemoteWriteService::Impl {
  Impl(OpenExposition o, RemoteWriteMetrics& m, const Logger& l)
      : open(std::move(o)), metrics(m), logger(l), flush_deadline(io) {}

  OpenExposition open;
  RemoteWriteMetrics& metrics;
  const Logger& logger;
  net::io_context io;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::unique_ptr<CurlMulti> multi;  // made and destroyed with the thread
  std::vector<std::shared_ptr<Remote>> remotes;  // service thread only
  bool flushing = false;                         // stop(): sending what is left, sampling no more
  bool finished = false;                         // everything retired; the thread is ending
  net::steady_timer flush_deadline;
  std::mutex lifecycle;                          // start and stop
  std::thread thread;
  bool stopped = false;

  // ---- sampling ----------------------------------------------------------------------------------

  void schedule_sample(const std::shared_ptr<Remote>& r, milliseconds after) {
    r->sample_timer.expires_after(after);
    r->sample_timer.async_wait([this, r](boost::system::error_code ec) {
      if (ec || r->retired || flushing) return;
      const auto started = SteadyClock::now();
      sample(*r);
      pump(r);
      const auto spent = std::chrono::duration_cast<milliseconds>(SteadyClock::now() - started);
      schedule_sample(r, std::max(milliseconds(0), r->config.interval - spent));
    });
  }

  void count_dropped(Remote& r, std::size_t dropped, const char* why) {
    if (dropped == 0) return;
    metrics.add_dropped(r.config.name, dropped);
    if (due(r.last_drop_log))
      logger.log(LogLevel::warn, "remote_write dropped samples",
                 {{"remote", r.config.name}, {"why", why}, {"samples", std::to_string(dropped)}});
  }

  void enqueue(Remote& r, EncodedBatch batch) { count_dropped(r, r.queue.push(std::move(batch)), "queue full"); }

  // Reads the exposition once, stamps every sample with the time the read began (later than the last
  // sample's, whatever the wall clock did), and queues the batches.
  void sample(Remote& r) {
    const std::int64_t now_ms = std::max(unix_millis(std::chrono::system_clock::now()), r.last_ms + 1);
    r.last_ms = now_ms;
    WriteRequestEncoder encoder(r.config.labels, r.config.max_samples_per_send);
    std::unordered_set<std::string> seen;
    seen.reserve(r.previous_series.size());
    std::size_t bad_lines = 0;
    std::string first_error;
    const PieceSource source = open();
    std::string piece;  // whole lines, and at most one unfinished line carried to the next piece
    bool more = true;
    while (more) {
      more = source(piece);
      std::string_view text = piece;
      while (!text.empty()) {
        const std::size_t end = text.find('\n');
        if (end == std::string_view::npos && more) break;  // the rest of this line is in the next piece
        const std::string_view line = text.substr(0, end);
        text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
        std::string error;
        auto s = read_exposition_line(line, &error);
        if (!s) {
          if (!error.empty() && bad_lines++ == 0) first_error = error;
          continue;
        }
        seen.emplace(s->series);
        if (auto batch = encoder.add(*s, now_ms)) enqueue(r, std::move(*batch));
      }
      piece.erase(0, piece.size() - text.size());
    }
    for (const std::string& series : r.previous_series) {
      if (seen.contains(series)) continue;
      auto s = read_exposition_line(series + " 0");
      if (!s) continue;
      s->value = stale_marker();
      if (auto batch = encoder.add(*s, now_ms)) enqueue(r, std::move(*batch));
    }
    if (auto batch = encoder.finish()) enqueue(r, std::move(*batch));
    r.previous_series = std::move(seen);
    metrics.set_queue(r.config.name, r.queue.samples());
    if (bad_lines > 0 && due(r.last_bad_line_log))
      logger.log(LogLevel::error, "remote_write skipped exposition lines it could not read",
                 {{"remote", r.config.name}, {"lines", std::to_string(bad_lines)}, {"first", first_error}});
  }

  // ---- sending -----------------------------------------------------------------------------------

  void pump(const std::shared_ptr<Remote>& r) {
    if (r->retired || r->sending || r->waiting) return;
    const std::int64_t cutoff = unix_millis(std::chrono::system_clock::now()) -
                                std::chrono::duration_cast<milliseconds>(kMaxSampleAge).count();
    if (r->in_flight && r->in_flight->oldest_ms < cutoff) {
      count_dropped(*r, r->in_flight->samples, "older than an hour");
      r->in_flight.reset();
    }
    count_dropped(*r, r->queue.drop_older_than(cutoff), "older than an hour");
    if (!r->in_flight) {
      if (r->queue.empty()) {
        metrics.set_queue(r->config.name, 0);
        if (flushing) flushed();
        return;
      }
      r->in_flight = r->queue.take();
    }
    metrics.set_queue(r->config.name, r->queue.samples() + r->in_flight->samples);
    HttpPostRequest request;
    request.url = r->config.url;
    request.headers = r->headers;
    request.body = r->in_flight->body;
    request.timeout = r->config.timeout;
    r->sending = true;
    http_post(*multi, std::move(request), [this, r](HttpPostResult result) { answered(r, std::move(result)); });
  }

  void answered(const std::shared_ptr<Remote>& r, HttpPostResult result) {
    r->sending = false;
    if (r->retired) return;
    const std::string& name = r->config.name;
    const std::size_t samples = r->in_flight->samples;
    switch (classify_answer(result.status)) {
      case SendOutcome::delivered:
        metrics.add_sent(name, samples, static_cast<double>(unix_millis(std::chrono::system_clock::now())) / 1000.0);
        if (r->failing) logger.log(LogLevel::info, "remote_write receiver accepts samples again", {{"remote", name}});
        r->failing = false;
        r->backoff = milliseconds(0);
        r->in_flight.reset();
        break;
      case SendOutcome::rejected:
        metrics.add_rejected(name, samples);
        if (due(r->last_rejection_log))
          logger.log(LogLevel::error, "remote_write receiver rejected samples; they are dropped",
                     {{"remote", name},
                      {"status", std::to_string(*result.status)},
                      {"samples", std::to_string(samples)},
                      {"answer", answer_for_log(result.body)}});
        r->in_flight.reset();
        break;
      case SendOutcome::retry:
        metrics.add_retry(name);
        if (!r->failing)
          logger.log(LogLevel::warn, "remote_write receiver failed; retrying with backoff",
                     {{"remote", name},
                      {"status", result.status ? std::to_string(*result.status) : std::string("none")},
                      {"error", result.status ? answer_for_log(result.body) : result.error}});
        r->failing = true;
        r->backoff = next_backoff(r->backoff, r->config.min_backoff, r->config.max_backoff);
        r->waiting = true;
        r->retry_timer.expires_after(retry_wait(r->backoff, result.retry_after));
        r->retry_timer.async_wait([this, r](boost::system::error_code ec) {
          r->waiting = false;
          if (!ec) pump(r);
        });
        return;
    }
    pump(r);
  }

  // ---- receivers come and go -----------------------------------------------------------------------

  void retire(Remote& r, const char* why) {
    r.retired = true;
    r.sample_timer.cancel();
    r.retry_timer.cancel();
    const std::size_t left = r.queue.clear() + (r.in_flight ? r.in_flight->samples : 0);
    r.in_flight.reset();
    metrics.set_queue(r.config.name, 0);
    if (left > 0) {
      metrics.add_dropped(r.config.name, left);
      logger.log(LogLevel::warn, "remote_write samples not sent", {{"remote", r.config.name}, {"why", why},
                                                                    {"samples", std::to_string(left)}});
    }
  }

  // A receiver with the same name and URL keeps its queue, request and series; its other settings apply
  // from now on.
  void update(const std::shared_ptr<Remote>& r, const config::RemoteWrite& c) {
    if (r->config == c) return;
    const bool new_interval = r->config.interval != c.interval;
    r->config = c;
    r->headers = request_headers(c);
    count_dropped(*r, r->queue.set_capacity(c.queue_capacity), "queue_capacity lowered by a reload");
    if (new_interval) schedule_sample(r, c.interval);  // cancels the pending wait
  }

  void install(const std::vector<config::RemoteWrite>& wanted) {
    std::vector<std::shared_ptr<Remote>> next;
    for (const auto& c : wanted) {
      auto same = std::find_if(remotes.begin(), remotes.end(),
                               [&](const auto& r) { return r && r->config.name == c.name && r->config.url == c.url; });
      if (same != remotes.end()) {
        update(*same, c);
        next.push_back(std::move(*same));
        continue;
      }
      auto r = std::make_shared<Remote>(io, c);
      next.push_back(r);
      schedule_sample(r, milliseconds(0));
    }
    for (auto& r : remotes) {
      if (!r) continue;
      retire(*r, "a reload removed the receiver or changed its url");
      const bool name_kept = std::any_of(next.begin(), next.end(), [&](const auto& n) { return n->config.name == r->config.name; });
      if (!name_kept) metrics.forget(r->config.name);
    }
    remotes = std::move(next);
  }

  // ---- stopping ------------------------------------------------------------------------------------

  void start_flush() {
    flushing = true;
    for (auto& r : remotes) {
      r->sample_timer.cancel();
      sample(*r);  // the state at shutdown, the incidents' last word included
    }
    flush_deadline.expires_after(kShutdownFlush);
    flush_deadline.async_wait([this](boost::system::error_code ec) {
      if (!ec) finish();
    });
    for (auto& r : remotes) pump(r);
    flushed();
  }

  // Called whenever a receiver went idle while flushing: finishes once all have.
  void flushed() {
    if (!flushing || finished) return;
    if (std::all_of(remotes.begin(), remotes.end(), [](const auto& r) { return r->idle(); })) finish();
  }

  void finish() {
    if (finished) return;
    finished = true;
    flush_deadline.cancel();
    for (auto& r : remotes) retire(*r, "shutdown");
    // Maybe inside a CurlMulti callback (an answer that emptied the last queue): the multi goes after it
    // returned, abandoning a request still out; then the thread ends.
    net::post(io, [this] {
      multi.reset();
      work.reset();
    });
  }
};

RemoteWriteService::RemoteWriteService(OpenExposition open, RemoteWriteMetrics& metrics, const Logger& logger)
    : impl_(std::make_unique<Impl>(std::move(open), metrics, logger)) {}

RemoteWriteService::~RemoteWriteService() { stop(); }

void RemoteWriteService::configure(const std::vector<config::RemoteWrite>& remotes) {
  std::lock_guard lock(impl_->lifecycle);
  if (impl_->stopped) return;
  if (!impl_->thread.joinable()) {
    if (remotes.empty()) return;
    impl_->work.emplace(impl_->io.get_executor());
    impl_->thread = std::thread([impl = impl_.get()] {
      lower_this_thread_priority(kBackgroundNice);  // reading and compressing give way to the check loop
      impl->multi = std::make_unique<CurlMulti>(impl->io);
      impl->io.run();
    });
  }
  net::post(impl_->io, [impl = impl_.get(), remotes] { impl->install(remotes); });
}

void RemoteWriteService::stop() {
  std::lock_guard lock(impl_->lifecycle);
  if (impl_->stopped) return;
  impl_->stopped = true;
  if (!impl_->thread.joinable()) return;
  net::post(impl_->io, [impl = impl_.get()] { impl->start_flush(); });
  impl_->thread.join();
  impl_->remotes.clear();
}

}  // namespace synthprobe::remote_write
