#pragma once
// RFC 6901 JSON Pointer syntax, checked at load so a typo in an assertion is an error, not a silent miss.

#include <string>
#include <string_view>

namespace synthprobe::config {

// Empty when `pointer` is valid ("" or "/a/b", with "~" only as ~0 or ~1), else a message saying why.
std::string json_pointer_problem(std::string_view pointer);

}  // namespace synthprobe::config
