// The probe's own HTTP server under clients that misbehave: it keeps answering.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "exporters/web/http_server.h"
#include "tests/support/process.h"

using namespace synthprobe;
using namespace std::chrono_literals;

namespace {

// How many pieces the streamed routes have made, and how many of their streams are alive.
std::atomic<int> pieces_made{0};
std::atomic<int> streams_alive{0};

// A body of `pieces` pieces, `piece_bytes` each ("piece 17\n" and filler), made only when asked for.
struct Pieces {
  int pieces;
  std::size_t piece_bytes;
  int next = 0;
  Pieces(int n, std::size_t bytes) : pieces(n), piece_bytes(bytes) { ++streams_alive; }
  ~Pieces() { --streams_alive; }
  bool operator()(std::string& out) {
    if (next == pieces) return false;
    out = "piece " + std::to_string(next++) + "\n";
    if (out.size() < piece_bytes) out += std::string(piece_bytes - out.size() - 1, 'x') + "\n";
    ++pieces_made;
    return true;
  }
};

std::string expected_pieces(int n, std::size_t bytes) {
  Pieces p(n, bytes);
  std::string all, piece;
  while (p(piece)) all += piece;
  pieces_made -= n;
  return all;
}

HttpReply streamed(int pieces, std::size_t piece_bytes) {
  HttpReply r{200, "text/plain", "ignored", {}, {}};
  auto body = std::make_shared<Pieces>(pieces, piece_bytes);
  r.stream = [body](std::string& out) { return (*body)(out); };
  return r;
}

HttpReply route(const HttpRequestView& req) {
  const std::string_view path = req.target;
  if (path == "/stream") return streamed(50, 100);
  if (path == "/stream-huge") return streamed(1'000'000, 64 * 1024);  // 64 GB, if anyone read it all
  if (req.method != "GET" && path != "/later") return {405, "text/plain", "no\n", {{"Allow", "GET, HEAD"}}, {}};
  if (path == "/later") {
    auto promise = std::make_shared<std::promise<HttpReply>>();
    HttpReply r;
    r.later = std::make_shared<std::future<HttpReply>>(promise->get_future());
    std::thread([promise] {
      std::this_thread::sleep_for(500ms);
      promise->set_value({200, "text/plain", "finally\n", {}, {}});
    }).detach();
    return r;
  }
  return {200, "text/plain", "hello, world\n", {}, {}};
}

struct Server {
  HttpServer server{route};
  std::string host;
  explicit Server(const std::string& address = "127.0.0.1") : host(address) {
    std::string error;
    REQUIRE_MESSAGE(server.start(host + ":0", error), error);
  }
  std::string url(const std::string& path) const { return "http://" + host + ":" + std::to_string(server.port()) + path; }
};

int connect_to(unsigned short port, const std::string& host = "127.0.0.1") {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  REQUIRE(::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) == 1);
  if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Sends `request` raw and reads the answer until the server closes or 5 s pass.
std::string raw_exchange(unsigned short port, const std::string& request) {
  const int fd = connect_to(port);
  REQUIRE(fd >= 0);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  std::string answer;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    answer.append(buf, static_cast<std::size_t>(n));
    if (answer.find("\r\n\r\n") != std::string::npos && request.starts_with("HEAD")) break;
  }
  ::close(fd);
  return answer;
}

}  // namespace

TEST_CASE("HEAD answers with the headers of a GET and no body; other methods get 405 with Allow") {
  Server s;
  const std::string head = raw_exchange(s.server.port(), "HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  CHECK(head.starts_with("HTTP/1.1 200"));
  CHECK(head.find("Content-Length: 13\r\n") != std::string::npos);
  CHECK(head.ends_with("\r\n\r\n"));  // nothing after the headers
  const std::string del = raw_exchange(s.server.port(), "DELETE / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  CHECK(del.starts_with("HTTP/1.1 405"));
  CHECK(del.find("Allow: GET, HEAD\r\n") != std::string::npos);
}

TEST_CASE("an oversized request or a header bomb is refused, and the server goes on") {
  Server s;
  const std::string huge_line = "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(64 * 1024, 'a') + "\r\n\r\n";
  CHECK(raw_exchange(s.server.port(), huge_line).starts_with("HTTP/1.1 413"));
  std::string bomb = "GET / HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 20000; ++i) bomb += "X-" + std::to_string(i) + ": y\r\n";
  bomb += "\r\n";
  const std::string answer = raw_exchange(s.server.port(), bomb);
  CHECK((answer.empty() || answer.starts_with("HTTP/1.1 413")));
  std::string body = "POST /later HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n";
  CHECK(raw_exchange(s.server.port(), body + std::string(1000000, 'z')).starts_with("HTTP/1.1 413"));
  CHECK(testing::http_request(s.url("/")).status == 200);
}

TEST_CASE("a slow client and a deferred answer never hold up other requests") {
  Server s;
  // A client dribbling its headers a byte at a time.
  std::atomic<bool> stop{false};
  std::thread slow([&] {
    const int fd = connect_to(s.server.port());
    const std::string request = "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ";
    for (std::size_t i = 0; !stop && fd >= 0; ++i) {
      (void)::send(fd, &request[i % request.size()], 1, MSG_NOSIGNAL);
      std::this_thread::sleep_for(50ms);
    }
    if (fd >= 0) ::close(fd);
  });
  auto later = std::async(std::launch::async, [&] { return testing::http_request(s.url("/later"), true); });
  const auto start = std::chrono::steady_clock::now();
  CHECK(testing::http_request(s.url("/")).status == 200);
  CHECK(std::chrono::steady_clock::now() - start < 400ms);  // answered while /later still waits (500 ms)
  const auto deferred = later.get();
  CHECK(deferred.status == 200);
  CHECK(deferred.body == "finally\n");
  stop = true;
  slow.join();
}

TEST_CASE("5,000 idle connections: the server still answers a scrape") {
  rlimit lim{};
  REQUIRE(getrlimit(RLIMIT_NOFILE, &lim) == 0);
  if (lim.rlim_cur < 12000 && lim.rlim_max >= 12000) {
    lim.rlim_cur = std::min<rlim_t>(lim.rlim_max, 65536);
    setrlimit(RLIMIT_NOFILE, &lim);
  }
  if (lim.rlim_cur < 12000) {
    MESSAGE("skipped: the descriptor limit (" << lim.rlim_cur << ") is too low for 5,000 client and server sockets");
    return;
  }
  Server s;
  std::vector<int> idle;
  for (int i = 0; i < 5000; ++i) {
    const int fd = connect_to(s.server.port());
    if (fd < 0) break;
    idle.push_back(fd);
  }
  CHECK(idle.size() == 5000);
  std::this_thread::sleep_for(300ms);  // let the server accept what it will
  const auto start = std::chrono::steady_clock::now();
  CHECK(testing::http_request(s.url("/")).status == 200);
  CHECK(std::chrono::steady_clock::now() - start < 5s);
  CHECK(s.server.connections() <= HttpServer::kMaxConnections);
  for (int fd : idle) ::close(fd);
}

namespace {

// The body of a chunked answer (after its headers), decoded; "" with `ok` false if the framing is wrong.
std::string dechunk(std::string_view raw, bool& ok, std::size_t& chunks) {
  std::string body;
  ok = false;
  chunks = 0;
  for (;;) {
    const auto eol = raw.find("\r\n");
    if (eol == std::string_view::npos) return body;
    const std::size_t size = std::stoul(std::string(raw.substr(0, eol)), nullptr, 16);
    raw.remove_prefix(eol + 2);
    if (size == 0) {
      ok = raw.starts_with("\r\n");
      return body;
    }
    if (raw.size() < size + 2 || raw.substr(size, 2) != "\r\n") return body;
    body.append(raw.substr(0, size));
    raw.remove_prefix(size + 2);
    ++chunks;
  }
}

}  // namespace

TEST_CASE("a streamed body goes out piece by piece: chunked to HTTP/1.1, close-delimited to HTTP/1.0") {
  Server s;
  const std::string expected = expected_pieces(50, 100);

  const auto got = testing::http_request(s.url("/stream"));
  CHECK(got.status == 200);
  CHECK(got.body == expected);

  // HTTP/1.1: one chunk per piece, then the last chunk; the connection stays open for the next request.
  const std::string both = raw_exchange(
      s.server.port(), "GET /stream HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  REQUIRE(both.starts_with("HTTP/1.1 200"));
  const auto head_end = both.find("\r\n\r\n");
  const std::string head = both.substr(0, head_end);
  CHECK(head.find("Transfer-Encoding: chunked") != std::string::npos);
  CHECK(head.find("Content-Length") == std::string::npos);
  CHECK(head.find("Content-Type: text/plain") != std::string::npos);
  const auto second = both.find("HTTP/1.1 200", head_end);
  REQUIRE(second != std::string::npos);
  bool ok = false;
  std::size_t chunks = 0;
  CHECK(dechunk(std::string_view(both).substr(head_end + 4, second - head_end - 4), ok, chunks) == expected);
  CHECK(ok);
  CHECK(chunks == 50);
  CHECK(both.ends_with("hello, world\n"));

  // HTTP/1.0 has no chunks: the body as it is, ended by the close.
  const std::string old = raw_exchange(s.server.port(), "GET /stream HTTP/1.0\r\n\r\n");
  REQUIRE(old.starts_with("HTTP/1.0 200"));
  const auto old_end = old.find("\r\n\r\n");
  CHECK(old.substr(0, old_end).find("Transfer-Encoding") == std::string::npos);
  CHECK(old.substr(old_end + 4) == expected);

  // HEAD: the headers of a GET; nothing is made.
  const int made = pieces_made;
  const std::string h = raw_exchange(s.server.port(), "HEAD /stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  CHECK(h.starts_with("HTTP/1.1 200"));
  CHECK(h.find("Transfer-Encoding: chunked") != std::string::npos);
  CHECK(h.ends_with("\r\n\r\n"));
  CHECK(pieces_made == made);
}

TEST_CASE("a client that does not read a streamed body holds up neither the server nor memory") {
  Server s;
  // A small receive buffer (no autotuning): what the kernel holds for the client stays small.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  const int small = 64 * 1024;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(s.server.port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  const std::string request = "GET /stream-huge HTTP/1.1\r\nHost: x\r\n\r\n";
  REQUIRE(::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size()));
  // The server makes pieces only as the socket takes them: a few, then it waits for the reader.
  CHECK(testing::eventually([] { return pieces_made > 0; }, 5s));
  // What the kernel takes before the writes block depends on its buffer tuning (here some 13 MB went into
  // loopback's buffers); what matters is that making stops, far short of the 64 GB body.
  std::this_thread::sleep_for(500ms);
  const int stalled_at = pieces_made;
  CHECK(stalled_at < 1000);  // 64 MB
  std::this_thread::sleep_for(500ms);
  CHECK(pieces_made <= stalled_at + 2);  // stalled: nothing more is made while nobody reads
  CHECK(testing::http_request(s.url("/")).status == 200);  // others are served meanwhile
  CHECK(testing::http_request(s.url("/stream")).body == expected_pieces(50, 100));
  ::close(fd);
  // The client is gone: its stream is dropped unfinished.
  CHECK(testing::eventually([] { return streams_alive == 0; }, 15s));
}

TEST_CASE("out of descriptors: the server backs off instead of spinning, and serves once it has them again") {
  // On a loopback address of its own: other test processes take ports from closed_port() and poll
  // 127.0.0.1 on them until their daemon answers. Had this server been given such a port on 127.0.0.1,
  // a stranger's connection could be open here before the descriptors run out (a full `make test` saw
  // accepted == 1 once).
  Server s("127.45.67.89");
  REQUIRE(s.server.connections() == 0);
  // The process runs out of descriptors but one, and the client takes that one: its connection waits in
  // the listen backlog, and every accept() of the server fails with EMFILE.
  rlimit saved{};
  REQUIRE(getrlimit(RLIMIT_NOFILE, &saved) == 0);
  rlimit low = saved;
  low.rlim_cur = 256;
  REQUIRE(setrlimit(RLIMIT_NOFILE, &low) == 0);
  std::vector<int> fillers;
  for (int fd; (fd = ::dup(0)) >= 0;) fillers.push_back(fd);
  REQUIRE(!fillers.empty());
  ::close(fillers.back());
  fillers.pop_back();
  const int client = connect_to(s.server.port(), s.host);
  const auto cpu_seconds = [] {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);  // the test thread sleeps meanwhile: this is the server's thread
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
  };
  const double cpu_before = cpu_seconds();
  std::this_thread::sleep_for(1s);
  const double cpu_used = cpu_seconds() - cpu_before;
  const std::size_t accepted = s.server.connections();
  for (int fd : fillers) ::close(fd);
  REQUIRE(setrlimit(RLIMIT_NOFILE, &saved) == 0);
  REQUIRE(client >= 0);
  CHECK(accepted == 0);  // the connection really waited: every accept() in that second failed
  // A spinning accept loop burns the whole second; pausing between tries costs next to nothing.
  CHECK_MESSAGE(cpu_used < 0.3, "CPU while out of descriptors: " << cpu_used << " s in 1 s");

  timeval tv{5, 0};
  ::setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  const std::string request = "GET / HTTP/1.0\r\n\r\n";
  REQUIRE(::send(client, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size()));
  std::string answer;
  char buf[4096];
  for (ssize_t n; (n = ::recv(client, buf, sizeof buf, 0)) > 0;) answer.append(buf, static_cast<std::size_t>(n));
  ::close(client);
  CHECK(answer.find("hello, world") != std::string::npos);
}
