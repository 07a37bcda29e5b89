// CurlMulti::start: a transfer's end is never reported from inside start(); the transfers of one turn of
// the loop reach curl after it; a handle curl refuses ends with CURLE_FAILED_INIT. The handle pool: a
// handle given back with its options kept comes back with them only to a caller that asks for that.
#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <optional>
#include <thread>

#include "probe/engine/curl_multi.h"
#include "tests/support/test_server.h"

using namespace synthprobe;
using namespace synthprobe::testing;
using namespace std::chrono_literals;

namespace {

struct Sink final : TransferSink {
  std::optional<CURLcode> result;
  void on_transfer_done(CURLcode code) override { result = code; }
  void on_transfer_abandoned() override {}
};

void run_until_done(boost::asio::io_context& io, const CurlMulti& multi) {
  for (int i = 0; i < 200 && multi.running() > 0; ++i) io.run_for(25ms);
}

}  // namespace

TEST_CASE("the transfers of one turn reach curl after it, and each ends on the loop") {
  TestServer server([](const TestRequest&) { return TestResponse{}; });
  boost::asio::io_context io(1);
  CurlMulti multi(io);
  Sink sinks[3];
  CURL* easies[3];
  for (int i = 0; i < 3; ++i) {
    easies[i] = multi.acquire_easy();
    curl_easy_setopt(easies[i], CURLOPT_URL, server.url("/").c_str());
    multi.start(easies[i], &sinks[i]);
  }
  CHECK(multi.running() == 3);
  std::this_thread::sleep_for(100ms);
  CHECK(server.requests() == 0);  // nothing was sent from inside start()
  for (const Sink& s : sinks) CHECK_FALSE(s.result.has_value());
  run_until_done(io, multi);
  CHECK(multi.running() == 0);
  for (const Sink& s : sinks) CHECK(s.result == std::optional<CURLcode>(CURLE_OK));
  CHECK(server.requests() == 3);
  for (CURL* easy : easies) multi.release_easy(easy);
}

TEST_CASE("a handle curl refuses ends with CURLE_FAILED_INIT on the loop, and the others run") {
  TestServer server([](const TestRequest&) { return TestResponse{}; });
  boost::asio::io_context io(1);
  CurlMulti multi(io);
  Sink refused, fine;
  CURL* easy = multi.acquire_easy();
  curl_easy_setopt(easy, CURLOPT_URL, server.url("/").c_str());
  multi.start(nullptr, &refused);  // what a failed curl_easy_init would hand over
  multi.start(easy, &fine);
  CHECK_FALSE(refused.result.has_value());
  run_until_done(io, multi);
  CHECK(refused.result == std::optional<CURLcode>(CURLE_FAILED_INIT));
  CHECK(fine.result == std::optional<CURLcode>(CURLE_OK));
  CHECK(multi.running() == 0);
  multi.release_easy(easy);
}

TEST_CASE("a handle given back with its options comes back configured only to who asks, else reset") {
  boost::asio::io_context io(1);
  CurlMulti multi(io);
  int marker = 0;
  const auto private_of = [](CURL* easy) {
    void* p = nullptr;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, &p);
    return p;
  };

  CURL* easy = multi.acquire_easy();
  REQUIRE(easy);
  curl_easy_setopt(easy, CURLOPT_PRIVATE, &marker);
  multi.release_easy(easy, true);
  bool configured = false;
  CHECK(multi.acquire_easy(configured) == easy);
  CHECK(configured);
  CHECK(private_of(easy) == &marker);  // not reset

  multi.release_easy(easy, true);
  CURL* plain = multi.acquire_easy();  // a caller that sets everything itself: reset first
  CHECK(plain == easy);
  CHECK(private_of(plain) == nullptr);

  curl_easy_setopt(plain, CURLOPT_PRIVATE, &marker);
  multi.release_easy(plain);  // the default: reset on the way back
  CHECK(multi.acquire_easy(configured) == plain);
  CHECK_FALSE(configured);
  CHECK(private_of(plain) == nullptr);
  multi.release_easy(plain, true);  // left in the pool: the multi frees it
}
