#pragma once
// A TCP server on loopback for hostile-target tests: every connection plays the same script of raw moves
// (read the request, send bytes, drip them one at a time, flood forever, pause, stall, reset), so a test can
// be exactly as rude as a broken or malicious server without any HTTP library smoothing it over.

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/test_server.h"

namespace synthprobe::testing {

struct Move {
  enum class Kind {
    read_request,  // read up to the end of the request head ("\r\n\r\n")
    read_some,     // read whatever arrives first (a TLS ClientHello, say)
    send,          // write `bytes`
    drip,          // write `bytes` one byte per `every`
    flood,         // write `bytes` over and over until the peer goes away
    pause,         // wait `every`
    stall,         // keep the connection open and read nothing until the server stops
    await_close,   // read and drop whatever arrives until the peer closes; never answer
    reset,         // close with a TCP reset (SO_LINGER 0)
  };
  Kind kind = Kind::send;
  std::string bytes;
  std::chrono::milliseconds every{0};

  static Move read_request() { return {Kind::read_request, {}, {}}; }
  static Move read_some() { return {Kind::read_some, {}, {}}; }
  static Move send(std::string bytes) { return {Kind::send, std::move(bytes), {}}; }
  static Move drip(std::string bytes, std::chrono::milliseconds every) { return {Kind::drip, std::move(bytes), every}; }
  static Move flood(std::string bytes) { return {Kind::flood, std::move(bytes), {}}; }
  static Move pause(std::chrono::milliseconds d) { return {Kind::pause, {}, d}; }
  static Move stall() { return {Kind::stall, {}, {}}; }
  static Move await_close() { return {Kind::await_close, {}, {}}; }
  static Move reset() { return {Kind::reset, {}, {}}; }
};

// After the last move the connection is closed normally (FIN), unless the script reset it.
using Script = std::vector<Move>;

class ScriptedServer {
 public:
  explicit ScriptedServer(Script script, const ListenOn& where = {});
  ~ScriptedServer();
  ScriptedServer(const ScriptedServer&) = delete;
  ScriptedServer& operator=(const ScriptedServer&) = delete;

  unsigned short port() const;
  // "http://ADDRESS:PORT" + path (`scheme` instead of http when given).
  std::string url(std::string_view path = "/", std::string_view scheme = "http") const;
  std::size_t connections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace synthprobe::testing
