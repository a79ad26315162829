// Helpers on AST nodes declared in syntax.h.
#include <cctype>

#include "syntax.h"

namespace shredmit::syntax {

namespace {
std::string join_names(const std::vector<Identifier>& parts) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += ".";
    out += parts[i].name;
  }
  return out;
}
}  // namespace

std::string FunctionCall::dotted_name() const { return join_names(name); }

std::string TableFrom::dotted_path() const { return join_names(path); }

namespace {

// Length of the string literal component at the start of `s` (prefix and quotes included), or 0
// when `s` does not start with a complete one.
size_t component_length(std::string_view s) {
  size_t i = (!s.empty() && (s[0] == 'r' || s[0] == 'R')) ? 1 : 0;
  if (i >= s.size() || (s[i] != '\'' && s[i] != '"')) return 0;
  const std::string_view quote =
      s.substr(i, 3) == std::string(3, s[i]) ? s.substr(i, 3) : s.substr(i, 1);
  for (size_t j = i + quote.size(); j < s.size(); ++j) {
    if (s[j] == '\\') {
      ++j;
    } else if (s.substr(j, quote.size()) == quote) {
      return j + quote.size();
    }
  }
  return 0;
}

std::optional<std::string> component_value(std::string_view s) {
  bool raw = false;
  if (!s.empty() && (s[0] == 'r' || s[0] == 'R')) {
    raw = true;
    s.remove_prefix(1);
  }
  size_t q = 0;
  if (s.size() >= 6 && (s.substr(0, 3) == "'''" || s.substr(0, 3) == "\"\"\"")) {
    q = 3;
  } else if (s.size() >= 2 && (s[0] == '\'' || s[0] == '"')) {
    q = 1;
  } else {
    return std::nullopt;
  }
  std::string_view body = s.substr(q, s.size() - 2 * q);
  if (raw) return std::string(body);
  std::string out;
  for (size_t i = 0; i < body.size(); ++i) {
    if (body[i] != '\\' || i + 1 >= body.size()) {
      out += body[i];
      continue;
    }
    char c = body[++i];
    switch (c) {
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case 'r':
        out += '\r';
        break;
      case 'a':
        out += '\a';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'v':
        out += '\v';
        break;
      // Octal, hex and Unicode escapes are kept as written: the analysis only compares
      // plain values such as '??'.
      default:
        out += c;
        break;
    }
  }
  return out;
}

}  // namespace

std::optional<std::string> string_literal_value(std::string_view spelling) {
  std::string value;
  bool any = false;
  while (!spelling.empty()) {
    size_t n = component_length(spelling);
    if (n == 0) return std::nullopt;
    auto part = component_value(spelling.substr(0, n));
    if (!part) return std::nullopt;
    value += *part;
    any = true;
    spelling.remove_prefix(n);
    while (!spelling.empty() && std::isspace(static_cast<unsigned char>(spelling.front()))) {
      spelling.remove_prefix(1);
    }
  }
  if (!any) return std::nullopt;
  return value;
}

}  // namespace shredmit::syntax
