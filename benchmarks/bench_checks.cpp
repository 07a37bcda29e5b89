// bench_checks: end-to-end measurements of synthprobe against real servers on 127.0.0.1 (issue 6).
//
// Every mode prints `key=value` lines on stdout, which benchmarks/run.sh turns into the table; notes and
// errors go to stderr. Measurements use the operating system's own accounting: getrusage for CPU,
// /proc/<pid>/status (VmRSS, VmHWM) for memory, /proc/<pid>/task/<tid>/stat for the daemon's threads.
// Every load is bounded in count and in time, and every helper process dies with this one.
//
//   bench_checks throughput --url URL [--count N] [--concurrency C] [--max-seconds S] [--checks N]
//   bench_checks names      --name-url URL --ip-url URL --dns-server ADDR:PORT [--count N] [--rounds R]
//                           [--concurrency C]   (the same checks by host name and by IP literal, interleaved)
//   bench_checks bare       --url URL [--count N] [--concurrency C] [--buffersize B] [--max-seconds S]
//                           [--curl-defaults]   (the request a generated check sends, or curl's own)
//   bench_checks versus-bare --url URL [--count N] [--rounds R] [--concurrency C] [--max-seconds S]
//                           (the engine and the bare loop in alternating rounds, one process; N and S
//                           are each side's, split over the rounds)
//   bench_checks inflight   --warm-url URL [--concurrency C] [--bare] [--buffersize B] [--curl-defaults]
//   bench_checks idle       --url URL [--checks N]
//   bench_checks lag        --url URL [--checks N] [--interval 60s] [--seconds S] [--scrape-from S]
//   bench_checks scrape     [--checks N] [--rounds R] [--no-reference] [--gzip]
//   bench_checks scale      [--checks 100000] [--rounds 5] [--target-s 1.5] [--no-reference]
//   bench_checks latency    [--delay-ms D] [--rate R] [--seconds S]
//   bench_checks config-load [--checks N]
//   bench_checks daemon     --synthprobe PATH --url URL [--checks N] [--interval 6s] [--seconds S]
//                           [--scrape-seconds S]
//   bench_checks daemon-load --synthprobe PATH (--url URL | --refused | --blackhole) [--checks N]
//                           [--checks-per-site N] [--interval 5s] [--timeout 2s] [--max-in-flight M]
//                           [--flap-every K --flap-url URL] [--warmup S] [--seconds S] [--nginx-status URL]
//                           [--query 'a=1&b=2&' (before check=<i> in every URL)] [--expect-body TEXT]
//                           [--keep-alive] [--observe-pid PID (the target's CPU per run, from /proc)]
//   bench_checks daemon-scale --synthprobe PATH --url URL [--flap-url URL] [--checks N] [--interval 60s]
//                           [--refused-every 10] [--flap-every 100] [--warmup S] [--seconds S]
//                           [--scrape-every 15] [--gzip]
//   bench_checks observe    --pid PID --base http://127.0.0.1:PORT [--checks N] [--interval I] [--seconds S]
//                           [--nginx-status URL]
//                           (the daemon-load window on a daemon started elsewhere)
//   bench_checks blackhole  [--seconds S]           (accepts and never answers; prints port=P)
//   bench_checks poll       --url URL [--rate 20] [--seconds S]  (GETs on a schedule, reports their times)
//   bench_checks gen-config --out FILE [--checks N] [--checks-per-site N] [--url URL] [--interval I]
//                           [--timeout T] [--listen ADDR] [--state-dir DIR] [--max-in-flight M]
//                           [--flap-every K --flap-url URL]
//   bench_checks free-port                          (prints a free port on 127.0.0.1)
//   bench_checks get --url URL [--timeout-ms T]     (prints the body; exit 0 for a 200)

#include <arpa/inet.h>
#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>
#include <zlib.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "benchmarks/bench_config.h"
#include "config/config_loader.h"
#include "config/duration.h"
#include "exporters/metrics/check_metrics.h"
#include "exporters/metrics/metrics_text.h"
#include "exporters/metrics/probe_identity.h"
#include "exporters/metrics/self_metrics.h"
#include "exporters/web/http_server.h"
#include "exporters/web/status_page.h"
#include "probe/daemon/check_slot.h"
#include "probe/daemon/daemon.h"
#include "probe/engine/check_runner.h"
#include "probe/engine/curl_multi.h"
#include "probe/engine/scheduler.h"
#include "probe/health/check_status.h"
#include "probe/health/uptime_history.h"

namespace net = boost::asio;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using synthprobe::bench::GeneratedConfig;

namespace {

// ---- arguments and output ------------------------------------------------------------------------

class Args {
 public:
  Args(int argc, char** argv) {
    for (int i = 2; i < argc; ++i) {
      std::string key = argv[i];
      if (!key.starts_with("--")) die("unexpected argument " + key);
      key = key.substr(2);
      if (i + 1 < argc && !std::string_view(argv[i + 1]).starts_with("--")) {
        values_[key] = argv[++i];
      } else {
        values_[key] = "1";
      }
    }
  }
  std::string str(const std::string& key, std::string fallback = "") const {
    auto it = values_.find(key);
    return it == values_.end() ? fallback : it->second;
  }
  double num(const std::string& key, double fallback) const {
    auto it = values_.find(key);
    return it == values_.end() ? fallback : std::stod(it->second);
  }
  bool flag(const std::string& key) const { return values_.contains(key); }
  std::string required(const std::string& key) const {
    auto it = values_.find(key);
    if (it == values_.end()) die("--" + key + " is required");
    return it->second;
  }

  [[noreturn]] static void die(const std::string& message) {
    std::cerr << "bench_checks: " << message << '\n';
    std::exit(2);
  }

 private:
  std::map<std::string, std::string> values_;
};

template <typename T>
void emit(std::string_view key, const T& value) {
  std::cout << key << '=' << value << '\n';
}

std::string fixed(double v, int decimals) {
  if (std::isnan(v)) return "n/a";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// ---- operating system accounting -----------------------------------------------------------------

// A number field of /proc/<pid>/status ("VmRSS:" in KiB, "voluntary_ctxt_switches:", ...): the whole
// process's for memory, the main thread's for per-thread fields such as the context switches.
long status_number(const char* field, pid_t pid = 0) {
  const std::string path = pid ? "/proc/" + std::to_string(pid) + "/status" : "/proc/self/status";
  std::ifstream in(path);
  std::string line;
  const std::size_t n = std::strlen(field);
  while (std::getline(in, line)) {
    if (line.compare(0, n, field) == 0) return std::atol(line.c_str() + n);
  }
  return -1;
}

double cpu_seconds(int who = RUSAGE_SELF) {
  rusage ru{};
  getrusage(who, &ru);
  auto secs = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6; };
  return secs(ru.ru_utime) + secs(ru.ru_stime);
}

// utime + stime of /proc/<path>/stat, in seconds.
double stat_cpu_seconds(const std::string& stat_path) {
  std::ifstream in(stat_path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto close = text.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream fields(text.substr(close + 2));
  std::string f;
  long utime = 0, stime = 0;
  // Fields after the command: state is field 3; utime and stime are fields 14 and 15.
  for (int i = 3; i <= 15 && fields >> f; ++i) {
    if (i == 14) utime = std::atol(f.c_str());
    if (i == 15) stime = std::atol(f.c_str());
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

Clock::duration secs(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

void raise_fd_limit() {
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);
}

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return NAN;
  const auto k = static_cast<std::size_t>(std::min<double>(v.size() - 1, std::ceil(q * v.size()) - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

// ---- configs -------------------------------------------------------------------------------------

fs::path make_temp_dir() {
  std::string tmpl = (fs::temp_directory_path() / "synthprobe-bench-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) Args::die("mkdtemp failed");
  return tmpl;
}

// Removes its folder when the mode ends, normally or through end_mode().
struct TempDir {
  fs::path path = make_temp_dir();
  ~TempDir() { remove(); }
  void remove() const {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

// Ends a mode without tearing down what it built (100,000 checks, transfers waiting on their timeouts).
[[noreturn]] void end_mode(const TempDir* dir = nullptr) {
  std::cout.flush();
  if (dir) dir->remove();
  _exit(0);
}

synthprobe::config::Config load_or_die(const std::string& toml, const std::string& name = "bench.toml") {
  auto loaded = synthprobe::config::load_config_string(toml, name);
  if (!loaded.config) {
    for (const auto& e : loaded.errors) std::cerr << e.to_string() << '\n';
    Args::die("generated config did not load");
  }
  return std::move(*loaded.config);
}

std::shared_ptr<const synthprobe::config::Check> one_check(const std::string& url, const std::string& timeout) {
  GeneratedConfig g;
  g.checks = 1;
  g.url = url;
  g.timeout = timeout;
  g.interval = "120s";
  auto cfg = load_or_die(synthprobe::bench::generate_toml(g));
  return std::make_shared<const synthprobe::config::Check>(cfg.checks.at(0));
}

std::string write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) Args::die("cannot write " + path.string());
  return path.string();
}

// ---- helper servers (child processes that die with us) -------------------------------------------

int listen_loopback(int backlog, unsigned short& port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, backlog) != 0)
    Args::die("cannot listen on 127.0.0.1");
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  port = ntohs(addr.sin_port);
  return fd;
}

unsigned short free_port() {
  unsigned short port = 0;
  const int fd = listen_loopback(1, port);
  ::close(fd);
  return port;
}

// Accepts connections and never answers; one byte per accepted connection goes to `report_fd`. A
// connection stays open until its client closes it (then it is closed here too): a black hole that kept
// every socket would leave the client's ports in FIN_WAIT2 and, at 1,000 timeouts a second, exhaust
// 127.0.0.1's ephemeral ports within half a minute (connect() then fails after scanning the range).
[[noreturn]] void serve_blackhole(int listen_fd, int report_fd, int seconds) {
  alarm(static_cast<unsigned>(seconds));  // bounded: SIGALRM ends us
  raise_fd_limit();
  fcntl(listen_fd, F_SETFL, fcntl(listen_fd, F_GETFL) | O_NONBLOCK);
  const int ep = epoll_create1(EPOLL_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = listen_fd;
  epoll_ctl(ep, EPOLL_CTL_ADD, listen_fd, &ev);
  std::vector<epoll_event> events(256);
  char sink[4096];
  for (;;) {
    const int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), -1);
    for (int i = 0; i < n; ++i) {
      const int fd = events[static_cast<std::size_t>(i)].data.fd;
      if (fd == listen_fd) {
        for (;;) {
          const int conn = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
          if (conn < 0) {
            if (errno == EMFILE || errno == ENFILE) ::usleep(10000);
            break;
          }
          epoll_event cev{};
          cev.events = EPOLLIN | EPOLLRDHUP;
          cev.data.fd = conn;
          epoll_ctl(ep, EPOLL_CTL_ADD, conn, &cev);
          if (report_fd >= 0) (void)!::write(report_fd, "x", 1);
        }
        continue;
      }
      // The request (read and dropped), or the client's close.
      ssize_t got;
      while ((got = ::read(fd, sink, sizeof sink)) > 0) {
      }
      if (got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) ::close(fd);
    }
  }
}

struct Child {
  pid_t pid = -1;
  unsigned short port = 0;
  int report_fd = -1;  // blackhole only
  std::size_t accepted = 0;

  // Reads what the child reported so far.
  std::size_t poll_accepted() {
    char buf[4096];
    for (;;) {
      const ssize_t n = ::read(report_fd, buf, sizeof buf);
      if (n <= 0) break;
      accepted += static_cast<std::size_t>(n);
    }
    return accepted;
  }
  ~Child() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
};

void die_with_parent() {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() == 1) _exit(0);
}

// Must be called before this process starts any thread.
std::unique_ptr<Child> spawn_blackhole(int seconds) {
  auto child = std::make_unique<Child>();
  const int fd = listen_loopback(4096, child->port);
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) Args::die("pipe failed");
  child->pid = fork();
  if (child->pid == 0) {
    die_with_parent();
    ::close(pipe_fds[0]);
    serve_blackhole(fd, pipe_fds[1], seconds);
  }
  ::close(fd);
  ::close(pipe_fds[1]);
  child->report_fd = pipe_fds[0];
  fcntl(child->report_fd, F_SETFL, O_NONBLOCK);
  return child;
}

// An HTTP server that answers every request after `delay`, with a 4 KiB page and Connection: close.
// It measures itself, so the table can tell the server's own lateness from the probe's error: how late
// its timers fired, and how long each connection took from accept to the response written.
class DelayServer {
 public:
  DelayServer(net::io_context& io, int listen_fd, std::chrono::milliseconds delay)
      : io_(io), acceptor_(io, net::ip::tcp::v4(), listen_fd), delay_(delay) {
    response_ = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 4096\r\nConnection: close\r\n\r\n" +
                std::string(4096, 'x');
    accept();
  }

  // key=value lines: the server's view of the delays it served.
  std::string report() const {
    return "server_connections=" + std::to_string(hold_ms_.size()) +
           "\nserver_timer_late_p99_ms=" + fixed(percentile(late_ms_, 0.99), 3) +
           "\nserver_hold_p50_ms=" + fixed(percentile(hold_ms_, 0.50), 3) +
           "\nserver_hold_p99_ms=" + fixed(percentile(hold_ms_, 0.99), 3) +
           "\nserver_cpu_us_per_connection=" +
           fixed(cpu_seconds() * 1e6 / static_cast<double>(std::max<std::size_t>(1, hold_ms_.size())), 1) + "\n";
  }

 private:
  struct Conn {
    explicit Conn(net::io_context& io) : socket(io), timer(io) {}
    net::ip::tcp::socket socket;
    net::steady_timer timer;
    net::streambuf request;
    Clock::time_point accepted;
  };

  static double ms_between(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
  }

  void accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, net::ip::tcp::socket s) {
      if (!ec) serve(std::move(s));
      accept();
    });
  }

  void serve(net::ip::tcp::socket s) {
    auto c = std::make_shared<Conn>(io_);
    c->socket = std::move(s);
    c->accepted = Clock::now();
    net::async_read_until(c->socket, c->request, "\r\n\r\n", [this, c](boost::system::error_code ec, std::size_t) {
      if (ec) return;
      const auto due = Clock::now() + delay_;
      c->timer.expires_at(due);
      c->timer.async_wait([this, c, due](boost::system::error_code) {
        late_ms_.push_back(ms_between(due, Clock::now()));
        net::async_write(c->socket, net::buffer(response_), [this, c](boost::system::error_code, std::size_t) {
          hold_ms_.push_back(ms_between(c->accepted, Clock::now()));
          boost::system::error_code ignored;
          c->socket.shutdown(net::ip::tcp::socket::shutdown_send, ignored);
          c->socket.close(ignored);
        });
      });
    });
  }

  net::io_context& io_;
  net::ip::tcp::acceptor acceptor_;
  std::chrono::milliseconds delay_;
  std::string response_;
  std::vector<double> late_ms_;
  std::vector<double> hold_ms_;
};

// The delay server in a child process; SIGTERM makes it write its report to its pipe and exit.
std::unique_ptr<Child> spawn_delay_server(std::chrono::milliseconds delay, int seconds) {
  auto child = std::make_unique<Child>();
  const int fd = listen_loopback(4096, child->port);
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) Args::die("pipe failed");
  child->pid = fork();
  if (child->pid == 0) {
    die_with_parent();
    ::close(pipe_fds[0]);
    alarm(static_cast<unsigned>(seconds));
    raise_fd_limit();
    net::io_context io(1);
    DelayServer server(io, fd, delay);
    net::signal_set signals(io, SIGTERM);
    signals.async_wait([&](boost::system::error_code, int) {
      const std::string report = server.report();
      (void)!::write(pipe_fds[1], report.data(), report.size());
      _exit(0);
    });
    io.run();
    _exit(0);
  }
  ::close(fd);
  ::close(pipe_fds[1]);
  child->report_fd = pipe_fds[0];
  return child;
}

// Stops the delay server and returns its report.
std::string delay_server_report(Child& server) {
  ::kill(server.pid, SIGTERM);
  std::string report;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(server.report_fd, buf, sizeof buf);  // EOF when the child exits
    if (n <= 0) break;
    report.append(buf, static_cast<std::size_t>(n));
  }
  ::waitpid(server.pid, nullptr, 0);
  server.pid = -1;
  return report;
}

// ---- blocking HTTP client for the daemon mode ----------------------------------------------------

struct HttpGet {
  long status = 0;
  std::string body;
  double seconds = 0;
  bool ok = false;
};

HttpGet http_get(const std::string& url, long timeout_ms) {
  HttpGet out;
  CURL* easy = curl_easy_init();
  curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(easy, CURLOPT_PROXY, "");
  curl_easy_setopt(
      easy, CURLOPT_WRITEFUNCTION, +[](char* data, std::size_t size, std::size_t n, void* body) {
        static_cast<std::string*>(body)->append(data, size * n);
        return size * n;
      });
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &out.body);
  const auto t0 = Clock::now();
  out.ok = curl_easy_perform(easy) == CURLE_OK;
  out.seconds = seconds_since(t0);
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &out.status);
  curl_easy_cleanup(easy);
  return out;
}

// What the daemon modes read from one /metrics scrape. Every series carries `probe` and `region` labels;
// a line is matched by its metric name followed by `{`.
struct Snapshot {
  double runs = 0;      // sum of probe_all_success_count: runs finished and recorded
  double passed = 0;    // sum of probe_all_success_sum
  double skipped = 0;   // synthprobe_checks_skipped_total
  double delayed = 0;   // synthprobe_checks_delayed_total
  double saturated = -1;  // synthprobe_probe_saturated (-1: not exported)
  double in_flight_limit = -1;  // synthprobe_checks_in_flight_limit (-1: not exported)
  double checks_down = 0;     // checks whose synthprobe_check_state is 2 (down)
  double incidents_open = 0;  // sum of synthprobe_incident_open
  std::vector<std::pair<double, double>> lag;  // synthprobe_scheduler_lag_seconds buckets (le, cumulative)
  double seconds = 0;                          // how long the scrape took
  std::size_t bytes = 0;       // the text
  std::size_t wire_bytes = 0;  // on the wire (less than `bytes` when compressed)
  bool ok = false;
  // Taken around the scrape: the wall time and the daemon's CPU (whole process and check-loop thread)
  // just before the request and just after the reply. The daemon copies its counters first thing, so the
  // counters belong to `before`; the scrape's own rendering falls between `before` and `after`.
  Clock::time_point before, after;
  double proc_cpu_before = 0, proc_cpu_after = 0, loop_cpu_before = 0, loop_cpu_after = 0;
  // The check loop's context switches (it is the main thread) just before the request: the times it
  // slept (voluntary) and the times another task took its core (involuntary).
  long loop_sleeps = 0, loop_preempted = 0;
};

double sample_value(std::string_view line) {
  const auto space = line.rfind(' ');
  return std::strtod(std::string(line.substr(space + 1)).c_str(), nullptr);
}

// Reads a /metrics body line by line as it arrives, as Prometheus does, so that a scrape of 100,000 checks
// (hundreds of megabytes) is never held whole in this process.
class MetricsReader {
 public:
  void feed(const char* data, std::size_t size) {
    std::string_view text(data, size);
    bytes_ += size;
    while (!text.empty()) {
      const auto eol = text.find('\n');
      if (eol == std::string_view::npos) {
        partial_.append(text);
        return;
      }
      if (partial_.empty()) {
        line(text.substr(0, eol));
      } else {
        partial_.append(text.substr(0, eol));
        line(partial_);
        partial_.clear();
      }
      text.remove_prefix(eol + 1);
    }
  }
  // The snapshot, once the body has ended.
  Snapshot finish() {
    if (!partial_.empty()) line(partial_);
    partial_.clear();
    s_.bytes = bytes_;
    return s_;
  }

 private:
  void line(std::string_view line) {
    auto named = [&](std::string_view name) {
      return line.starts_with(name) && line.size() > name.size() && line[name.size()] == '{';
    };
    if (line.empty() || line[0] == '#' || line.rfind(' ') == std::string_view::npos) return;
    if (named("probe_all_success_count")) {
      s_.runs += sample_value(line);
    } else if (named("probe_all_success_sum")) {
      s_.passed += sample_value(line);
    } else if (named("synthprobe_check_state")) {
      s_.checks_down += sample_value(line) == 2 ? 1 : 0;
    } else if (named("synthprobe_checks_skipped_total")) {
      s_.skipped = sample_value(line);
    } else if (named("synthprobe_checks_delayed_total")) {
      s_.delayed = sample_value(line);
    } else if (named("synthprobe_probe_saturated")) {
      s_.saturated = sample_value(line);
    } else if (named("synthprobe_checks_in_flight_limit")) {
      s_.in_flight_limit = sample_value(line);
    } else if (named("synthprobe_incident_open")) {
      s_.incidents_open += sample_value(line);
    } else if (named("synthprobe_scheduler_lag_seconds_bucket")) {
      const auto le = line.find("le=\"");
      if (le == std::string_view::npos) return;
      const std::string bound(line.substr(le + 4, line.find('"', le + 4) - le - 4));
      const double upper = bound == "+Inf" ? INFINITY : std::strtod(bound.c_str(), nullptr);
      s_.lag.emplace_back(upper, sample_value(line));
    }
  }

  Snapshot s_;
  std::string partial_;
  std::size_t bytes_ = 0;
};

// GET /metrics, read as it arrives. With `gzip`, asks for a compressed body (as Prometheus does) and
// counts the bytes on the wire in `wire_bytes`; `bytes` is always the decoded text.
Snapshot get_metrics(const std::string& url, long timeout_ms, bool gzip = false) {
  MetricsReader reader;
  CURL* easy = curl_easy_init();
  curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(easy, CURLOPT_PROXY, "");
  if (gzip) curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "gzip");
  curl_easy_setopt(
      easy, CURLOPT_WRITEFUNCTION, +[](char* data, std::size_t size, std::size_t n, void* r) {
        static_cast<MetricsReader*>(r)->feed(data, size * n);
        return size * n;
      });
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &reader);
  const auto t0 = Clock::now();
  const bool ok = curl_easy_perform(easy) == CURLE_OK;
  const double seconds = seconds_since(t0);
  long status = 0;
  curl_off_t wire = 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_getinfo(easy, CURLINFO_SIZE_DOWNLOAD_T, &wire);
  curl_easy_cleanup(easy);
  Snapshot s = reader.finish();
  s.ok = ok && status == 200;
  s.seconds = seconds;
  s.wire_bytes = static_cast<std::size_t>(wire);
  return s;
}

// The upper bound (seconds) of the bucket holding quantile q of the lags observed between two snapshots:
// INFINITY past the last finite bound, NAN without observations.
double lag_quantile_bound(const Snapshot& a, const Snapshot& b, double q) {
  if (a.lag.size() != b.lag.size() || b.lag.empty()) return NAN;
  const double total = b.lag.back().second - a.lag.back().second;
  if (total <= 0) return NAN;
  for (std::size_t i = 0; i < b.lag.size(); ++i) {
    if (b.lag[i].second - a.lag[i].second >= q * total) return b.lag[i].first;
  }
  return NAN;
}

// The same as text for the table: "<=2.5ms", ">10000.0ms" past the last bound, or "n/a".
std::string lag_quantile(const Snapshot& a, const Snapshot& b, double q) {
  const double bound = lag_quantile_bound(a, b, q);
  if (std::isnan(bound)) return "n/a";
  if (std::isinf(bound)) return ">" + fixed(b.lag[b.lag.size() - 2].first * 1000, 1) + "ms";
  return "<=" + fixed(bound * 1000, 1) + "ms";
}

// `synthprobe run` on a config in a child process that dies with us; its stdout and stderr go to `log`.
// Measured from outside: /proc/<pid>/stat (whole process), /proc/<pid>/task/<pid>/stat (the main thread,
// which runs the check loop: run_daemon() calls io.run() there) and /metrics.
class DaemonProcess {
 public:
  DaemonProcess(const std::string& exe, const std::string& config_path, const std::string& log,
                unsigned short port)
      : base_("http://127.0.0.1:" + std::to_string(port)) {
    pid_ = fork();
    if (pid_ == 0) {
      die_with_parent();
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      execl(exe.c_str(), exe.c_str(), "run", "--config", config_path.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    owned_ = true;
    set_stat_paths();
  }
  // A daemon started by someone else (under strace, say): measured, never stopped.
  DaemonProcess(pid_t pid, const std::string& base) : base_(base), pid_(pid) { set_stat_paths(); }
  ~DaemonProcess() { stop(); }
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;

  const std::string& base() const { return base_; }
  pid_t pid() const { return pid_; }

  // Waits for /-/ready (every check has its first run on the schedule); dies after `seconds`.
  void wait_ready(double seconds = 120) {
    const auto ready_by = Clock::now() + secs(seconds);
    while (http_get(base_ + "/-/ready", 1000).status != 200) {
      if (Clock::now() > ready_by || ::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        stop();
        Args::die("the daemon did not become ready; see its log");
      }
      ::usleep(100000);
    }
  }

  Snapshot scrape(bool gzip = false, long timeout_ms = 60000) {
    const auto before = Clock::now();
    const double loop0 = stat_cpu_seconds(loop_stat_);
    const double proc0 = stat_cpu_seconds(proc_stat_);
    const long sleeps0 = status_number("voluntary_ctxt_switches:", pid_);
    const long preempted0 = status_number("nonvoluntary_ctxt_switches:", pid_);
    Snapshot s = get_metrics(base_ + "/metrics", timeout_ms, gzip);
    s.loop_sleeps = sleeps0;
    s.loop_preempted = preempted0;
    s.before = before;
    s.loop_cpu_before = loop0;
    s.proc_cpu_before = proc0;
    s.loop_cpu_after = stat_cpu_seconds(loop_stat_);
    s.proc_cpu_after = stat_cpu_seconds(proc_stat_);
    s.after = Clock::now();
    return s;
  }

  long rss_kib() const { return status_number("VmRSS:", pid_); }
  long peak_rss_kib() const { return status_number("VmHWM:", pid_); }
  double cpu_seconds() const { return stat_cpu_seconds(proc_stat_); }

  // SIGTERM (the daemon drains), then SIGKILL after 15 s.
  void stop() {
    if (pid_ <= 0 || !owned_) return;
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 150; ++i) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      ::usleep(100000);
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  void set_stat_paths() {
    proc_stat_ = "/proc/" + std::to_string(pid_) + "/stat";
    loop_stat_ = "/proc/" + std::to_string(pid_) + "/task/" + std::to_string(pid_) + "/stat";
  }

  std::string base_;
  pid_t pid_ = -1;
  bool owned_ = false;
  std::string proc_stat_, loop_stat_;
};

// Rates over the window between two scrapes. Counters are read at each scrape's start, so runs per second
// span [a.before, b.before]; CPU is taken over [a.after, b.before], which leaves out the first scrape's
// rendering (a /metrics of 20,000 checks is seconds of CPU on the HTTP thread) and is divided by the
// run rate, so the two windows need not match.
struct Window {
  double seconds = 0;
  double runs = 0;
  double runs_per_s = 0;
  double proc_cpu_us_per_run = NAN;
  double loop_cpu_us_per_run = NAN;
  double loop_cpu_share = NAN;  // of one core
  double loop_sleeps_per_run = NAN;     // the check loop's voluntary context switches
  double loop_preempted_per_run = NAN;  // and involuntary ones
};

Window window_between(const Snapshot& a, const Snapshot& b) {
  Window w;
  w.seconds = std::chrono::duration<double>(b.before - a.before).count();
  w.runs = b.runs - a.runs;
  w.runs_per_s = w.seconds > 0 ? w.runs / w.seconds : 0;
  const double cpu_seconds = std::chrono::duration<double>(b.before - a.after).count();
  if (cpu_seconds > 0 && w.runs_per_s > 0) {
    w.proc_cpu_us_per_run = (b.proc_cpu_before - a.proc_cpu_after) / cpu_seconds / w.runs_per_s * 1e6;
    w.loop_cpu_us_per_run = (b.loop_cpu_before - a.loop_cpu_after) / cpu_seconds / w.runs_per_s * 1e6;
    w.loop_cpu_share = (b.loop_cpu_before - a.loop_cpu_after) / cpu_seconds;
  }
  if (w.runs > 0) {
    w.loop_sleeps_per_run = static_cast<double>(b.loop_sleeps - a.loop_sleeps) / w.runs;
    w.loop_preempted_per_run = static_cast<double>(b.loop_preempted - a.loop_preempted) / w.runs;
  }
  return w;
}

double interval_seconds(const std::string& text) {
  std::string error;
  const auto d = synthprobe::config::parse_duration(text, error);
  if (!d) Args::die("bad interval " + text + ": " + error);
  return std::chrono::duration<double>(*d).count();
}

// ---- running checks in-process -------------------------------------------------------------------

// A CurlMulti + CheckRunner on one io_context, recording every result into CheckMetrics as the daemon does.
struct Engine {
  Engine() = default;
  explicit Engine(const synthprobe::DnsResolver::Options& dns) : runner{multi, dns} {}
  net::io_context io{1};
  synthprobe::CurlMulti multi{io};
  synthprobe::CheckRunner runner{multi};
  synthprobe::CheckMetrics metrics{"bench", "local"};
};

struct BatchResult {
  std::size_t done = 0;
  std::size_t failed = 0;
  std::string first_error;
  double seconds = 0;
  double cpu = 0;
};

using CheckList = std::vector<std::shared_ptr<const synthprobe::config::Check>>;

// Runs `count` checks keeping `concurrency` in flight, taking `checks` in turn (metrics id = index);
// stops starting new ones after max_seconds. Through the runner's RunReceiver interface, as the daemon
// starts its runs (no closure per run).
class BatchRun final : public synthprobe::RunReceiver {
 public:
  BatchRun(Engine& e, const CheckList& checks, std::size_t count, std::size_t concurrency, double max_seconds)
      : e_(e), checks_(checks), count_(count), concurrency_(concurrency), max_seconds_(max_seconds) {}

  BatchResult run() {
    const auto t0 = Clock::now();
    stop_starting_ = t0 + secs(max_seconds_);
    const double cpu0 = cpu_seconds();
    fill();
    e_.io.restart();
    e_.io.run_for(secs(max_seconds_ + 30));
    out_.seconds = seconds_since(t0);
    out_.cpu = cpu_seconds() - cpu0;
    return out_;
  }

  void on_run_done(std::uint32_t id, std::uint64_t, synthprobe::RunResult&& r) override {
    ++out_.done;
    if (!r.success && out_.failed++ == 0) out_.first_error = r.message;
    e_.metrics.record(id, r, unix_now());
    fill();
  }

 private:
  void fill() {
    while (started_ < count_ && e_.runner.in_flight() < concurrency_ && Clock::now() < stop_starting_) {
      const auto id = static_cast<std::uint32_t>(started_ % checks_.size());
      e_.runner.run(checks_[id], *this, id, started_++);
    }
  }

  Engine& e_;
  const CheckList& checks_;
  const std::size_t count_;
  const std::size_t concurrency_;
  const double max_seconds_;
  Clock::time_point stop_starting_;
  std::size_t started_ = 0;
  BatchResult out_;
};

BatchResult run_batch(Engine& e, const CheckList& checks, std::size_t count, std::size_t concurrency,
                      double max_seconds) {
  return BatchRun(e, checks, count, concurrency, max_seconds).run();
}

BatchResult run_batch(Engine& e, const std::shared_ptr<const synthprobe::config::Check>& check, std::size_t count,
                      std::size_t concurrency, double max_seconds) {
  return run_batch(e, CheckList{check}, count, concurrency, max_seconds);
}

// ---- modes ---------------------------------------------------------------------------------------

void emit_batch(const std::string& prefix, const BatchResult& r) {
  emit(prefix + "checks", r.done);
  emit(prefix + "failed", r.failed);
  emit(prefix + "seconds", fixed(r.seconds, 3));
  emit(prefix + "checks_per_s", fixed(r.done / r.seconds, 0));
  emit(prefix + "cpu_us_per_check", fixed(r.cpu * 1e6 / std::max<std::size_t>(1, r.done), 1));
  emit(prefix + "cpu_cores", fixed(r.cpu / r.seconds, 2));
}

void add_to(BatchResult& total, const BatchResult& r) {
  total.done += r.done;
  total.failed += r.failed;
  if (total.first_error.empty()) total.first_error = r.first_error;
  total.seconds += r.seconds;
  total.cpu += r.cpu;
}


// --checks N: N distinct checks (as the daemon's config would have them, each URL and series its own),
// taken in turn, instead of one check over and over: the engine's rate for a config of that size, with the
// cache misses of touching N checks' state.
int mode_throughput(const Args& a) {
  const auto count = static_cast<std::size_t>(a.num("count", 20000));
  const auto concurrency = static_cast<std::size_t>(a.num("concurrency", 64));
  const auto distinct = static_cast<std::size_t>(std::max(1.0, a.num("checks", 1)));
  GeneratedConfig g;  // as one_check() does, for `distinct` checks
  g.checks = distinct;
  g.url = a.required("url");
  g.timeout = "5s";
  g.interval = "120s";
  CheckList checks;
  for (const auto& c : load_or_die(synthprobe::bench::generate_toml(g)).checks)
    checks.push_back(std::make_shared<const synthprobe::config::Check>(c));
  Engine e;
  e.metrics.configure(checks);
  // Warm-up (pools, caches): one round over every check, at least 500 runs.
  run_batch(e, checks, std::max<std::size_t>(std::min<std::size_t>(count, 500), distinct), concurrency, 10);
  const BatchResult r = run_batch(e, checks, count, concurrency, a.num("max-seconds", 30));
  emit_batch("", r);
  if (r.failed) std::cerr << "first failure: " << r.first_error << '\n';
  emit("peak_rss_kib", status_number("VmHWM:"));
  return 0;
}

// Checks to a host name (looked up through --dns-server on every run: fresh connections) against the same
// checks to the IP literal, in alternating batches on one engine, so both see the same machine state.
int mode_names(const Args& a) {
  synthprobe::DnsResolver::Options dns;
  dns.servers = {a.required("dns-server")};
  const auto by_name = one_check(a.required("name-url"), "5s");
  const auto by_ip = one_check(a.required("ip-url"), "5s");
  const auto count = static_cast<std::size_t>(a.num("count", 20000));
  const auto rounds = static_cast<std::size_t>(a.num("rounds", 6));
  const auto concurrency = static_cast<std::size_t>(a.num("concurrency", 64));
  Engine e(dns);
  e.metrics.configure({by_name});
  for (const auto& check : {by_name, by_ip}) {
    const BatchResult warm = run_batch(e, check, 500, concurrency, 10);  // warm-up, and proof both answer
    if (warm.failed) Args::die("warm-up failed: " + warm.first_error);
  }
  BatchResult name_total, ip_total;
  for (std::size_t round = 0; round < rounds; ++round) {
    for (const bool name_first : {round % 2 == 0, round % 2 != 0}) {
      const BatchResult r = run_batch(e, name_first ? by_name : by_ip, count / rounds, concurrency, 30);
      add_to(name_first ? name_total : ip_total, r);
    }
  }
  const double name_us = name_total.cpu * 1e6 / std::max<std::size_t>(1, name_total.done);
  const double ip_us = ip_total.cpu * 1e6 / std::max<std::size_t>(1, ip_total.done);
  emit("name_checks", name_total.done);
  emit("name_failed", name_total.failed);
  if (name_total.failed) std::cerr << "first failure by name: " << name_total.first_error << '\n';
  emit("ip_checks", ip_total.done);
  emit("ip_failed", ip_total.failed);
  if (ip_total.failed) std::cerr << "first failure by IP: " << ip_total.first_error << '\n';
  emit("name_cpu_us_per_check", fixed(name_us, 1));
  emit("ip_cpu_us_per_check", fixed(ip_us, 1));
  emit("name_checks_per_s", fixed(name_total.done / name_total.seconds, 0));
  emit("ip_checks_per_s", fixed(ip_total.done / ip_total.seconds, 0));
  emit("ratio", fixed(name_us / ip_us, 2));
  emit("threads", status_number("Threads:"));
  return 0;
}

std::size_t discard(char*, std::size_t size, std::size_t n, void*) { return size * n; }

// The request a generated check sends, for the bare loop to send too (CONTRACT section 9: "a bare libcurl
// multi loop doing the same requests"): the check's header lines as its config has them (User-Agent),
// "Expect:" as synthprobe adds it, and compression asked for as synthprobe does. Taken from a check loaded
// from the same generated config, so it follows what synthprobe sends. `curl_defaults` keeps curl's own
// request instead (no User-Agent, no Accept-Encoding), the reference before 2026-12-03.
class BareRequest {
 public:
  BareRequest(const std::string& url, bool curl_defaults) : curl_defaults_(curl_defaults) {
    if (curl_defaults_) return;
    const auto check = one_check(url, "5s");  // held: a range-for would not keep a temporary's owner alive
    for (const auto& h : check->steps.at(0).request.headers) {
      if (!h.value.is_constant()) Args::die("the generated check has a templated header: " + h.name);
      lines_.push_back(h.name + ": " + h.value.constant_text());
    }
    lines_.push_back("Expect:");
    for (const auto& line : lines_) list_ = curl_slist_append(list_, line.c_str());
  }
  ~BareRequest() { curl_slist_free_all(list_); }
  BareRequest(const BareRequest&) = delete;
  BareRequest& operator=(const BareRequest&) = delete;

  void apply(CURL* easy) const {
    if (curl_defaults_) return;
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, list_);
    curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
  }

 private:
  bool curl_defaults_;
  std::vector<std::string> lines_;
  curl_slist* list_ = nullptr;
};

CURL* bare_easy(const std::string& url, long buffersize, const BareRequest& request) {
  CURL* easy = curl_easy_init();
  request.apply(easy);
  curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_FRESH_CONNECT, 1L);
  curl_easy_setopt(easy, CURLOPT_FORBID_REUSE, 1L);
  curl_easy_setopt(easy, CURLOPT_PROXY, "");
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, 60000L);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &discard);
  if (buffersize > 0) curl_easy_setopt(easy, CURLOPT_BUFFERSIZE, buffersize);
  return easy;
}

// libcurl's own floor: the plain multi loop (perform + poll) with nothing of ours around it. `n` requests,
// `concurrency` in flight, no new one started after max_seconds.
BatchResult run_bare(CURLM* multi, const std::string& url, std::size_t n, std::size_t concurrency, long buffersize,
                     double max_seconds, const BareRequest& request) {
  BatchResult out;
  std::vector<CURL*> easies;
  std::size_t started = 0;
  const auto t0 = Clock::now();
  const double cpu0 = cpu_seconds();
  for (std::size_t i = 0; i < std::min(n, concurrency); ++i) {
    easies.push_back(bare_easy(url, buffersize, request));
    curl_multi_add_handle(multi, easies.back());
    ++started;
  }
  int running = 1;
  while (out.done < started) {
    curl_multi_perform(multi, &running);
    int queued = 0;
    while (CURLMsg* m = curl_multi_info_read(multi, &queued)) {
      if (m->msg != CURLMSG_DONE) continue;
      CURL* easy = m->easy_handle;
      long status = 0;
      curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
      ++out.done;
      if (m->data.result != CURLE_OK || status != 200) ++out.failed;
      curl_multi_remove_handle(multi, easy);
      if (started < n && seconds_since(t0) < max_seconds) {
        curl_multi_add_handle(multi, easy);
        ++started;
      }
    }
    if (out.done < started) curl_multi_poll(multi, nullptr, 0, 100, nullptr);
  }
  out.seconds = seconds_since(t0);
  out.cpu = cpu_seconds() - cpu0;
  for (CURL* easy : easies) curl_easy_cleanup(easy);
  return out;
}

int mode_bare(const Args& a) {
  const std::string url = a.required("url");
  const auto count = static_cast<std::size_t>(a.num("count", 20000));
  const auto concurrency = static_cast<std::size_t>(a.num("concurrency", 64));
  const long buffersize = static_cast<long>(a.num("buffersize", 0));
  const double max_seconds = a.num("max-seconds", 30);
  const BareRequest request(url, a.flag("curl-defaults"));
  curl_global_init(CURL_GLOBAL_DEFAULT);
  CURLM* multi = curl_multi_init();
  run_bare(multi, url, std::min<std::size_t>(count, 500), concurrency, buffersize, max_seconds, request);
  emit_batch("", run_bare(multi, url, count, concurrency, buffersize, max_seconds, request));
  curl_multi_cleanup(multi);
  return 0;
}

// The engine (CheckRunner + CheckMetrics, one check over and over) against the bare loop doing the same
// requests, in alternating rounds in one process (the order swapped every round), so both see the same
// machine state: on a shared virtual machine the same binary's figure moves by several percent from one
// minute to the next, more than the difference measured. The ratios are of the totals; the per-round
// CPU ratios show the spread.
int mode_versus_bare(const Args& a) {
  const std::string url = a.required("url");
  const auto count = static_cast<std::size_t>(a.num("count", 20000));
  const auto rounds = static_cast<std::size_t>(std::max(1.0, a.num("rounds", 5)));
  const auto concurrency = static_cast<std::size_t>(a.num("concurrency", 64));
  const double max_seconds = a.num("max-seconds", 30);
  const BareRequest request(url, false);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  CURLM* multi = curl_multi_init();
  const auto check = one_check(url, "5s");
  Engine e;
  e.metrics.configure({check});
  const std::size_t warm = std::min<std::size_t>(count, 500);
  // Warm-up (pools, caches), and proof both sides get their 200s.
  const BatchResult bare_warm = run_bare(multi, url, warm, concurrency, 0, 10, request);
  if (bare_warm.failed) Args::die("the bare loop's warm-up failed: " + std::to_string(bare_warm.failed) + " of " +
                                  std::to_string(bare_warm.done) + " requests");
  const BatchResult engine_warm = run_batch(e, check, warm, concurrency, 10);
  if (engine_warm.failed) Args::die("the engine's warm-up failed: " + engine_warm.first_error);
  BatchResult bare_total, engine_total;
  std::vector<double> round_ratios;
  const std::size_t per_round = std::max<std::size_t>(1, count / rounds);
  const double seconds_per_round = max_seconds / static_cast<double>(rounds);
  for (std::size_t round = 0; round < rounds; ++round) {
    BatchResult bare, engine;
    for (const bool bare_now : {round % 2 == 0, round % 2 != 0}) {
      if (bare_now)
        bare = run_bare(multi, url, per_round, concurrency, 0, seconds_per_round, request);
      else
        engine = run_batch(e, check, per_round, concurrency, seconds_per_round);
    }
    add_to(bare_total, bare);
    add_to(engine_total, engine);
    if (bare.cpu > 0 && engine.done > 0 && bare.done > 0)
      round_ratios.push_back((engine.cpu / static_cast<double>(engine.done)) / (bare.cpu / static_cast<double>(bare.done)));
  }
  curl_multi_cleanup(multi);
  emit("rounds", rounds);
  emit_batch("bare_", bare_total);
  emit_batch("engine_", engine_total);
  if (engine_total.failed) std::cerr << "first failure: " << engine_total.first_error << '\n';
  if (bare_total.cpu <= 0 || bare_total.done == 0 || engine_total.done == 0) Args::die("a side completed nothing");
  const double bare_us = bare_total.cpu / static_cast<double>(bare_total.done);
  const double engine_us = engine_total.cpu / static_cast<double>(engine_total.done);
  emit("cpu_ratio", fixed(engine_us / bare_us, 2));
  emit("rate_ratio", fixed((engine_total.done / engine_total.seconds) / (bare_total.done / bare_total.seconds), 2));
  std::string spread;
  for (double r : round_ratios) spread += (spread.empty() ? "" : ",") + fixed(r, 2);
  emit("cpu_ratio_rounds", spread);
  return 0;
}

// Memory per in-flight check: C checks held against a server that accepts and never answers.
int mode_inflight(const Args& a) {
  const auto concurrency = static_cast<std::size_t>(a.num("concurrency", 1000));
  const bool bare = a.flag("bare");
  const long buffersize = static_cast<long>(a.num("buffersize", 0));
  const std::string warm_url = a.required("warm-url");
  const BareRequest request(warm_url, a.flag("curl-defaults"));
  auto hole = spawn_blackhole(120);  // before any thread exists
  raise_fd_limit();
  const std::string hole_url = "http://127.0.0.1:" + std::to_string(hole->port) + "/page.html";
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  long rss0 = 0, rss1 = 0;

  std::size_t held = 0;  // transfers still in flight when memory was read
  // Pumps the event loop until the server holds every connection, then a little longer so every request
  // is written and every buffer touched.
  auto settle = [&](const std::function<std::size_t()>& pump) {
    while (Clock::now() < deadline && hole->poll_accepted() < concurrency) pump();
    const auto until = Clock::now() + std::chrono::milliseconds(300);
    while (Clock::now() < until) held = pump();
  };

  if (!bare) {
    Engine e;
    const auto warm = one_check(warm_url, "5s");
    e.metrics.configure({warm});
    run_batch(e, warm, 100, 4, 10);  // warm-up: curl, OpenSSL and allocator state; few pooled handles
    const auto check = one_check(hole_url, "60s");
    rss0 = status_number("VmRSS:");
    for (std::size_t i = 0; i < concurrency; ++i) e.runner.run(check, [](synthprobe::RunResult&&) {});
    e.io.restart();
    settle([&] {
      e.io.run_for(std::chrono::milliseconds(10));
      return e.multi.running();
    });
    rss1 = status_number("VmRSS:");
  } else {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURLM* multi = curl_multi_init();
    {  // warm-up against the real server
      std::vector<CURL*> warm;
      for (int i = 0; i < 4; ++i) {
        warm.push_back(bare_easy(warm_url, buffersize, request));
        curl_multi_add_handle(multi, warm.back());
      }
      int running = 1;
      const auto until = Clock::now() + std::chrono::seconds(10);
      while (running && Clock::now() < until) {
        curl_multi_perform(multi, &running);
        if (running) curl_multi_poll(multi, nullptr, 0, 100, nullptr);
      }
      for (CURL* easy : warm) {
        curl_multi_remove_handle(multi, easy);
        curl_easy_cleanup(easy);
      }
    }
    rss0 = status_number("VmRSS:");
    for (std::size_t i = 0; i < concurrency; ++i) curl_multi_add_handle(multi, bare_easy(hole_url, buffersize, request));
    int running = 0;
    settle([&] {
      curl_multi_perform(multi, &running);
      curl_multi_poll(multi, nullptr, 0, 10, nullptr);
      return static_cast<std::size_t>(running);
    });
    rss1 = status_number("VmRSS:");
  }
  emit("in_flight", held);
  emit("accepted", hole->poll_accepted());
  emit("rss_before_kib", rss0);
  emit("rss_after_kib", rss1);
  emit("kib_per_in_flight", fixed(static_cast<double>(rss1 - rss0) / static_cast<double>(std::max<std::size_t>(1, held)), 1));
  hole.reset();
  end_mode();
}

// Memory per configured idle check: a whole Daemon (config, scheduler, metrics, status) that never runs.
int mode_idle(const Args& a) {
  TempDir dir;
  GeneratedConfig g;
  g.checks = static_cast<std::size_t>(a.num("checks", 10000));
  g.url = a.str("url", g.url);
  g.listen = "127.0.0.1:0";
  g.state_dir = (dir.path / "state").string();
  const std::string path = write_file(dir.path / "idle.toml", synthprobe::bench::generate_toml(g));
  {  // warm-up: the loader's and the daemon's one-off state
    GeneratedConfig small = g;
    small.checks = 10;
    auto loaded = synthprobe::config::load_config_string(synthprobe::bench::generate_toml(small), "warm.toml");
    net::io_context io(1);
    synthprobe::Daemon d(io, "warm.toml", std::move(*loaded.config));
    std::string error;
    d.start(error);
  }
  const long rss0 = status_number("VmRSS:");
  auto loaded = synthprobe::config::load_config_file(path);
  if (!loaded.config) Args::die("generated config did not load");
  const long rss_config = status_number("VmRSS:");
  const double n = static_cast<double>(g.checks);
  if (a.flag("breakdown")) {
    // What the daemon keeps per check, piece by piece (each piece as the daemon builds it).
    long before = rss_config;
    auto step = [&](const char* key) {
      const long now = status_number("VmRSS:");
      emit(key, fixed((now - before) / n, 2));
      before = now;
    };
    std::vector<std::shared_ptr<const synthprobe::config::Check>> shared;
    for (const auto& c : loaded.config->checks) shared.push_back(std::make_shared<const synthprobe::config::Check>(c));
    step("kib_per_check_shared_copy");
    synthprobe::CheckMetrics metrics("bench", "local");
    metrics.configure(shared);
    step("kib_per_check_metrics");
    synthprobe::Scheduler scheduler(1000, Clock::now());
    for (std::size_t i = 0; i < shared.size(); ++i)
      scheduler.add(static_cast<std::uint32_t>(i), shared[i]->name, shared[i]->settings.interval,
                    shared[i]->settings.interval, Clock::now());
    step("kib_per_check_scheduler");
    std::vector<std::unique_ptr<synthprobe::CheckSlot>> slots;
    for (std::size_t i = 0; i < shared.size(); ++i) slots.push_back(std::make_unique<synthprobe::CheckSlot>());
    step("kib_per_check_slot");
    emit("kib_per_check_loaded_config", fixed((rss_config - rss0) / n, 2));
    emit("sizeof_check_slot", sizeof(synthprobe::CheckSlot));
    emit("sizeof_check_status", sizeof(synthprobe::CheckStatus));
    emit("sizeof_uptime_history", sizeof(synthprobe::UptimeHistory));
    end_mode(&dir);
  }
  net::io_context io(1);
  synthprobe::Daemon daemon(io, path, std::move(*loaded.config));
  std::string error;
  if (!daemon.start(error)) Args::die("daemon did not start: " + error);
  const long rss1 = status_number("VmRSS:");
  malloc_trim(0);
  const long rss2 = status_number("VmRSS:");
  emit("checks", g.checks);
  emit("kib_per_check", fixed((rss1 - rss0) / n, 2));
  emit("kib_per_check_after_trim", fixed((rss2 - rss0) / n, 2));
  emit("kib_per_check_loaded_config", fixed((rss_config - rss0) / n, 2));
  end_mode(&dir);
}

// 100,000 checks on their intervals, scheduled as the daemon does: Scheduler + CheckRunner + CheckMetrics
// on one io_context. Exact lag percentiles, and every check's runs compared with its grid.
int mode_lag(const Args& a) {
  TempDir dir;
  GeneratedConfig g;
  g.checks = static_cast<std::size_t>(a.num("checks", 100000));
  g.url = a.required("url");
  g.interval = a.str("interval", "60s");
  g.timeout = a.str("timeout", "5s");
  const double seconds = a.num("seconds", 60);
  const double scrape_from = a.num("scrape-from", -1);
  const std::string path = write_file(dir.path / "lag.toml", synthprobe::bench::generate_toml(g));
  auto loaded = synthprobe::config::load_config_file(path);
  if (!loaded.config) Args::die("generated config did not load");
  raise_fd_limit();

  std::vector<std::shared_ptr<const synthprobe::config::Check>> checks;
  checks.reserve(loaded.config->checks.size());
  for (auto& c : loaded.config->checks) checks.push_back(std::make_shared<const synthprobe::config::Check>(std::move(c)));
  const auto max_in_flight = static_cast<std::size_t>(loaded.config->probe.max_in_flight);
  loaded.config.reset();

  Engine e;
  e.metrics.configure(checks);
  const auto origin = Clock::now();
  synthprobe::Scheduler scheduler(max_in_flight, origin);
  for (std::size_t i = 0; i < checks.size(); ++i) {
    const auto& c = *checks[i];
    scheduler.add(static_cast<std::uint32_t>(i), c.name, c.settings.interval,
                  c.settings.interval_when_failing.value_or(c.settings.interval), origin);
  }
  const auto stop_at = origin + secs(seconds);
  // Runs due before the cut must have started by the stop; later ones may still be waiting.
  const auto cut = stop_at - std::chrono::seconds(1);

  struct Lag {
    double due_s;  // since origin
    double lag_ms;
  };
  std::vector<Lag> lags;
  lags.reserve(static_cast<std::size_t>(g.checks * seconds / 5) + 1024);
  std::vector<std::uint16_t> starts_before_cut(checks.size(), 0);
  std::size_t delayed = 0, failed = 0, finished = 0;
  std::string first_error;
  bool stopping = false;
  net::steady_timer timer(e.io);
  std::optional<Clock::time_point> armed_for;
  std::vector<synthprobe::Scheduler::Start> starts;

  std::function<void()> start_due;
  auto arm = [&] {
    if (stopping) return;
    const auto next = scheduler.next_wakeup();
    if (!next) return;
    if (armed_for && *armed_for == *next) return;
    armed_for = *next;
    timer.expires_at(*next);
    timer.async_wait([&](boost::system::error_code ec) {
      if (ec) return;
      armed_for.reset();
      start_due();
    });
  };
  start_due = [&] {
    if (stopping) return;
    starts.clear();
    scheduler.poll(Clock::now(), starts);
    for (const auto& s : starts) {
      lags.push_back({std::chrono::duration<double>(s.due - origin).count(),
                      std::chrono::duration<double, std::milli>(s.lag).count()});
      if (s.delayed) ++delayed;
      if (s.due < cut && starts_before_cut[s.id] < UINT16_MAX) ++starts_before_cut[s.id];
      const std::uint32_t id = s.id;
      const std::uint64_t run = s.run;
      e.runner.run(checks[id], [&, id, run](synthprobe::RunResult&& r) {
        scheduler.finished(id, run, Clock::now());
        ++finished;
        if (!r.success && failed++ == 0) first_error = r.message;
        e.metrics.record(id, r, unix_now());
        if (stopping) {
          if (e.runner.in_flight() == 0) e.io.stop();
          return;
        }
        start_due();
      });
    }
    arm();
  };
  net::steady_timer stop_timer(e.io);
  stop_timer.expires_at(stop_at);
  stop_timer.async_wait([&](boost::system::error_code) {
    stopping = true;
    timer.cancel();
    if (e.runner.in_flight() == 0) e.io.stop();
  });

  // Optional: scrape all checks' metrics in a loop from another thread, as Prometheus would.
  std::atomic<bool> scraping_done{false};
  std::vector<double> scrape_seconds;
  std::thread scraper;
  if (scrape_from >= 0) {
    scraper = std::thread([&] {
      std::this_thread::sleep_until(origin + secs(scrape_from));
      while (!scraping_done && Clock::now() < stop_at) {
        const auto t0 = Clock::now();
        synthprobe::MetricsText text({}, &e.metrics);  // as /metrics writes it, piece by piece
        std::string piece;
        while (text.next(piece)) piece.clear();
        scrape_seconds.push_back(seconds_since(t0));
      }
    });
  }

  const double loop_cpu0 = cpu_seconds(RUSAGE_THREAD);
  start_due();
  e.io.run_for(secs(seconds + 30));
  const double loop_cpu = cpu_seconds(RUSAGE_THREAD) - loop_cpu0;
  scraping_done = true;
  if (scraper.joinable()) scraper.join();

  // Expected runs per check: its grid points origin + offset + k * interval (k >= 0) before the cut.
  std::size_t missed = 0, doubled = 0, expected_total = 0;
  const auto span = cut - origin;
  for (std::size_t i = 0; i < checks.size(); ++i) {
    const synthprobe::Scheduler::Duration interval = checks[i]->settings.interval;
    const auto offset = synthprobe::Scheduler::phase_offset(checks[i]->name, interval);
    std::size_t expected = 0;
    if (offset < span) expected = static_cast<std::size_t>((span - offset - Clock::duration(1)) / interval) + 1;
    expected_total += expected;
    const std::size_t got = starts_before_cut[i];
    if (got < expected) missed += expected - got;
    if (got > expected) doubled += got - expected;
  }
  std::vector<double> all, quiet, busy;
  all.reserve(lags.size());
  for (const auto& l : lags) {
    all.push_back(l.lag_ms);
    if (scrape_from >= 0) (l.due_s < scrape_from ? quiet : busy).push_back(l.lag_ms);
  }
  emit("checks", checks.size());
  emit("seconds", fixed(seconds, 0));
  emit("runs", lags.size());
  emit("runs_expected_before_cut", expected_total);
  emit("runs_per_s", fixed(lags.size() / seconds, 0));
  emit("finished", finished);
  emit("failed", failed);
  if (failed) std::cerr << "first failure: " << first_error << '\n';
  emit("lag_p50_ms", fixed(percentile(all, 0.50), 3));
  emit("lag_p99_ms", fixed(percentile(all, 0.99), 3));
  emit("lag_max_ms", fixed(percentile(all, 1.0), 3));
  emit("missed", missed);
  emit("doubled", doubled);
  emit("delayed", delayed);
  emit("loop_cpu_us_per_run", fixed(loop_cpu * 1e6 / std::max<std::size_t>(1, finished), 1));
  emit("peak_rss_kib", status_number("VmHWM:"));
  if (scrape_from >= 0) {
    emit("lag_p99_quiet_ms", fixed(percentile(quiet, 0.99), 3));
    emit("lag_p99_scraping_ms", fixed(percentile(busy, 0.99), 3));
    emit("scrapes", scrape_seconds.size());
    emit("scrape_median_s", fixed(percentile(scrape_seconds, 0.5), 3));
  }
  end_mode(&dir);
}

synthprobe::RunResult synthetic_result(const synthprobe::config::Check& c) {
  synthprobe::RunResult r;
  r.name = c.name;
  r.site = c.site;
  r.area = c.area;
  r.success = true;
  r.duration_seconds = 0.0123;
  r.status_code = 200;
  r.phases = {0.00001, 0.0001, 0, 0.011, 0.0012};
  r.http_version = "1.1";
  r.body_bytes = 4096;
  r.steps.resize(1);
  r.steps[0].success = true;
  return r;
}

// Time to render /metrics for N checks that have all run once (every series present): the text written
// straight from the numbers as /metrics serves it (MetricsText, piece by piece, each piece dropped once
// counted, as the server sends it), and, unless --no-reference, prometheus-cpp's path (Collect() and
// TextSerializer; for 100,000 checks that is gigabytes and tens of seconds). With --gzip, also what
// compressing the pieces would cost (zlib, level 1 and 6), for Prometheus' Accept-Encoding: gzip.
int mode_scrape(const Args& a) {
  GeneratedConfig g;
  g.checks = static_cast<std::size_t>(a.num("checks", 10000));
  auto cfg = load_or_die(synthprobe::bench::generate_toml(g));
  std::vector<std::shared_ptr<const synthprobe::config::Check>> checks;
  for (auto& c : cfg.checks) checks.push_back(std::make_shared<const synthprobe::config::Check>(std::move(c)));
  synthprobe::CheckMetrics metrics("bench", "local");
  metrics.configure(checks);
  for (std::size_t i = 0; i < checks.size(); ++i) {
    metrics.record(i, synthetic_result(*checks[i]), unix_now());
    metrics.set_state(i, synthprobe::CheckMetrics::State::up);
  }
  const int rounds = static_cast<int>(a.num("rounds", 3));
  const bool reference = !a.flag("no-reference");
  std::vector<double> direct_s, collect_s, serialize_s, render_s, gzip1_s, gzip6_s;
  std::size_t bytes = 0, reference_bytes = 0, samples = 0, pieces = 0, gzip1_bytes = 0, gzip6_bytes = 0;
  const long hwm0 = status_number("VmHWM:");
  long direct_hwm = 0;
  for (int i = 0; i < rounds; ++i) {
    auto t0 = Clock::now();
    {
      synthprobe::MetricsText text({}, &metrics);
      std::string piece;
      bytes = pieces = 0;
      while (text.next(piece)) {
        bytes += piece.size();
        ++pieces;
        piece.clear();
      }
    }
    direct_s.push_back(seconds_since(t0));
    direct_hwm = status_number("VmHWM:");
    if (a.flag("gzip")) {
      for (const int level : {1, 6}) {
        synthprobe::MetricsText text({}, &metrics);
        std::string piece;
        z_stream z{};
        deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
        std::vector<unsigned char> out(256 * 1024);
        std::size_t compressed = 0;
        t0 = Clock::now();
        auto pump = [&](int flush) {
          do {
            z.next_out = out.data();
            z.avail_out = static_cast<uInt>(out.size());
            deflate(&z, flush);
            compressed += out.size() - z.avail_out;
          } while (z.avail_out == 0);
        };
        while (text.next(piece)) {
          z.next_in = reinterpret_cast<unsigned char*>(piece.data());
          z.avail_in = static_cast<uInt>(piece.size());
          pump(Z_NO_FLUSH);
          piece.clear();
        }
        pump(Z_FINISH);
        deflateEnd(&z);
        (level == 1 ? gzip1_s : gzip6_s).push_back(seconds_since(t0));
        (level == 1 ? gzip1_bytes : gzip6_bytes) = compressed;
      }
    }
    if (!reference) continue;
    t0 = Clock::now();
    auto families = metrics.Collect();
    collect_s.push_back(seconds_since(t0));
    t0 = Clock::now();
    std::ostringstream out;
    prometheus::TextSerializer().Serialize(out, families);
    serialize_s.push_back(seconds_since(t0));
    samples = 0;
    for (const auto& f : families) samples += f.metric.size();
    families.clear();
    t0 = Clock::now();
    reference_bytes = synthprobe::render_metrics({&metrics}).size();
    render_s.push_back(seconds_since(t0));
  }
  emit("checks", checks.size());
  emit("bytes", bytes);
  emit("pieces", pieces);
  emit("direct_s", fixed(percentile(direct_s, 0.5), 3));
  emit("direct_peak_rss_growth_kib", direct_hwm - hwm0);
  if (a.flag("gzip")) {
    emit("gzip1_s", fixed(percentile(gzip1_s, 0.5), 3));
    emit("gzip1_bytes", gzip1_bytes);
    emit("gzip6_s", fixed(percentile(gzip6_s, 0.5), 3));
    emit("gzip6_bytes", gzip6_bytes);
  }
  if (reference) {
    emit("series", samples);
    emit("reference_bytes", reference_bytes);
    emit("collect_s", fixed(percentile(collect_s, 0.5), 3));
    emit("serialize_s", fixed(percentile(serialize_s, 0.5), 3));
    emit("render_s", fixed(percentile(render_s, 0.5), 3));
    emit("peak_rss_kib", status_number("VmHWM:"));
  }
  emit("rounds", rounds);
  return 0;
}

// Latency accuracy: open-loop checks at a fixed rate against a server that answers after a known delay.
int mode_latency(const Args& a) {
  const auto delay = std::chrono::milliseconds(static_cast<long>(a.num("delay-ms", 50)));
  const double rate = a.num("rate", 5000);
  const double seconds = a.num("seconds", 10);
  auto server = spawn_delay_server(delay, static_cast<int>(seconds) + 60);  // before any thread exists
  raise_fd_limit();
  const auto check = one_check("http://127.0.0.1:" + std::to_string(server->port) + "/", "2s");
  Engine e;
  e.metrics.configure({check});
  run_batch(e, check, 200, 16, 10);  // warm-up, and proof that the server answers

  std::vector<double> total_error_ms, processing_error_ms;
  total_error_ms.reserve(static_cast<std::size_t>(rate * seconds) + 16);
  processing_error_ms.reserve(total_error_ms.capacity());
  std::size_t started = 0, failed = 0;
  std::string first_error;
  const double delay_ms = static_cast<double>(delay.count());
  net::steady_timer ticker(e.io);
  const auto t0 = Clock::now();
  std::function<void()> tick = [&] {
    const double elapsed = seconds_since(t0);
    if (elapsed >= seconds) return;
    const auto due = static_cast<std::size_t>(elapsed * rate);
    while (started < due && e.runner.in_flight() < 20000) {
      ++started;
      e.runner.run(check, [&](synthprobe::RunResult&& r) {
        e.metrics.record(0, r, unix_now());
        if (!r.success) {
          if (failed++ == 0) first_error = r.message;
          return;
        }
        total_error_ms.push_back(r.duration_seconds * 1000 - delay_ms);
        processing_error_ms.push_back(r.phases.processing * 1000 - delay_ms);
      });
    }
    ticker.expires_after(std::chrono::milliseconds(1));
    ticker.async_wait([&](boost::system::error_code ec) {
      if (!ec) tick();
    });
  };
  const double cpu0 = cpu_seconds();
  e.io.restart();
  tick();
  e.io.run_for(secs(seconds + 10));
  const double cpu = cpu_seconds() - cpu0;
  emit("delay_ms", delay.count());
  emit("target_rate", fixed(rate, 0));
  emit("achieved_rate", fixed(started / seconds, 0));
  emit("checks", started);
  emit("failed", failed);
  if (failed) std::cerr << "first failure: " << first_error << '\n';
  emit("error_p50_ms", fixed(percentile(total_error_ms, 0.50), 3));
  emit("error_p99_ms", fixed(percentile(total_error_ms, 0.99), 3));
  emit("error_max_ms", fixed(percentile(total_error_ms, 1.0), 3));
  emit("processing_error_p50_ms", fixed(percentile(processing_error_ms, 0.50), 3));
  emit("processing_error_p99_ms", fixed(percentile(processing_error_ms, 0.99), 3));
  emit("cpu_us_per_check", fixed(cpu * 1e6 / std::max<std::size_t>(1, started), 1));
  std::cout << delay_server_report(*server);
  return 0;
}

int mode_config_load(const Args& a) {
  TempDir dir;
  GeneratedConfig g;
  g.checks = static_cast<std::size_t>(a.num("checks", 100000));
  const std::string path = write_file(dir.path / "load.toml", synthprobe::bench::generate_toml(g));
  const long hwm0 = status_number("VmHWM:");
  const auto t0 = Clock::now();
  auto loaded = synthprobe::config::load_config_file(path);
  const double secs = seconds_since(t0);
  if (!loaded.config) Args::die("generated config did not load");
  emit("checks", loaded.config->checks.size());
  emit("file_bytes", fs::file_size(path));
  emit("load_s", fixed(secs, 3));
  emit("peak_rss_kib", status_number("VmHWM:"));
  emit("peak_rss_growth_kib", status_number("VmHWM:") - hwm0);
  end_mode(&dir);
}

// The real daemon: `synthprobe run` on a generated config, measured from outside through /proc and /metrics.
int mode_daemon(const Args& a) {
  TempDir dir;
  GeneratedConfig g;
  g.checks = static_cast<std::size_t>(a.num("checks", 10000));
  g.url = a.required("url");
  g.interval = a.str("interval", "6s");
  g.timeout = a.str("timeout", "3s");
  const unsigned short port = free_port();
  g.listen = "127.0.0.1:" + std::to_string(port);
  g.state_dir = (dir.path / "state").string();
  const double seconds = a.num("seconds", 20);
  const double scrape_seconds = a.num("scrape-seconds", 10);
  const std::string path = write_file(dir.path / "daemon.toml", synthprobe::bench::generate_toml(g));
  curl_global_init(CURL_GLOBAL_DEFAULT);

  DaemonProcess daemon(a.required("synthprobe"), path, (dir.path / "daemon.log").string(), port);
  daemon.wait_ready();
  std::this_thread::sleep_for(secs(interval_seconds(g.interval) + 2));  // every check has run

  const Snapshot sa = daemon.scrape();
  std::this_thread::sleep_for(secs(seconds));
  const Snapshot sb = daemon.scrape();
  std::vector<double> scrape_times{sa.seconds, sb.seconds};
  Snapshot sc = sb;
  while (seconds_since(sb.before) < scrape_seconds) {
    sc = daemon.scrape();
    scrape_times.push_back(sc.seconds);
  }
  const long rss = daemon.rss_kib();
  daemon.stop();
  if (!sa.ok || !sb.ok) Args::die("a /metrics scrape failed");

  const Window w = window_between(sa, sb);
  emit("checks", g.checks);
  emit("interval", g.interval);
  emit("runs_per_s", fixed(w.runs_per_s, 0));
  emit("loop_cpu_us_per_run", fixed(w.loop_cpu_us_per_run, 1));
  emit("process_cpu_us_per_run", fixed(w.proc_cpu_us_per_run, 1));
  emit("lag_p50_quiet", lag_quantile(sa, sb, 0.50));
  emit("lag_p99_quiet", lag_quantile(sa, sb, 0.99));
  emit("lag_p99_scraping", lag_quantile(sb, sc, 0.99));
  emit("scrapes", scrape_times.size());
  emit("scrape_median_s", fixed(percentile(scrape_times, 0.5), 3));
  emit("scrape_max_s", fixed(percentile(scrape_times, 1.0), 3));
  emit("scrape_bytes", sb.bytes);
  emit("rss_kib", rss);
  return 0;
}

// Two scrapes `seconds` apart and what happened between them (key=value lines); `checks` at `interval_s`
// make the due rate.
// With `nginx_status` (stub_status of the target), also the requests nginx served between the scrapes:
// the runs finished, counted without the scrapes' own cost in the window. With `observed` (another
// process's pid: the target itself, such as blackbox_exporter answering the runs' requests), also its CPU
// per run over the same span as the runs, from /proc/<pid>/stat.
void observe_window(DaemonProcess& daemon, std::size_t checks, double interval_s, double seconds,
                    const std::string& nginx_status = "", pid_t observed = 0) {
  const std::string observed_stat = observed > 0 ? "/proc/" + std::to_string(observed) + "/stat" : "";
  auto served = [&](Clock::time_point& when) {
    when = Clock::now();
    const HttpGet got = http_get(nginx_status, 2000);
    const auto at = got.body.find("requests");
    if (!got.ok || at == std::string::npos) return static_cast<double>(NAN);
    std::istringstream in(got.body.substr(at + 8));
    double accepts = 0, handled = 0, requests = NAN;
    in >> accepts >> handled >> requests;
    return requests;
  };
  Clock::time_point t1, t2;
  const double observed1 = observed_stat.empty() ? NAN : stat_cpu_seconds(observed_stat);
  const Snapshot sa = daemon.scrape();
  const double served1 = nginx_status.empty() ? NAN : served(t1);
  std::this_thread::sleep_until(sa.before + secs(seconds));
  const double served2 = nginx_status.empty() ? NAN : served(t2);
  const double observed2 = observed_stat.empty() ? NAN : stat_cpu_seconds(observed_stat);
  const Snapshot sb = daemon.scrape();
  const long rss = daemon.rss_kib();
  if (!sa.ok || !sb.ok) Args::die("a /metrics scrape failed");

  const Window w = window_between(sa, sb);
  const double due_per_s = static_cast<double>(checks) / interval_s;
  const double skipped = sb.skipped - sa.skipped;
  const double failed = (sb.runs - sb.passed) - (sa.runs - sa.passed);
  emit("checks", checks);
  emit("interval_s", fixed(interval_s, 3));
  emit("window_s", fixed(w.seconds, 1));
  emit("due_per_s", fixed(due_per_s, 0));
  emit("runs_per_s", fixed(w.runs_per_s, 0));
  emit("ran_pct", fixed(100 * w.runs_per_s / due_per_s, 1));
  emit("skipped", fixed(skipped, 0));
  emit("skipped_per_s", fixed(skipped / w.seconds, 0));
  emit("skipped_pct", fixed(100 * skipped / (due_per_s * w.seconds), 1));
  emit("delayed_per_s", fixed((sb.delayed - sa.delayed) / w.seconds, 0));
  emit("saturated", fixed(sb.saturated, 0));
  emit("in_flight_limit", fixed(sb.in_flight_limit, 0));
  emit("failed", fixed(failed, 0));
  emit("failed_pct", fixed(w.runs > 0 ? 100 * failed / w.runs : 0, 1));
  emit("process_cpu_us_per_run", fixed(w.proc_cpu_us_per_run, 1));
  emit("loop_cpu_us_per_run", fixed(w.loop_cpu_us_per_run, 1));
  emit("loop_cpu_share", fixed(w.loop_cpu_share, 2));
  emit("loop_sleeps_per_run", fixed(w.loop_sleeps_per_run, 2));
  emit("loop_preempted_per_run", fixed(w.loop_preempted_per_run, 2));
  if (!observed_stat.empty()) {
    if (observed1 < 0 || observed2 < 0) Args::die("cannot read " + observed_stat);
    emit("observed_cpu_us_per_run", fixed(w.runs > 0 ? (observed2 - observed1) / w.runs * 1e6 : NAN, 1));
  }
  emit("lag_p50", lag_quantile(sa, sb, 0.50));
  emit("lag_p99", lag_quantile(sa, sb, 0.99));
  // Past the last bucket: a number that fails any target in run.sh (awk would read "inf" as 0).
  const double p99 = lag_quantile_bound(sa, sb, 0.99);
  emit("lag_p99_ms", std::isinf(p99) ? std::string("1e99") : fixed(p99 * 1000, 1));
  // minus the stub_status request itself
  emit("served_per_s", fixed((served2 - served1 - 1) / std::chrono::duration<double>(t2 - t1).count(), 0));
  emit("checks_down", fixed(sb.checks_down, 0));
  emit("incidents_open", fixed(sb.incidents_open, 0));
  emit("scrape_s", fixed(sb.seconds, 3));
  emit("rss_kib", rss);
}

// The daemon under a steady load, from outside: `synthprobe run` on a generated config (by default one
// site holding every check), a warm-up, then one window between two /metrics scrapes. Says how many of
// the runs that came due finished, how many were skipped, what each cost the whole process and the
// check-loop thread, and how late runs started. Used for the healthy site, the site-wide outage (a closed
// port, a black hole) and the overload.
int mode_daemon_load(const Args& a) {
  TempDir dir;
  GeneratedConfig g;
  g.checks = static_cast<std::size_t>(a.num("checks", 5000));
  g.checks_per_site = static_cast<std::size_t>(a.num("checks-per-site", static_cast<double>(g.checks)));
  // The target: --url, or a site-wide outage: --refused (a closed port on 127.0.0.1) or --blackhole (a
  // listener that accepts and never answers, so every run ends on its timeout).
  std::unique_ptr<Child> hole;
  if (a.flag("blackhole")) {
    hole = spawn_blackhole(static_cast<int>(a.num("warmup", 10) + a.num("seconds", 20) + 180));  // no thread yet
    g.url = "http://127.0.0.1:" + std::to_string(hole->port) + "/page.html";
  } else if (a.flag("refused")) {
    g.url = "http://127.0.0.1:" + std::to_string(free_port()) + "/page.html";
  } else {
    g.url = a.required("url");
  }
  g.interval = a.str("interval", "5s");
  g.timeout = a.str("timeout", "2s");
  g.max_in_flight = static_cast<int>(a.num("max-in-flight", 1000));
  g.flap_every = static_cast<std::size_t>(a.num("flap-every", 0));
  g.flap_url = a.str("flap-url", g.url);
  g.query = a.str("query");
  g.expect_body = a.str("expect-body");
  g.keep_alive = a.flag("keep-alive");
  const unsigned short port = free_port();
  g.listen = "127.0.0.1:" + std::to_string(port);
  g.state_dir = (dir.path / "state").string();
  const double interval_s = interval_seconds(g.interval);
  const double warmup = a.num("warmup", interval_s + 1);
  const double seconds = a.num("seconds", 20);
  const std::string path = write_file(dir.path / "daemon.toml", synthprobe::bench::generate_toml(g));
  curl_global_init(CURL_GLOBAL_DEFAULT);
  raise_fd_limit();

  DaemonProcess daemon(a.required("synthprobe"), path, (dir.path / "daemon.log").string(), port);
  daemon.wait_ready();
  std::this_thread::sleep_for(secs(warmup));
  observe_window(daemon, g.checks, interval_s, seconds, a.str("nginx-status"),
                 static_cast<pid_t>(a.num("observe-pid", 0)));
  return 0;
}

// GET url with libcurl, the body counted and dropped as it arrives (what the server side costs, without
// a client's parsing).
struct HttpCount {
  bool ok = false;
  double seconds = 0;
  std::size_t bytes = 0;
};

HttpCount count_get(const std::string& url, long timeout_ms) {
  HttpCount c;
  CURL* easy = curl_easy_init();
  curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(easy, CURLOPT_PROXY, "");
  curl_easy_setopt(
      easy, CURLOPT_WRITEFUNCTION, +[](char*, std::size_t size, std::size_t n, void* bytes) {
        *static_cast<std::size_t*>(bytes) += size * n;
        return size * n;
      });
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &c.bytes);
  const auto t0 = Clock::now();
  const bool ok = curl_easy_perform(easy) == CURLE_OK;
  c.seconds = seconds_since(t0);
  long status = 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(easy);
  c.ok = ok && status == 200;
  return c;
}

// FNV-1a over a text given in pieces: tells whether two 400 MB texts are the same without holding both.
struct TextHash {
  std::uint64_t h = 14695981039346656037ull;
  void add(std::string_view text) {
    for (const char c : text) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  }
};

// /metrics of N checks (default 100,000) that have all run once, as a scrape sees it (issue 12): the
// daemon's route (the self-metrics registry through TextSerializer, then MetricsText written from the check
// numbers, sent piece by piece, chunked) on an in-process HttpServer, fetched over loopback with curl and
// read line by line as Prometheus reads it; the same text in-process without HTTP; and, in the same run,
// prometheus-cpp's path (Collect() and TextSerializer over the same numbers, the whole text in one string),
// whose bytes must be the same. Prints time and size, the ratio to the target (--target-s, 1.5 s) and to
// prometheus-cpp's time, and the peak RSS before and after prometheus-cpp's path.
int mode_scale(const Args& a) {
  GeneratedConfig g;
  g.checks = static_cast<std::size_t>(a.num("checks", 100000));
  g.checks_per_site = 100;
  const int rounds = static_cast<int>(a.num("rounds", 5));
  const double target_s = a.num("target-s", 1.5);
  auto cfg = load_or_die(synthprobe::bench::generate_toml(g));
  std::vector<std::shared_ptr<const synthprobe::config::Check>> checks;
  for (auto& c : cfg.checks) checks.push_back(std::make_shared<const synthprobe::config::Check>(std::move(c)));
  prometheus::Registry registry;
  synthprobe::SelfMetrics self(registry, "bench", synthprobe::ProbeIdentity{"bench", "local"});
  self.set_checks_configured(checks.size());
  synthprobe::CheckMetrics metrics("bench", "local");
  metrics.configure(checks);
  for (std::size_t i = 0; i < checks.size(); ++i) {
    metrics.record(i, synthetic_result(*checks[i]), unix_now());
    metrics.set_state(i, synthprobe::CheckMetrics::State::up);
  }

  // The daemon's /metrics route.
  synthprobe::HttpServer server([&](const synthprobe::HttpRequestView&) {
    auto text = std::make_shared<synthprobe::MetricsText>(std::vector<const prometheus::Collectable*>{&registry},
                                                          &metrics);
    synthprobe::HttpReply reply{200, std::string(synthprobe::kMetricsContentType), {}, {}, {}};
    reply.stream = [text](std::string& out) { return text->next(out); };
    return reply;
  });
  std::string error;
  if (!server.start("127.0.0.1:0", error)) Args::die("cannot listen: " + error);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  const std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/metrics";

  const long hwm0 = status_number("VmHWM:");
  std::vector<double> http_s, inprocess_s;
  std::size_t http_bytes = 0, bytes = 0, pieces = 0;
  double runs_seen = 0;
  TextHash direct_hash;
  // Once as Prometheus reads it (every line looked at, in this process, on the same 2 cores), to check
  // that every run is in the scrape; then, per round, as a client that only takes the bytes sees it.
  const Snapshot parsed = get_metrics(url, 120000);
  if (!parsed.ok) Args::die("the /metrics scrape failed");
  runs_seen = parsed.runs;
  for (int r = 0; r < rounds; ++r) {
    const HttpCount got = count_get(url, 120000);
    if (!got.ok) Args::die("the /metrics scrape failed");
    http_s.push_back(got.seconds);
    http_bytes = got.bytes;

    const auto t0 = Clock::now();
    synthprobe::MetricsText text({&registry}, &metrics);
    std::string piece;
    TextHash hash;
    bytes = pieces = 0;
    while (text.next(piece)) {
      bytes += piece.size();
      ++pieces;
      if (r == 0) hash.add(piece);
      piece.clear();
    }
    if (r > 0) inprocess_s.push_back(seconds_since(t0));  // the first round hashes as it goes
    if (r == 0) direct_hash = hash;
  }
  const long direct_hwm = status_number("VmHWM:");
  server.stop();

  emit("checks", checks.size());
  emit("rounds", rounds);
  emit("bytes", http_bytes);
  emit("mib", fixed(static_cast<double>(http_bytes) / 1048576.0, 1));
  emit("runs_in_scrape", fixed(runs_seen, 0));
  emit("http_scrape_parsed_s", fixed(parsed.seconds, 3));
  emit("http_scrape_min_s", fixed(*std::min_element(http_s.begin(), http_s.end()), 3));
  emit("http_scrape_median_s", fixed(percentile(http_s, 0.5), 3));
  emit("http_scrape_max_s", fixed(percentile(http_s, 1), 3));
  if (!inprocess_s.empty()) emit("inprocess_median_s", fixed(percentile(inprocess_s, 0.5), 3));
  emit("pieces", pieces);
  emit("target_s", fixed(target_s, 3));
  emit("median_over_target", fixed(percentile(http_s, 0.5) / target_s, 3));
  emit("max_over_target", fixed(percentile(http_s, 1) / target_s, 3));
  emit("peak_rss_growth_direct_kib", direct_hwm - hwm0);
  if (a.flag("no-reference")) return 0;

  // prometheus-cpp's path over the same numbers, once (for 100,000 checks: gigabytes, tens of seconds).
  auto t0 = Clock::now();
  std::string reference = synthprobe::render_metrics({&registry, &metrics});
  const double reference_s = seconds_since(t0);
  TextHash reference_hash;
  reference_hash.add(reference);
  const std::size_t reference_bytes = reference.size();
  reference = std::string();
  emit("reference_s", fixed(reference_s, 3));
  emit("reference_bytes", reference_bytes);
  emit("identical_bytes", reference_bytes == bytes && reference_hash.h == direct_hash.h ? "yes" : "NO");
  emit("reference_over_target", fixed(reference_s / target_s, 3));
  emit("speedup_vs_reference", fixed(reference_s / percentile(http_s, 0.5), 1));
  emit("speedup_vs_reference_inprocess",
       inprocess_s.empty() ? std::string("n/a") : fixed(reference_s / percentile(inprocess_s, 0.5), 1));
  emit("peak_rss_kib", status_number("VmHWM:"));
  return 0;
}

// The daemon at scale (issue 12): 100,000 checks at 60s (1,667 runs/s) in sites of 100, every tenth check
// refused (a closed port) and every hundredth flapping (--flap-url), measured from outside. After a warm-up
// (every check has run), two windows of --seconds each:
// - quiet: only the two scrapes that bound it; whole-process CPU between them (the scrapes left out),
//   scheduler lag p99 from synthprobe_scheduler_lag_seconds, RSS;
// - scraped: a scrape every --scrape-every seconds, as Prometheus would (the next one starts at once when
//   one takes longer); whole-process CPU over the window, scrapes included, lag p99, scrape times, peak RSS.
// With --gzip, the scrapes ask for a compressed body (Accept-Encoding: gzip) and the wire size is reported.
int mode_daemon_scale(const Args& a) {
  TempDir dir;
  GeneratedConfig g;
  g.checks = static_cast<std::size_t>(a.num("checks", 100000));
  g.checks_per_site = static_cast<std::size_t>(a.num("checks-per-site", 100));
  g.url = a.required("url");
  g.interval = a.str("interval", "60s");
  g.timeout = a.str("timeout", "5s");
  g.max_in_flight = static_cast<int>(a.num("max-in-flight", 1000));
  g.refused_every = static_cast<std::size_t>(a.num("refused-every", 10));
  g.refused_url = "http://127.0.0.1:" + std::to_string(free_port()) + "/page.html";
  g.flap_every = static_cast<std::size_t>(a.num("flap-every", 100));
  g.flap_url = a.str("flap-url", g.url);
  const unsigned short port = free_port();
  g.listen = "127.0.0.1:" + std::to_string(port);
  g.state_dir = (dir.path / "state").string();
  const double interval_s = interval_seconds(g.interval);
  const double warmup = a.num("warmup", interval_s + 5);
  const double seconds = a.num("seconds", 60);
  const double scrape_every = a.num("scrape-every", 15);
  const bool gzip = a.flag("gzip");
  const long scrape_timeout_ms = 300000;
  const std::string path = write_file(dir.path / "daemon.toml", synthprobe::bench::generate_toml(g));
  curl_global_init(CURL_GLOBAL_DEFAULT);
  raise_fd_limit();

  DaemonProcess daemon(a.required("synthprobe"), path, (dir.path / "daemon.log").string(), port);
  daemon.wait_ready();
  const long rss_ready = daemon.rss_kib();
  std::this_thread::sleep_for(secs(warmup));

  // Quiet window.
  const long rss_before_scrapes = daemon.rss_kib();
  const Snapshot qa = daemon.scrape(gzip, scrape_timeout_ms);
  std::this_thread::sleep_until(qa.before + secs(seconds));
  const long rss_quiet = daemon.rss_kib();
  const Snapshot qb = daemon.scrape(gzip, scrape_timeout_ms);
  if (!qa.ok || !qb.ok) Args::die("a /metrics scrape failed");
  const Window quiet = window_between(qa, qb);

  // Scraped window: qb opens it.
  std::vector<double> scrape_s{qa.seconds, qb.seconds};
  Snapshot last = qb;
  auto next = qb.before + secs(scrape_every);
  while (std::chrono::duration<double>(next - qb.before).count() <= seconds + 0.001) {
    std::this_thread::sleep_until(next);
    last = daemon.scrape(gzip, scrape_timeout_ms);
    if (!last.ok) Args::die("a /metrics scrape failed");
    scrape_s.push_back(last.seconds);
    next = std::max(next + secs(scrape_every), Clock::now());
  }
  const double scraped_wall = std::chrono::duration<double>(last.after - qb.after).count();
  const double scraped_cpu = last.proc_cpu_after - qb.proc_cpu_after;
  const Window scraped = window_between(qb, last);
  const long rss_end = daemon.rss_kib();
  const long peak = daemon.peak_rss_kib();
  daemon.stop();

  const double failed = (qb.runs - qb.passed) - (qa.runs - qa.passed);
  emit("checks", g.checks);
  emit("interval", g.interval);
  emit("refused_pct", fixed(g.refused_every ? 100.0 / static_cast<double>(g.refused_every) : 0, 1));
  emit("flapping_pct", fixed(g.flap_every ? 100.0 / static_cast<double>(g.flap_every) : 0, 1));
  emit("gzip", gzip ? 1 : 0);
  emit("window_s", fixed(quiet.seconds, 1));
  emit("runs_per_s", fixed(quiet.runs_per_s, 0));
  emit("failed_pct", fixed(quiet.runs > 0 ? 100 * failed / quiet.runs : 0, 1));
  emit("checks_down", fixed(qb.checks_down, 0));
  emit("incidents_open", fixed(qb.incidents_open, 0));
  emit("quiet_process_cpu_cores", fixed(quiet.runs_per_s * quiet.proc_cpu_us_per_run / 1e6, 3));
  emit("quiet_process_cpu_us_per_run", fixed(quiet.proc_cpu_us_per_run, 1));
  emit("quiet_loop_cpu_us_per_run", fixed(quiet.loop_cpu_us_per_run, 1));
  emit("quiet_lag_p50", lag_quantile(qa, qb, 0.50));
  emit("quiet_lag_p99", lag_quantile(qa, qb, 0.99));
  const double qp99 = lag_quantile_bound(qa, qb, 0.99);
  emit("quiet_lag_p99_ms", std::isinf(qp99) ? std::string("1e99") : fixed(qp99 * 1000, 1));
  emit("scraped_window_s", fixed(scraped.seconds, 1));
  emit("scraped_scrapes", scrape_s.size() - 2);
  emit("scraped_process_cpu_cores", fixed(scraped_wall > 0 ? scraped_cpu / scraped_wall : NAN, 3));
  emit("scraped_lag_p50", lag_quantile(qb, last, 0.50));
  emit("scraped_lag_p99", lag_quantile(qb, last, 0.99));
  const double sp99 = lag_quantile_bound(qb, last, 0.99);
  emit("scraped_lag_p99_ms", std::isinf(sp99) ? std::string("1e99") : fixed(sp99 * 1000, 1));
  emit("scrapes", scrape_s.size());
  emit("scrape_median_s", fixed(percentile(scrape_s, 0.5), 3));
  emit("scrape_max_s", fixed(percentile(scrape_s, 1.0), 3));
  emit("scrape_bytes", last.bytes);
  emit("scrape_wire_bytes", last.wire_bytes);
  emit("rss_ready_kib", rss_ready);
  emit("rss_before_scrapes_kib", rss_before_scrapes);
  emit("rss_quiet_kib", rss_quiet);
  emit("rss_end_kib", rss_end);
  emit("peak_rss_kib", peak);
  return 0;
}

// The same window on a daemon that is already running (loop_io_trace.sh starts it under strace).
int mode_observe(const Args& a) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  DaemonProcess daemon(static_cast<pid_t>(a.num("pid", 0)), a.required("base"));
  if (daemon.pid() <= 0) Args::die("--pid is required");
  observe_window(daemon, static_cast<std::size_t>(a.num("checks", 0)), interval_seconds(a.str("interval", "60s")),
                 a.num("seconds", 20), a.str("nginx-status"));
  return 0;
}

int mode_blackhole(const Args& a) {
  unsigned short port = 0;
  const int fd = listen_loopback(4096, port);
  std::cout << "port=" << port << std::endl;
  serve_blackhole(fd, -1, static_cast<int>(a.num("seconds", 60)));
}

int mode_free_port(const Args&) {
  std::cout << free_port() << '\n';
  return 0;
}

// A bounded GET for run.sh: the body on stdout; exit 0 only for a 200.
int mode_get(const Args& a) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  const HttpGet got = http_get(a.required("url"), static_cast<long>(a.num("timeout-ms", 2000)));
  std::cout << got.body;
  return got.ok && got.status == 200 ? 0 : 1;
}

// GETs `url` `rate` times a second for `seconds`, one request at a time on a fixed schedule (a slow reply
// delays the next start, never stacks them): the load of browsers watching a status page.
int mode_poll(const Args& a) {
  const std::string url = a.required("url");
  const double rate = a.num("rate", 20);
  const double seconds = a.num("seconds", 10);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  std::vector<double> took;
  std::size_t failed = 0;
  std::size_t bytes = 0;
  const auto t0 = Clock::now();
  auto next = t0;
  while (seconds_since(t0) < seconds) {
    std::this_thread::sleep_until(next);
    const HttpGet got = http_get(url, 10000);
    took.push_back(got.seconds);
    bytes = got.body.size();
    if (!got.ok || got.status != 200) ++failed;
    next = std::max(next + secs(1 / rate), Clock::now());
  }
  emit("requests", took.size());
  emit("failed", failed);
  emit("achieved_rate", fixed(took.size() / seconds_since(t0), 1));
  emit("body_bytes", bytes);
  emit("p50_ms", fixed(percentile(took, 0.5) * 1000, 1));
  emit("p99_ms", fixed(percentile(took, 0.99) * 1000, 1));
  emit("max_ms", fixed(percentile(took, 1.0) * 1000, 1));
  return 0;
}

int mode_gen_config(const Args& a) {
  GeneratedConfig g;
  g.checks = static_cast<std::size_t>(a.num("checks", 1000));
  g.url = a.str("url", g.url);
  g.interval = a.str("interval", g.interval);
  g.timeout = a.str("timeout", g.timeout);
  g.listen = a.str("listen", g.listen);
  g.checks_per_site = static_cast<std::size_t>(a.num("checks-per-site", static_cast<double>(g.checks_per_site)));
  g.state_dir = a.str("state-dir", g.state_dir);
  g.max_in_flight = static_cast<int>(a.num("max-in-flight", g.max_in_flight));
  g.flap_every = static_cast<std::size_t>(a.num("flap-every", 0));
  g.flap_url = a.str("flap-url", g.url);
  write_file(a.required("out"), synthprobe::bench::generate_toml(g));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) Args::die("usage: bench_checks MODE [--option value]... (see the top of bench_checks.cpp)");
  signal(SIGPIPE, SIG_IGN);
  const std::string mode = argv[1];
  const Args args(argc, argv);
  if (mode == "throughput") return mode_throughput(args);
  if (mode == "names") return mode_names(args);
  if (mode == "versus-bare") return mode_versus_bare(args);
  if (mode == "bare") return mode_bare(args);
  if (mode == "inflight") return mode_inflight(args);
  if (mode == "idle") return mode_idle(args);
  if (mode == "lag") return mode_lag(args);
  if (mode == "scrape") return mode_scrape(args);
  if (mode == "latency") return mode_latency(args);
  if (mode == "config-load") return mode_config_load(args);
  if (mode == "daemon") return mode_daemon(args);
  if (mode == "daemon-load") return mode_daemon_load(args);
  if (mode == "daemon-scale") return mode_daemon_scale(args);
  if (mode == "scale") return mode_scale(args);
  if (mode == "observe") return mode_observe(args);
  if (mode == "blackhole") return mode_blackhole(args);
  if (mode == "gen-config") return mode_gen_config(args);
  if (mode == "poll") return mode_poll(args);
  if (mode == "free-port") return mode_free_port(args);
  if (mode == "get") return mode_get(args);
  Args::die("unknown mode " + mode);
}
