#pragma once
// Maps a byte offset inside a TOML string's value back to where it was written.
//
// toml++ gives only the position of a string's opening quote; escapes (\t, \u00e9), multi-line strings
// and non-ASCII text shift everything after them, so an error inside a template would otherwise point at
// the wrong column.

#include <cstddef>
#include <string_view>

#include "config/config_error.h"

namespace synthprobe::config {

// `source`: the whole document; `string_begin`: the position of the opening quote (toml++'s
// node.source().begin); `offset`: a byte offset into the decoded value. Falls back to the column after the
// quote plus the offset when the source does not hold a string there.
SourcePos locate_in_string(std::string_view source, SourcePos string_begin, std::size_t offset);

}  // namespace synthprobe::config
