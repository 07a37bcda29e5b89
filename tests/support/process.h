#pragma once
// A child process for tests: started with arguments, output to a file, signalled and awaited with bounds.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace synthprobe::testing {

class ChildProcess {
 public:
  // Runs `argv[0]` with `argv`; stdout and stderr go to `log_file`.
  ChildProcess(const std::vector<std::string>& argv, const std::string& log_file);
  ~ChildProcess();  // SIGKILL if still running
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  int pid() const { return pid_; }
  void signal(int signo) const;
  // The exit code, or nullopt if it did not exit within `limit` (-signal when killed by a signal).
  std::optional<int> wait(std::chrono::milliseconds limit);
  bool running();

 private:
  int pid_ = -1;
  std::optional<int> status_;
};

struct HttpGetResult {
  long status = 0;  // 0: no answer
  std::string body;
};
// A plain HTTP request with libcurl's easy API (GET, or POST with `post`, with no Content-Type unless
// `extra_headers` ("Name: value") give one); `method` overrides the verb (HEAD, DELETE, ...).
HttpGetResult http_request(const std::string& url, bool post = false, const std::vector<std::string>& extra_headers = {},
                           const char* method = nullptr);
// POST `body` as application/json, with `extra_headers`.
HttpGetResult http_post_json(const std::string& url, const std::string& body, const std::vector<std::string>& extra_headers = {});

// Polls `condition` every 50 ms until it is true or `limit` passes.
template <typename F>
bool eventually(F condition, std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (condition()) return true;
    struct timespec ts{0, 50'000'000};
    nanosleep(&ts, nullptr);
  }
  return condition();
}

}  // namespace synthprobe::testing
