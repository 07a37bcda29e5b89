#pragma once
// Text from targets (headers, bodies, curl's error text quoting them) is bytes, not UTF-8. Anything the
// probe shows (messages in JSON, logs, incidents, notifications) must be valid UTF-8, or a JSON consumer
// rejects the whole document.

#include <string>
#include <string_view>

namespace synthprobe::utf8 {

// True when `text` is well-formed UTF-8 (RFC 3629: no overlong forms, surrogates or code points past
// U+10FFFF).
bool is_valid(std::string_view text);

// `text` with every byte that is not part of a well-formed sequence replaced by U+FFFD. Valid text comes
// back unchanged (and without a copy when moved in).
std::string sanitize(std::string text);

}  // namespace synthprobe::utf8
