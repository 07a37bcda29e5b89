#include "config/template_string.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <re2/re2.h>

#include "common/json_format.h"
#include "common/text.h"

namespace synthprobe::config {
namespace {

bool is_name_char(char c, bool first) {
  const bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
  if (first) return alpha;
  return alpha || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

// Builds the part list, merging adjacent literals, and tracks where in a URL the text has got to.
class Builder {
 public:
  explicit Builder(TemplateContext context) : context_(context) {}

  void literal(std::string_view text) {
    if (context_ == TemplateContext::url && text.find('?') != std::string_view::npos) in_query_ = true;
    last_literal().append(text);
  }
  // A value known now: escaped for where it lands, then kept as literal text.
  void value(std::string_view value) { append_escaped(last_literal(), value, escape()); }
  void runtime(TemplatePart part) {
    part.escape = escape();
    parts_.push_back(std::move(part));
  }
  std::vector<TemplatePart> finish() { return std::move(parts_); }

 private:
  Escape escape() const {
    switch (context_) {
      case TemplateContext::url: return in_query_ ? Escape::url_query : Escape::url_path;
      case TemplateContext::json: return Escape::json;
      case TemplateContext::regex: return Escape::regex;
      case TemplateContext::raw: break;
    }
    return Escape::none;
  }
  std::string& last_literal() {
    if (parts_.empty() || parts_.back().kind != TemplatePart::Kind::literal) parts_.emplace_back();
    return parts_.back().text;
  }

  TemplateContext context_;
  bool in_query_ = false;
  std::vector<TemplatePart> parts_;
};

}  // namespace

void append_escaped(std::string& out, std::string_view value, Escape escape) {
  switch (escape) {
    case Escape::none:
      out.append(value);
      return;
    case Escape::json:
      append_json_escaped(out, value);
      return;
    case Escape::url_path:
      text::append_percent_encoded(out, value, text::PercentSet::path);
      return;
    case Escape::url_query:
      text::append_percent_encoded(out, value, text::PercentSet::unreserved);
      return;
    case Escape::regex:
      out += re2::RE2::QuoteMeta(value);
      return;
  }
}

TemplateString TemplateString::literal(std::string text) {
  TemplateString t;
  if (!text.empty()) t.parts_.push_back(TemplatePart{TemplatePart::Kind::literal, std::move(text)});
  return t;
}

std::optional<TemplateString> TemplateString::parse(std::string_view text, TemplateContext context,
                                                    const TemplateEnv& env, ParseError& error) {
  Builder builder(context);
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t dollar = text.find('$', i);
    if (dollar == std::string_view::npos) {
      builder.literal(text.substr(i));
      break;
    }
    builder.literal(text.substr(i, dollar - i));
    if (text.substr(dollar, 3) == "$${") {
      builder.literal("${");
      i = dollar + 3;
      continue;
    }
    if (text.substr(dollar, 2) != "${") {
      builder.literal("$");
      i = dollar + 1;
      continue;
    }
    const std::size_t close = text.find('}', dollar + 2);
    if (close == std::string_view::npos) {
      error = {dollar, "unterminated \"${\" (write \"$${\" for a literal \"${\")"};
      return std::nullopt;
    }
    const std::string_view inner = text.substr(dollar + 2, close - dollar - 2);
    i = close + 1;

    if (inner.starts_with("env:")) {
      const std::string name{inner.substr(4)};
      const auto getenv = env.getenv ? env.getenv : [](const char* n) -> const char* { return std::getenv(n); };
      const char* value = name.empty() ? nullptr : getenv(name.c_str());
      if (!value) {
        error = {dollar, "environment variable " + name + " is not set"};
        return std::nullopt;
      }
      if (env.secrets && *value) env.secrets->emplace_back(value);
      builder.value(value);
      continue;
    }
    if (inner.starts_with("file:")) {
      std::filesystem::path path{std::string(inner.substr(5))};
      if (path.is_relative()) path = env.base_dir / path;
      std::ifstream in(path, std::ios::binary);
      std::stringstream content;
      if (!in || !(content << in.rdbuf())) {
        error = {dollar, "cannot read secret file " + path.string()};
        return std::nullopt;
      }
      std::string value(text::trim(content.str()));
      if (env.secrets && !value.empty()) env.secrets->push_back(value);
      builder.value(value);
      continue;
    }
    if (inner == "uuid") {
      builder.runtime({TemplatePart::Kind::uuid, {}});
      continue;
    }
    if (inner == "unix_ms") {
      builder.runtime({TemplatePart::Kind::unix_ms, {}});
      continue;
    }
    if (inner.starts_with("random_digits:")) {
      const std::string_view n = inner.substr(14);
      int digits = 0;
      bool ok = !n.empty() && n.size() <= 2;
      for (char c : n) ok = ok && c >= '0' && c <= '9';
      if (ok) digits = std::stoi(std::string(n));
      if (!ok || digits < 1 || digits > 64) {
        error = {dollar, "random_digits needs a count from 1 to 64, e.g. ${random_digits:6}"};
        return std::nullopt;
      }
      builder.runtime({TemplatePart::Kind::random_digits, {}, Escape::none, digits});
      continue;
    }
    bool valid_name = !inner.empty();
    for (std::size_t k = 0; k < inner.size(); ++k) valid_name = valid_name && is_name_char(inner[k], k == 0);
    if (!valid_name) {
      error = {dollar, "invalid placeholder \"${" + std::string(inner) + "}\""};
      return std::nullopt;
    }
    const std::string name{inner};
    if (env.site_vars) {
      if (auto it = env.site_vars->find(name); it != env.site_vars->end()) {
        builder.value(it->second);
        continue;
      }
    }
    if (env.runtime_vars && env.runtime_vars->contains(name)) {
      builder.runtime({TemplatePart::Kind::variable, name});
      continue;
    }
    error = {dollar, "undefined variable ${" + name + "} (not a site var and not extracted by an earlier step)", name};
    return std::nullopt;
  }
  TemplateString t;
  t.parts_ = builder.finish();
  return t;
}

const std::string& TemplateString::constant_text() const {
  static const std::string kEmpty;
  for (const auto& p : parts_)
    if (p.kind == TemplatePart::Kind::literal) return p.text;
  return kEmpty;
}

void TemplateString::render(std::string& out, const RenderInputs& in) const {
  for (const auto& part : parts_) {
    switch (part.kind) {
      case TemplatePart::Kind::literal:
        out += part.text;
        break;
      case TemplatePart::Kind::variable:
        if (in.vars) {
          for (const auto& [name, value] : *in.vars) {
            if (name == part.text) {
              append_escaped(out, value, part.escape);
              break;
            }
          }
        }
        break;
      case TemplatePart::Kind::unix_ms:
        out += std::to_string(in.unix_ms);
        break;
      case TemplatePart::Kind::random_digits:
        for (int k = 0; k < part.digits; ++k) {
          const auto r = in.rng ? (*in.rng)() : 0;
          out += static_cast<char>('0' + r % 10);
        }
        break;
      case TemplatePart::Kind::uuid: {
        // RFC 4122 version 4.
        const std::uint64_t hi = in.rng ? (*in.rng)() : 0;
        const std::uint64_t lo = in.rng ? (*in.rng)() : 0;
        unsigned char b[16];
        for (int k = 0; k < 8; ++k) {
          b[k] = static_cast<unsigned char>(hi >> (8 * k));
          b[8 + k] = static_cast<unsigned char>(lo >> (8 * k));
        }
        b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x40);
        b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);
        static constexpr char kHex[] = "0123456789abcdef";
        for (int k = 0; k < 16; ++k) {
          if (k == 4 || k == 6 || k == 8 || k == 10) out += '-';
          out += kHex[b[k] >> 4];
          out += kHex[b[k] & 0xF];
        }
        break;
      }
    }
  }
}

std::vector<std::string> TemplateString::variables() const {
  std::vector<std::string> names;
  for (const auto& p : parts_)
    if (p.kind == TemplatePart::Kind::variable) names.push_back(p.text);
  return names;
}

}  // namespace synthprobe::config
