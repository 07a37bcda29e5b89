#pragma once
// DNS servers on 127.0.0.1 for tests of the resolver: a real dnsmasq answering from its command line only,
// a scripted responder whose answers a test chooses (and which counts the questions), and a socket that
// never answers.

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace synthprobe::testing {

// dnsmasq on 127.0.0.1 and a free port: names under .test are answered from `arguments` (e.g.
// "--host-record=shop.test,127.0.0.1") and are NXDOMAIN otherwise; other names are REFUSED (no upstream).
class Dnsmasq {
 public:
  Dnsmasq(const TempDir& dir, const std::vector<std::string>& arguments);
  // The dnsmasq binary, or "" when it is not installed.
  static std::string binary();
  bool running() const { return process_ != nullptr; }
  const std::string& why_not() const { return why_not_; }  // when not running
  std::string server() const;  // "127.0.0.1:PORT"
  // Questions it logged so far (each A or AAAA question counts once).
  std::size_t queries() const;

 private:
  unsigned short port_ = 0;
  std::string log_path_;
  std::string why_not_;
  std::unique_ptr<ChildProcess> process_;
};

// A UDP DNS responder on 127.0.0.1 (its own thread) that answers as `answer` says for each question.
class ScriptedDns {
 public:
  struct Reply {
    int rcode = 0;                    // 0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, 5 REFUSED
    std::vector<std::string> ipv4;    // A records (for an A question)
    std::vector<std::string> ipv6;    // AAAA records (for an AAAA question)
    unsigned ttl = 300;
    bool silent = false;              // no answer at all
  };
  using Answer = std::function<Reply(const std::string& name, int qtype)>;

  explicit ScriptedDns(Answer answer);
  ~ScriptedDns();
  ScriptedDns(const ScriptedDns&) = delete;
  ScriptedDns& operator=(const ScriptedDns&) = delete;

  std::string server() const;  // "127.0.0.1:PORT"
  // Questions seen for `name` and qtype (1 = A, 28 = AAAA).
  std::size_t questions(const std::string& name, int qtype) const;
  std::size_t questions() const;

 private:
  void serve();

  Answer answer_;
  int fd_ = -1;
  unsigned short port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, std::size_t> seen_;
  std::thread thread_;
};

// A bound UDP socket nobody reads: a DNS server that never answers.
class SilentDns {
 public:
  SilentDns();
  ~SilentDns();
  SilentDns(const SilentDns&) = delete;
  SilentDns& operator=(const SilentDns&) = delete;
  std::string server() const;  // "127.0.0.1:PORT"

 private:
  int fd_ = -1;
  unsigned short port_ = 0;
};

}  // namespace synthprobe::testing
