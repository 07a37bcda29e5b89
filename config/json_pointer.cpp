#include "config/json_pointer.h"

namespace synthprobe::config {

std::string json_pointer_problem(std::string_view pointer) {
  const std::string prefix = "invalid JSON pointer \"" + std::string(pointer) + "\": ";
  if (pointer.empty()) return {};
  if (pointer[0] != '/') return prefix + "must be empty (the whole document) or start with \"/\"";
  for (std::size_t i = 0; i < pointer.size(); ++i) {
    if (pointer[i] != '~') continue;
    if (i + 1 >= pointer.size() || (pointer[i + 1] != '0' && pointer[i + 1] != '1'))
      return prefix + "\"~\" must be written ~0, and ~1 stands for \"/\"";
  }
  return {};
}

}  // namespace synthprobe::config
