// Log lines: one per event, values quoted and escaped so a target's text can never forge a line.
#include <doctest/doctest.h>

#include "common/log.h"

using namespace synthprobe;

TEST_CASE("logfmt: plain values bare, others quoted; control characters escaped, never written") {
  Logger log;
  CHECK(log.format(LogLevel::warn, "check state changed", {{"check", "home"}, {"to", "down"}}, "T") ==
        "ts=T level=warn msg=\"check state changed\" check=home to=down");
  const std::string forged = log.format(LogLevel::info, "x", {{"message", "ok\nts=T level=error msg=forged\r\x1b[2J\x7f"}}, "T");
  CHECK(forged == R"(ts=T level=info msg=x message="ok\nts=T level=error msg=forged\r\x1b[2J\x7f")");
  CHECK(forged.find('\n') == std::string::npos);
  CHECK(log.format(LogLevel::info, "x", {{"q", "say \"hi\" \\ bye"}}, "T") == R"(ts=T level=info msg=x q="say \"hi\" \\ bye")");
  CHECK(log.format(LogLevel::info, "x", {{"empty", ""}}, "T") == R"(ts=T level=info msg=x empty="")");
}

TEST_CASE("json: one object per line, control characters escaped") {
  Logger log;
  log.set_format(LogFormat::json);
  const std::string line = log.format(LogLevel::error, "boom", {{"detail", "a\nb\x01"}}, "T");
  CHECK(line == R"({"ts":"T","level":"error","msg":"boom","detail":"a\nb\u0001"})");
}

TEST_CASE("the redactor sees every value") {
  Logger log;
  log.set_redactor([](std::string s) {
    const auto at = s.find("hunter2hunter2");
    if (at != std::string::npos) s.replace(at, 14, "<secret>");
    return s;
  });
  CHECK(log.format(LogLevel::info, "x", {{"token", "hunter2hunter2"}}, "T") == "ts=T level=info msg=x token=<secret>");
}
