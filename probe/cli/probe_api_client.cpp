#include "probe/cli/probe_api_client.h"

#include <curl/curl.h>

#include "common/listen_address.h"

namespace synthprobe {
namespace {

std::size_t append(char* data, std::size_t size, std::size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

}  // namespace

std::string probe_url(const config::Probe& probe, std::string_view path) {
  std::string why;
  const auto listen = parse_listen_address(probe.listen, why);
  std::string host = listen ? listen->host : "127.0.0.1";
  if (host == "0.0.0.0") host = "127.0.0.1";
  if (host == "::") host = "::1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return "http://" + host + ":" + std::to_string(listen ? listen->port : 9464) + std::string(path);
}

namespace {

// POST with a JSON body, or GET when `json_body` is nullptr.
ProbeApiReply ask_probe(const config::Probe& probe, std::string_view path, const std::string* json_body) {
  ProbeApiReply reply;
  CURL* easy = curl_easy_init();
  if (!easy) {
    reply.error = "cannot start an HTTP client";
    return reply;
  }
  const std::string url = probe_url(probe, path);
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  const std::string auth = "Authorization: Bearer " + probe.api_token;
  if (!probe.api_token.empty()) headers = curl_slist_append(headers, auth.c_str());
  char error[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy, CURLOPT_PROXY, "");
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, 30000L);
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
  if (json_body) {
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, json_body->c_str());
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(json_body->size()));
  }
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &append);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &reply.body);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, error);
  const CURLcode rc = curl_easy_perform(easy);
  if (rc == CURLE_OK)
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &reply.status);
  else
    reply.error = "cannot reach the probe at " + url + ": " + (error[0] ? error : curl_easy_strerror(rc));
  curl_slist_free_all(headers);
  curl_easy_cleanup(easy);
  return reply;
}

}  // namespace

ProbeApiReply post_to_probe(const config::Probe& probe, std::string_view path, const std::string& json_body) {
  return ask_probe(probe, path, &json_body);
}

ProbeApiReply get_from_probe(const config::Probe& probe, std::string_view path) { return ask_probe(probe, path, nullptr); }

}  // namespace synthprobe
