#include "config/header_value.h"

#include <algorithm>
#include <string>

#include "common/text.h"

namespace synthprobe::config {

bool check_header_value(std::string_view value, const toml::node& node, std::string_view what, LoadContext& ctx) {
  if (!text::breaks_header_line(value)) return true;
  ctx.error(pos_of(node), std::string(what) + " holds a line break (CR or LF) or a NUL; it is sent as one header line");
  return false;
}

bool check_header_value(const TemplateString& value, const toml::node& node, std::string_view what, LoadContext& ctx) {
  const auto& parts = value.parts();
  const auto broken = std::find_if(parts.begin(), parts.end(), [](const TemplatePart& p) {
    return p.kind == TemplatePart::Kind::literal && text::breaks_header_line(p.text);
  });
  return broken == parts.end() || check_header_value(broken->text, node, what, ctx);
}

}  // namespace synthprobe::config
