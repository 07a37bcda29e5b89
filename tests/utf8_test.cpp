// What the probe shows is valid UTF-8, whatever bytes a target sent.
#include <doctest/doctest.h>

#include <string>

#include "common/utf8.h"

using namespace synthprobe;

TEST_CASE("valid UTF-8 passes unchanged") {
  for (const std::string& text : {std::string(""), std::string("plain ascii"), std::string("caf\xC3\xA9"),
                                 std::string("\xE2\x82\xAC 5"), std::string("\xF0\x9F\x9A\x80"),
                                 std::string("nul \0 inside", 13)}) {
    CAPTURE(text);
    CHECK(utf8::is_valid(text));
    CHECK(utf8::sanitize(text) == text);
  }
}

TEST_CASE("every byte outside a well-formed sequence becomes U+FFFD") {
  const std::string r = "\xEF\xBF\xBD";
  CHECK(utf8::sanitize("a\xFF" "b") == "a" + r + "b");
  CHECK(utf8::sanitize("\xC3") == r);                           // cut short at the end
  CHECK(utf8::sanitize("\xC3(") == r + "(");                    // cut short by ASCII
  CHECK(utf8::sanitize("\xC0\xAF") == r + r);                   // overlong '/'
  CHECK(utf8::sanitize("\xE0\x80\xAF") == r + r + r);           // overlong, three bytes
  CHECK(utf8::sanitize("\xED\xA0\x80") == r + r + r);           // a UTF-16 surrogate
  CHECK(utf8::sanitize("\xF4\x90\x80\x80") == r + r + r + r);   // past U+10FFFF
  CHECK(utf8::sanitize("\x80 lone continuation") == r + " lone continuation");
  CHECK_FALSE(utf8::is_valid("\xFE"));
  CHECK(utf8::is_valid(utf8::sanitize("mixed \xC3\xA9 and \xE9 and \xF0\x9F\x9A")));
}
