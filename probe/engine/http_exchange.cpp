#include "probe/engine/http_exchange.h"

#include <openssl/asn1.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <ctime>

#include "common/text.h"
#include "config/duration.h"
#include "probe/engine/connect_to.h"
#include "probe/engine/phase_timings.h"
#include "probe/engine/redirect_guard.h"

namespace synthprobe {
namespace {

// Small enough to keep many transfers in flight, large enough not to cost extra reads on web pages.
constexpr long kReceiveBufferBytes = 16 * 1024;

constexpr long kCaCacheSeconds = 3600;

// curl's default for CURLOPT_DNS_CACHE_TIMEOUT, set back explicitly for a check that reuses connections.
constexpr long kCurlDnsCacheSeconds = 60;

// curl reads an answer whose first line is no valid status line ("HTTP/1.1 2x0", or no HTTP at all) as
// HTTP/0.9, which it refuses.
constexpr const char* kNoStatusLine = "the server answered without a valid status line (HTTP/0.9 or not HTTP)";

bool has_header(const config::RequestSettings& s, std::string_view name) {
  return std::any_of(s.headers.begin(), s.headers.end(), [&](const auto& h) { return text::iequals(h.name, name); });
}

std::optional<std::int64_t> asn1_to_unix(const ASN1_TIME* t) {
  std::tm tm{};
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return std::nullopt;
  return static_cast<std::int64_t>(timegm(&tm));
}

const char* http_version_name(long v) {
  switch (v) {
    case CURL_HTTP_VERSION_1_0: return "1.0";
    case CURL_HTTP_VERSION_1_1: return "1.1";
    case CURL_HTTP_VERSION_2_0: return "2";
    case CURL_HTTP_VERSION_3: return "3";
    default: return "";
  }
}

}  // namespace

Reason reason_for(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return Reason::dns;
    case CURLE_COULDNT_CONNECT:
      return Reason::connect;
    case CURLE_OPERATION_TIMEDOUT:
      return Reason::timeout;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_USE_SSL_FAILED:
      return Reason::tls;
    default:
      // Malformed or cut responses, resets, redirect loops or to other schemes, oversized bodies.
      return Reason::protocol;
  }
}

HttpExchange::~HttpExchange() = default;

curl_slist* HttpExchange::LineList::finish() {
  if (starts.empty()) return nullptr;
  // Each line ends with a NUL; the nodes point into `text` only now, when it no longer moves.
  for (std::size_t i = 0; i < starts.size(); ++i) {
    if (starts[i] != kElsewhere) nodes[i].data = text.data() + starts[i];
    nodes[i].next = i + 1 < starts.size() ? &nodes[i + 1] : nullptr;
  }
  return nodes.data();
}

void HttpExchange::trim() {
  // What a pooled run may keep between runs: a typical page or request body, not an outlier's.
  constexpr std::size_t kKeepBodyBytes = 16 * 1024;
  constexpr std::size_t kKeepRequestBytes = 4 * 1024;
  if (body_.capacity() > kKeepBodyBytes) std::string().swap(body_);
  if (request_body_.capacity() > kKeepRequestBytes) std::string().swap(request_body_);
  body_.clear();
  headers_.clear();
  settings_ = nullptr;
  easy_ = nullptr;
}

CURLSH* new_cookie_jar() {
  CURLSH* jar = curl_share_init();
  if (!jar) return nullptr;
  // TLS sessions too: the run's handle keeps its sessions in the jar while it is attached (a flow resumes
  // its own sessions, a retried flow starts without), never in a cache of its own (see acquire_easy).
  if (curl_share_setopt(jar, CURLSHOPT_SHARE, CURL_LOCK_DATA_COOKIE) != CURLSHE_OK ||
      curl_share_setopt(jar, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK) {
    curl_share_cleanup(jar);
    return nullptr;
  }
  return jar;
}

void release_cookie_jar(CURL* easy) {
  // curl_easy_reset in libcurl 7.88 forgets the COOKIEFILE list without freeing it; NULL frees it. With a
  // share attached this leaves the share's cookies alone.
  curl_easy_setopt(easy, CURLOPT_COOKIEFILE, nullptr);
  curl_easy_setopt(easy, CURLOPT_SHARE, nullptr);
}

std::optional<std::string> HttpExchange::prepare(CURL* easy, const config::RequestSettings& s,
                                                 const config::RenderInputs& inputs, const Options& options) {
  request_headers_.clear();
  connect_to_.clear();
  easy_ = easy;
  settings_ = &s;
  error_[0] = '\0';
  if (redirect_) {
    redirect_->refused.clear();
    redirect_->last_location.clear();
  }
  status_lines_ = 0;
  in_head_ = true;
  keep_body_ = options.keep_body;
  keep_headers_ = options.keep_headers;
  max_body_bytes_ = s.max_body_bytes;
  body_over_limit_ = false;
  body_.clear();
  body_bytes_ = 0;
  headers_.clear();
  cert_expiry_unix_.reset();

  if (s.url.is_constant()) {
    url_ = s.url.constant_text().c_str();  // the check outlives its runs
  } else {
    rendered_url_.clear();
    s.url.render(rendered_url_, inputs);
    url_ = rendered_url_.c_str();
  }
  // First: a kept handle's buffer is the last run's, which may be gone.
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, error_);
  if (!options.handle_configured) set_shared_options(easy);
  // From here on, every option of a plain request (see keeps_options()) is set on every run.
  curl_easy_setopt(easy, CURLOPT_URL, url_);
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, std::max(1L, options.timeout_ms));
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, this);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, this);
  curl_easy_setopt(easy, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(s.max_body_bytes));
  // Environment proxy variables are ignored so probes are deterministic: "" means no proxy.
  curl_easy_setopt(easy, CURLOPT_PROXY, s.proxy_url.c_str());

  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, s.follow_redirects ? 1L : 0L);
  curl_easy_setopt(easy, CURLOPT_MAXREDIRS, static_cast<long>(s.max_redirects));
  // Both ways on every run (curl's defaults otherwise), so a kept handle carries no option over.
  curl_easy_setopt(easy, CURLOPT_FRESH_CONNECT, s.fresh_connection ? 1L : 0L);
  curl_easy_setopt(easy, CURLOPT_FORBID_REUSE, s.fresh_connection ? 1L : 0L);
  curl_easy_setopt(easy, CURLOPT_DNS_CACHE_TIMEOUT, s.fresh_connection ? 0L : kCurlDnsCacheSeconds);
  // A resumed TLS session skips most of the handshake, and a pooled handle keeps its sessions across
  // curl_easy_reset: without this the tls phase would be full only on a handle's first run.
  curl_easy_setopt(easy, CURLOPT_SSL_SESSIONID_CACHE, s.fresh_connection ? 0L : 1L);
  switch (s.ip_version) {
    case config::IpVersion::v4: curl_easy_setopt(easy, CURLOPT_IPRESOLVE, CURL_IPRESOLVE_V4); break;
    case config::IpVersion::v6: curl_easy_setopt(easy, CURLOPT_IPRESOLVE, CURL_IPRESOLVE_V6); break;
    case config::IpVersion::any: curl_easy_setopt(easy, CURLOPT_IPRESOLVE, CURL_IPRESOLVE_WHATEVER); break;
  }
  // Pins go with this transfer only (see connect_to.h), never into the multi's shared DNS cache.
  for (const auto& entry : s.resolve)
    if (const std::string pin = connect_to_entry(entry); !pin.empty()) {
      connect_to_.add(pin);
      connect_to_.text += '\0';
    }
  curl_easy_setopt(easy, CURLOPT_CONNECT_TO, connect_to_.finish());  // none: nullptr
  const bool lookup_kept =
      s.constant_lookup && s.url.is_constant() && s.constant_lookup->made_from(s.url.constant_text());
  lookup_ = lookup_kept ? config::lookup_in(*s.constant_lookup, url_)
                        : config::lookup_target(url_, s.resolve, !s.proxy_url.empty());
  lookup_us_ = 0;

  if (!s.tls.ca_file.empty()) curl_easy_setopt(easy, CURLOPT_CAINFO, s.tls.ca_file.c_str());
  if (s.tls.insecure) {
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (!s.tls.client_cert.empty()) curl_easy_setopt(easy, CURLOPT_SSLCERT, s.tls.client_cert.c_str());
  if (!s.tls.client_key.empty()) curl_easy_setopt(easy, CURLOPT_SSLKEY, s.tls.client_key.c_str());

  // The jar lives in a share, so it outlives the resets between steps; COOKIEFILE "" switches the
  // handle's cookie engine on over it. release_cookie_jar() undoes both.
  if (options.cookie_jar) {
    curl_easy_setopt(easy, CURLOPT_SHARE, options.cookie_jar);
    curl_easy_setopt(easy, CURLOPT_COOKIEFILE, "");
  }

  auto& lines = request_headers_;
  const char* fixed = s.fixed_header_lines.c_str();
  const char* const fixed_end = fixed + s.fixed_header_lines.size();
  for (const auto& h : s.headers) {
    if (h.fixed && fixed < fixed_end) {  // built at load: no copy per run
      lines.add_elsewhere(fixed);
      fixed += std::strlen(fixed) + 1;
      continue;
    }
    lines.begin_line();
    const std::size_t at = lines.text.size();
    lines.text += h.name;
    lines.text += ": ";
    h.value.render(lines.text, inputs);
    // A constant value was checked at load; a run's values (what an earlier step extracted from the
    // target) could otherwise add a header line of their own to the request.
    if (!h.value.is_constant() && text::breaks_header_line(std::string_view(lines.text).substr(at + h.name.size() + 2)))
      return "header " + h.name + ": the value from this run's variables holds a line break (CR or LF) or a NUL; not sent";
    // "Name:" alone would remove curl's own header; "Name;" sends an empty one.
    if (lines.text.size() == at + h.name.size() + 2) lines.text.replace(at + h.name.size(), 2, ";");
    lines.text += '\0';
  }
  // No "Expect: 100-continue" round trip: it would add up to a second to every large POST.
  lines.add_elsewhere("Expect:");

  if (s.basic_auth_user) {
    curl_easy_setopt(easy, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(easy, CURLOPT_USERNAME, s.basic_auth_user->c_str());
    curl_easy_setopt(easy, CURLOPT_PASSWORD, s.basic_auth_password ? s.basic_auth_password->c_str() : "");
  } else if (s.bearer_token && !has_header(s, "authorization")) {
    lines.add("Authorization: Bearer ");
    lines.text += *s.bearer_token;
    lines.text += '\0';
  }

  request_body_.clear();
  bool has_body = true;
  switch (s.body_kind) {
    case config::BodyKind::none:
      has_body = false;
      break;
    case config::BodyKind::raw:
      s.body.render(request_body_, inputs);
      break;
    case config::BodyKind::json:
      s.body.render(request_body_, inputs);
      if (!has_header(s, "content-type")) lines.add_elsewhere("Content-Type: application/json");
      break;
    case config::BodyKind::form:
      for (const auto& field : s.form) {
        if (!request_body_.empty()) request_body_ += '&';
        text::append_percent_encoded(request_body_, field.name, text::PercentSet::form);
        request_body_ += '=';
        // One buffer for the loop's thread, kept: a form costs no allocation per run once it has grown.
        thread_local std::string value;
        value.clear();
        field.value.render(value, inputs);
        text::append_percent_encoded(request_body_, value, text::PercentSet::form);
      }
      if (!has_header(s, "content-type"))
        lines.add_elsewhere("Content-Type: application/x-www-form-urlencoded");
      break;
  }
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, lines.finish());

  if (s.method == "HEAD") {
    curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
  } else if (has_body || s.method == "POST") {
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request_body_.size()));
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, request_body_.c_str());
    if (s.method != "POST") curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, s.method.c_str());
  } else if (s.method != "GET") {
    curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, s.method.c_str());
  }
  return std::nullopt;
}

bool HttpExchange::keeps_options(const Options& options) const {
  const config::RequestSettings& s = *settings_;
  const std::string_view url = url_ ? std::string_view(url_) : std::string_view();
  // No '@' anywhere: credentials in the URL are auth too (a path with an '@' is reset, harmlessly).
  return s.fresh_connection && url.size() > 7 && text::iequals(url.substr(0, 7), "http://") &&
         url.find('@') == std::string_view::npos && s.proxy_url.empty() &&
         s.method == "GET" && s.body_kind == config::BodyKind::none && !s.basic_auth_user && !options.cookie_jar &&
         s.tls.ca_file.empty() && !s.tls.insecure && s.tls.client_cert.empty() && s.tls.client_key.empty();
}

void HttpExchange::set_shared_options(CURL* easy) {
  // NOSIGNAL and the socket callbacks are CurlMulti::start()'s, set on every transfer it starts.
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_BUFFERSIZE, kReceiveBufferBytes);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &HttpExchange::on_write);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &HttpExchange::on_header);
  // Accept whatever compression curl can decode; assertions see the decoded body.
  curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
  // Trust comes from one CA file (the system bundle, or tls.ca_file), not also from the hashed directory
  // Debian's libcurl defaults to: with a directory set, libcurl re-reads the whole bundle for every
  // connection (some 20 ms of CPU on the event loop per HTTPS run, which delays every other run); from a
  // file alone it keeps the parsed store in the multi, re-read hourly so a replaced ca_file is picked up.
  curl_easy_setopt(easy, CURLOPT_CAPATH, nullptr);
  curl_easy_setopt(easy, CURLOPT_CA_CACHE_TIMEOUT, kCaCacheSeconds);
}

void HttpExchange::connect_to_address(std::string_view address, bool ipv6, long timeout_ms, std::int64_t lookup_us) {
  lookup_us_ = lookup_us;
  if (lookup_) {
    // "host::address:": any port of this host, to the same port at the address (curl's CONNECT_TO syntax).
    connect_to_.begin_line();
    connect_to_.text += lookup_->host;
    connect_to_.text += "::";
    if (ipv6) connect_to_.text += '[';
    connect_to_.text += address;
    if (ipv6) connect_to_.text += ']';
    connect_to_.text += ':';
    connect_to_.text += '\0';
    curl_easy_setopt(easy_, CURLOPT_CONNECT_TO, connect_to_.finish());
  }
  curl_easy_setopt(easy_, CURLOPT_TIMEOUT_MS, std::max(1L, timeout_ms));
}

std::size_t HttpExchange::on_write(char* data, std::size_t size, std::size_t count, void* self_ptr) {
  auto* self = static_cast<HttpExchange*>(self_ptr);
  const std::size_t n = size * count;
  self->body_bytes_ += n;
  if (self->body_bytes_ > self->max_body_bytes_) {
    self->body_over_limit_ = true;
    return CURL_WRITEFUNC_ERROR;
  }
  if (self->keep_body_) self->body_.append(data, n);
  return n;
}

std::size_t HttpExchange::on_header(char* data, std::size_t size, std::size_t count, void* self_ptr) {
  auto* self = static_cast<HttpExchange*>(self_ptr);
  const std::size_t n = size * count;
  const std::string_view line(data, n);
  if (line.starts_with("HTTP/")) {
    // A new response (after a redirect or a 100 Continue): only the final one's headers count.
    ++self->status_lines_;
    self->in_head_ = true;
    self->headers_.clear();
    self->body_.clear();
    self->body_bytes_ = 0;
    self->capture_certificate_expiry(self->easy_);
    return n;
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) {
    if (text::trim(line).empty()) self->in_head_ = false;  // the blank line that ends the head
    return n;
  }
  const std::string_view name = line.substr(0, colon);
  if (text::iequals(name, "location") && !self->allow_redirect(text::trim(line.substr(colon + 1)))) return 0;
  if (!self->keep_headers_) return n;  // most checks never read a header: no copies per run
  self->headers_.emplace_back(text::to_lower(text::trim(name)),
                              std::string(text::trim(line.substr(colon + 1))));
  return n;
}

bool HttpExchange::allow_redirect(std::string_view location) {
  if (!settings_->follow_redirects) return true;  // the 3xx is judged, not followed
  long status = 0;
  curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &status);
  if (status < 300 || status > 399) return true;  // curl follows Location on 3xx only
  const char* current = nullptr;  // the URL that answered: the first, or the last redirect's target
  curl_easy_getinfo(easy_, CURLINFO_EFFECTIVE_URL, &current);
  if (!current) current = url_;
  if (!redirect_) redirect_ = std::make_unique<RedirectNotes>();
  // Kept for the message should curl refuse to go there (another scheme, a malformed URL).
  auto target = resolve_location(current, location);
  redirect_->last_location = target ? std::move(*target) : std::string(location);
  auto refusal = refuse_redirect(*settings_, current, location);
  if (!refusal) return true;
  redirect_->refused = std::move(*refusal);
  return false;
}

void HttpExchange::capture_certificate_expiry(CURL* easy) {
  cert_expiry_unix_.reset();
  curl_tlssessioninfo* info = nullptr;
  if (curl_easy_getinfo(easy, CURLINFO_TLS_SSL_PTR, &info) != CURLE_OK || !info ||
      info->backend != CURLSSLBACKEND_OPENSSL || !info->internals)
    return;
  SSL* ssl = static_cast<SSL*>(info->internals);
  // The earliest notAfter of the chain the server sent, like blackbox's probe_ssl_earliest_cert_expiry.
  std::optional<std::int64_t> earliest;
  auto consider = [&](X509* cert) {
    if (!cert) return;
    if (auto t = asn1_to_unix(X509_get0_notAfter(cert)); t && (!earliest || *t < *earliest)) earliest = t;
  };
  if (STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl)) {
    for (int i = 0; i < sk_X509_num(chain); ++i) consider(sk_X509_value(chain, i));
  }
  if (!earliest) {
    X509* peer = SSL_get1_peer_certificate(ssl);
    consider(peer);
    X509_free(peer);
  }
  cert_expiry_unix_ = earliest;
}

void HttpExchange::collect(CURL* easy, CURLcode code, StepResult& out) const {
  long status = 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  out.status_code = status;

  CurlTimes t;
  t.lookup_us = lookup_us_;
  curl_off_t v = 0;
  if (curl_easy_getinfo(easy, CURLINFO_NAMELOOKUP_TIME_T, &v) == CURLE_OK) t.namelookup_us = v;
  if (curl_easy_getinfo(easy, CURLINFO_CONNECT_TIME_T, &v) == CURLE_OK) t.connect_us = v;
  if (curl_easy_getinfo(easy, CURLINFO_APPCONNECT_TIME_T, &v) == CURLE_OK) t.appconnect_us = v;
  if (curl_easy_getinfo(easy, CURLINFO_STARTTRANSFER_TIME_T, &v) == CURLE_OK) t.starttransfer_us = v;
  if (curl_easy_getinfo(easy, CURLINFO_TOTAL_TIME_T, &v) == CURLE_OK) t.total_us = v;
  out.phases = compute_phases(t);
  out.duration_seconds = static_cast<double>(t.total_us + lookup_us_) / 1e6;

  long version = 0;
  curl_easy_getinfo(easy, CURLINFO_HTTP_VERSION, &version);
  out.http_version = status ? http_version_name(version) : "";
  long redirects = 0;
  curl_easy_getinfo(easy, CURLINFO_REDIRECT_COUNT, &redirects);
  out.redirects = static_cast<int>(redirects);
  out.body_bytes = body_bytes_;
  out.cert_expiry_unix = cert_expiry_unix_;
  const char* effective_url = nullptr;
  curl_easy_getinfo(easy, CURLINFO_EFFECTIVE_URL, &effective_url);
  out.tls_used = status != 0 && effective_url && std::strncmp(effective_url, "https:", 6) == 0;

  if (code == CURLE_OK) return;
  out.success = false;
  if (redirect_ && !redirect_->refused.empty()) {
    out.reason = Reason::protocol;
    out.message = redirect_->refused;
    return;
  }
  if (body_over_limit_ || code == CURLE_FILESIZE_EXCEEDED) {
    out.reason = Reason::protocol;
    out.message = "body over max_body_bytes (" + std::to_string(max_body_bytes_) + " bytes)";
    return;
  }
  out.reason = reason_for(code);
  out.message = failure_message(easy, code);
}

std::string HttpExchange::failure_message(CURL* easy, CURLcode code) const {
  static const std::string kNoLocation;
  const std::string& last_location = redirect_ ? redirect_->last_location : kNoLocation;
  std::string curl_text = error_[0] ? std::string(error_) : std::string(curl_easy_strerror(code));
  switch (code) {
    case CURLE_TOO_MANY_REDIRECTS:
      return "too many redirects: " + curl_text;
    case CURLE_UNSUPPORTED_PROTOCOL: {
      // curl says "unsupported protocol" both for a redirect it may not follow and for an answer without
      // a status line (HTTP/0.9, or not HTTP at all).
      if (!last_location.empty() && !is_http_url(last_location))
        return "redirect to " + quote_url(last_location) + " refused: only http and https are followed";
      long redirects = 0;
      curl_easy_getinfo(easy, CURLINFO_REDIRECT_COUNT, &redirects);
      if (status_lines_ <= redirects) return kNoStatusLine;
      return curl_text;
    }
    case CURLE_SSL_CONNECT_ERROR:
      // OpenSSL's name for "the connection closed or failed under the handshake".
      if (curl_text.find("SSL_ERROR_SYSCALL") != std::string::npos)
        return "TLS handshake cut off (the server closed or reset the connection): " + curl_text;
      return curl_text;
    case CURLE_URL_MALFORMAT:
      if (!last_location.empty()) return "redirect to " + quote_url(last_location) + ": " + curl_text;
      return curl_text;
    case CURLE_FAILED_INIT:
      // CurlMulti::start ends a transfer curl would not take with this code.
      return "the HTTP engine refused the transfer (curl: " + curl_text + ")";
    case CURLE_OUT_OF_MEMORY:
      // What curl answers, without a word of its own, to a response header line over its 100 KiB limit.
      if (in_head_) return "a response header line over 100 KiB (curl: " + curl_text + ")";
      return curl_text;
    default:
      return curl_text;
  }
}

}  // namespace synthprobe
