#pragma once
// One HTTP request/response on a curl easy handle: turns a step's settings into curl options, keeps
// what curl needs alive during the transfer, and collects the response and its measurements.

#include <curl/curl.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config_model.h"
#include "probe/engine/run_result.h"

namespace synthprobe {

class HttpExchange {
 public:
  HttpExchange() = default;
  ~HttpExchange();
  HttpExchange(const HttpExchange&) = delete;
  HttpExchange& operator=(const HttpExchange&) = delete;

  struct Options {
    long timeout_ms = 10000;  // what is left of the run's budget
    bool keep_body = false;   // assertions or extractions read it
    bool keep_headers = false;  // header assertions or extractions read them
    CURLSH* cookie_jar = nullptr;  // a share holding the run's cookies (flows), or none
    // The handle still has the options an earlier prepare() of a plain request set (it was given back
    // with keeps_options()): the ones every run shares are not set again.
    bool handle_configured = false;
  };
  // Sets every option for `settings` (on a handle_configured one, every option that differs between
  // plain requests); templates are rendered with `inputs`. Nothing when the request is
  // ready; else why it cannot be sent (a header value that a run's values would break into two lines),
  // and the transfer must not start.
  [[nodiscard]] std::optional<std::string> prepare(CURL* easy, const config::RequestSettings& settings,
                                                   const config::RenderInputs& inputs, const Options& options);

  // After prepare(): true when the handle, once its transfer is over with no redirect followed, may go back
  // to the pool without curl_easy_reset (the caller checks the redirects). Such a plain request is a GET
  // of an http:// URL on a fresh connection, with no body, basic auth, credentials in the URL, proxy, TLS
  // setting or cookie jar (a bearer token is a header line, and the header list is set on every run):
  // - every option it has is one that prepare() sets on every run, so the next run's prepare() overwrites
  //   all of them;
  // - curl keeps per-handle state beyond options that only a reset clears: its count of retries on a
  //   connection that died or an HTTP/2 stream the server refused (after 5 on one handle the next such
  //   retry fails the transfer), and authentication state. A fresh connection is never reused, and one
  //   plain HTTP hop is HTTP/1 (HTTP/2 only comes over TLS here), so such a transfer never retries; it
  //   has no auth for curl to negotiate.
  // Any other request's handle is reset. The saving (a reset and a dozen options, 0.73 µs in a tight
  // loop) matters only where a run costs little else: a TLS handshake costs a thousand times more.
  bool keeps_options(const Options& options) const;

  // After prepare(): the host name to look up before the transfer may start, or none (an IP literal, a
  // pin for the URL's host and port, a proxy). A view into this exchange's URL.
  const std::optional<config::LookupTarget>& lookup() const { return lookup_; }
  // The lookup's answer: curl connects to `address` for every port of the looked-up host (so a redirect
  // to another port or scheme of the same host uses it too) while Host and SNI keep the name; the
  // transfer gets `timeout_ms` (what the lookup left); `lookup_us` goes into the resolve phase and the
  // step's duration.
  void connect_to_address(std::string_view address, bool ipv6, long timeout_ms, std::int64_t lookup_us);

  // After the transfer ended with `code`: fills status, phases, version, sizes, TLS facts, and on a
  // transport failure the reason and message.
  void collect(CURL* easy, CURLcode code, StepResult& out) const;

  const std::string& body() const { return body_; }
  // The final response's headers, names lower case.
  const std::vector<std::pair<std::string, std::string>>& headers() const { return headers_; }
  std::uint64_t body_bytes() const { return body_bytes_; }

  // Between runs (the object is pooled): keeps the small buffers' capacity, gives back a large body.
  void trim();

 private:
  // The options every request of every run has: set on a reset handle only.
  static void set_shared_options(CURL* easy);
  static std::size_t on_write(char* data, std::size_t size, std::size_t count, void* self);
  static std::size_t on_header(char* data, std::size_t size, std::size_t count, void* self);
  // A Location header on a 3xx that curl is about to follow; false refuses the redirect (aborts).
  bool allow_redirect(std::string_view location);
  void capture_certificate_expiry(CURL* easy);
  // The message for a transfer that failed with `code`, in words about what the target did.
  std::string failure_message(CURL* easy, CURLcode code) const;

  // A curl_slist built in buffers this object keeps (curl only reads the list during the transfer), so a
  // run's header and pin lists cost no allocation once the buffers have grown: lines made for this run are
  // appended to one string (NUL-separated), lines that live elsewhere for the whole transfer (the config's
  // constant headers, static text) are pointed at; the nodes are laid out once the list is complete.
  struct LineList {
    static constexpr std::size_t kElsewhere = static_cast<std::size_t>(-1);
    std::string text;
    std::vector<std::size_t> starts;  // each line's offset in `text`, or kElsewhere
    std::vector<curl_slist> nodes;    // a kElsewhere line's node holds its pointer from the start
    void clear() {
      text.clear();
      starts.clear();
      nodes.clear();
    }
    // Starts a line made here; append its text, and its NUL, to `text` afterwards.
    void begin_line() {
      starts.push_back(text.size());
      nodes.push_back({nullptr, nullptr});
    }
    void add(std::string_view line) {
      begin_line();
      text += line;
    }
    // A NUL-terminated line that outlives the transfer.
    void add_elsewhere(const char* line) {
      starts.push_back(kElsewhere);
      nodes.push_back({const_cast<char*>(line), nullptr});
    }
    bool empty() const { return starts.empty(); }
    curl_slist* finish();  // nullptr when empty
  };

  // What a followed redirect left to say, should curl then refuse or fail it. Made on the first redirect
  // a pooled exchange sees; most runs never redirect and carry only the pointer.
  struct RedirectNotes {
    std::string refused;        // why a redirect was refused, when it was
    std::string last_location;  // where the last 3xx pointed (absolute when it parsed)
  };

  CURL* easy_ = nullptr;
  const config::RequestSettings* settings_ = nullptr;  // the step's; outlives the transfer
  const char* url_ = nullptr;  // the request's URL: the config's own text when constant, else rendered_url_
  std::string rendered_url_;
  std::string request_body_;
  LineList request_headers_;
  LineList connect_to_;
  std::optional<config::LookupTarget> lookup_;
  std::int64_t lookup_us_ = 0;
  char error_[CURL_ERROR_SIZE] = {};

  std::uint64_t max_body_bytes_ = 0;
  int status_lines_ = 0;  // responses that began with a status line, redirects included
  bool in_head_ = true;   // waiting for or reading a response head, not its body
  bool keep_body_ = false;
  bool keep_headers_ = false;
  bool body_over_limit_ = false;
  std::unique_ptr<RedirectNotes> redirect_;  // kept across runs once made; cleared by prepare()
  std::string body_;
  std::uint64_t body_bytes_ = 0;
  std::vector<std::pair<std::string, std::string>> headers_;
  std::optional<std::int64_t> cert_expiry_unix_;
};

// A cookie jar for one run (see Options::cookie_jar); it holds the run's TLS sessions too. Null when curl
// is out of memory.
CURLSH* new_cookie_jar();
// Detaches a handle from the run's cookie jar (see Options::cookie_jar) before it is reset or pooled.
void release_cookie_jar(CURL* easy);

// The contract's reason for a transport-level curl failure.
Reason reason_for(CURLcode code);

}  // namespace synthprobe
