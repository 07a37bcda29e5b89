#include "tests/support/dns_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace synthprobe::testing {
namespace {

// A UDP socket bound to 127.0.0.1 on a free port.
int bind_udp(unsigned short& port) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    throw std::runtime_error("bind failed");
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  port = ntohs(addr.sin_port);
  return fd;
}

void put16(std::string& out, unsigned v) {
  out += static_cast<char>((v >> 8) & 0xff);
  out += static_cast<char>(v & 0xff);
}

void put32(std::string& out, unsigned v) {
  put16(out, v >> 16);
  put16(out, v & 0xffff);
}

// The question of a query: its name (dotted, lower case as sent) and where the question ends.
bool parse_question(const unsigned char* data, std::size_t size, std::string& name, int& qtype, std::size_t& end) {
  std::size_t at = 12;
  name.clear();
  while (at < size && data[at] != 0) {
    const std::size_t len = data[at];
    if (len > 63 || at + 1 + len > size) return false;
    if (!name.empty()) name += '.';
    name.append(reinterpret_cast<const char*>(data + at + 1), len);
    at += 1 + len;
  }
  if (at + 5 > size) return false;
  qtype = data[at + 1] << 8 | data[at + 2];
  end = at + 5;
  return true;
}

// Sends a query for ready.test and waits for any answer: the server is up.
bool answers(unsigned short port) {
  unsigned short ignored = 0;
  const int fd = bind_udp(ignored);
  std::string q;
  put16(q, 0x4242);
  put16(q, 0x0100);
  put16(q, 1);
  put16(q, 0);
  put16(q, 0);
  put16(q, 0);
  q += "\x05ready\x04test";
  q += '\0';
  put16(q, 1);
  put16(q, 1);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  to.sin_port = htons(port);
  ::sendto(fd, q.data(), q.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
  pollfd p{fd, POLLIN, 0};
  const bool ok = ::poll(&p, 1, 200) == 1;
  ::close(fd);
  return ok;
}

std::string loopback(unsigned short port) { return "127.0.0.1:" + std::to_string(port); }

}  // namespace

std::string Dnsmasq::binary() {
  for (const char* path : {"/usr/sbin/dnsmasq", "/usr/bin/dnsmasq"})
    if (::access(path, X_OK) == 0) return path;
  return "";
}

Dnsmasq::Dnsmasq(const TempDir& dir, const std::vector<std::string>& arguments) {
  const std::string bin = binary();
  if (bin.empty()) {
    why_not_ = "dnsmasq is not installed (scripts/install-deps.sh test installs dnsmasq-base)";
    return;
  }
  log_path_ = (dir.path() / "dnsmasq.log").string();
  // A port found free may be taken before dnsmasq binds it: a few tries.
  for (int attempt = 0; attempt < 5 && !process_; ++attempt) {
    const int probe = bind_udp(port_);
    ::close(probe);
    std::vector<std::string> argv{bin,
                                  "--keep-in-foreground",
                                  "--no-resolv",
                                  "--no-hosts",
                                  "--conf-file=/dev/null",
                                  "--listen-address=127.0.0.1",
                                  "--bind-interfaces",
                                  "--port=" + std::to_string(port_),
                                  "--local=/test/",
                                  "--local-ttl=60",
                                  "--pid-file=",
                                  "--user=root",
                                  "--log-queries",
                                  "--log-facility=-"};
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    auto child = std::make_unique<ChildProcess>(argv, log_path_);
    if (eventually([&] { return !child->running() || answers(port_); }, std::chrono::seconds(5)) && child->running())
      process_ = std::move(child);
  }
  if (!process_) {
    std::ifstream in(log_path_);
    std::ostringstream log;
    log << in.rdbuf();
    why_not_ = "dnsmasq did not start: " + log.str();
  }
}

std::string Dnsmasq::server() const { return loopback(port_); }

std::size_t Dnsmasq::queries() const {
  std::ifstream in(log_path_);
  std::string line;
  std::size_t n = 0;
  while (std::getline(in, line))
    if (line.find(": query[") != std::string::npos && line.find("ready.test") == std::string::npos) ++n;
  return n;
}

ScriptedDns::ScriptedDns(Answer answer) : answer_(std::move(answer)) {
  fd_ = bind_udp(port_);
  thread_ = std::thread([this] { serve(); });
}

ScriptedDns::~ScriptedDns() {
  stop_ = true;
  thread_.join();
  ::close(fd_);
}

std::string ScriptedDns::server() const { return loopback(port_); }

std::size_t ScriptedDns::questions(const std::string& name, int qtype) const {
  std::lock_guard lock(mutex_);
  auto it = seen_.find({name, qtype});
  return it == seen_.end() ? 0 : it->second;
}

std::size_t ScriptedDns::questions() const {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (const auto& [key, count] : seen_) n += count;
  return n;
}

void ScriptedDns::serve() {
  unsigned char buf[1500];
  while (!stop_) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) != 1) continue;
    sockaddr_storage from{};
    socklen_t from_len = sizeof from;
    const ssize_t n = ::recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &from_len);
    if (n < 12) continue;
    std::string name;
    int qtype = 0;
    std::size_t question_end = 0;
    if (!parse_question(buf, static_cast<std::size_t>(n), name, qtype, question_end)) continue;
    {
      std::lock_guard lock(mutex_);
      ++seen_[{name, qtype}];
    }
    const Reply reply = answer_(name, qtype);
    if (reply.silent) continue;
    std::vector<std::string> records;
    if (reply.rcode == 0) records = qtype == 1 ? reply.ipv4 : qtype == 28 ? reply.ipv6 : std::vector<std::string>{};
    std::string out;
    put16(out, buf[0] << 8 | buf[1]);                       // the query's id
    put16(out, 0x8180 | (buf[2] & 0x01) << 8 | reply.rcode);  // a response, RD copied, RA, rcode
    put16(out, 1);
    put16(out, static_cast<unsigned>(records.size()));
    put16(out, 0);
    put16(out, 0);
    out.append(reinterpret_cast<const char*>(buf + 12), question_end - 12);
    for (const std::string& address : records) {
      unsigned char raw[16];
      const int family = qtype == 1 ? AF_INET : AF_INET6;
      if (inet_pton(family, address.c_str(), raw) != 1) continue;
      put16(out, 0xc00c);  // the name of the question
      put16(out, static_cast<unsigned>(qtype));
      put16(out, 1);
      put32(out, reply.ttl);
      const std::size_t len = family == AF_INET ? 4 : 16;
      put16(out, static_cast<unsigned>(len));
      out.append(reinterpret_cast<const char*>(raw), len);
    }
    ::sendto(fd_, out.data(), out.size(), 0, reinterpret_cast<sockaddr*>(&from), from_len);
  }
}

SilentDns::SilentDns() { fd_ = bind_udp(port_); }
SilentDns::~SilentDns() { ::close(fd_); }
std::string SilentDns::server() const { return loopback(port_); }

}  // namespace synthprobe::testing
