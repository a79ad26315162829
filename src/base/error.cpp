// Errors and their one-line form (see error.h).
#include "base/error.h"

#include <fmt/format.h>

#include <algorithm>

namespace shredmit::base {

Error::Error(std::string file, int line, int column, const std::string& message, ErrorKind kind)
    : Error(kind, std::move(file), Span{{line, column}, {line, column}}, message) {}

Error::Error(ErrorKind kind, std::string file, Span span, const std::string& message)
    : std::runtime_error(message), kind(kind), file(std::move(file)), span(span) {}

Error Error::usage(const std::string& message) {
  return Error(ErrorKind::kUsage, "", Span{}, message);
}

Error Error::internal(const std::string& message, std::string file) {
  return Error(ErrorKind::kInternal, std::move(file), Span{}, message);
}

std::string Error::format() const {
  std::string where = file.empty() ? "shredmit" : file;
  if (!file.empty() && line() > 0) where += fmt::format(":{}:{}", line(), std::max(column(), 1));
  std::string out = kind == ErrorKind::kInternal
                        ? fmt::format("{}: internal error: {}; please report this", where, what())
                        : fmt::format("{}: error: {}", where, what());
  for (const auto& e : also) out += "\n" + e.format();
  return out;
}

Error Error::all(const std::vector<Error>& errors) {
  if (errors.empty()) return internal("an empty list of errors was reported");
  Error first = errors.front();
  first.also.assign(errors.begin() + 1, errors.end());
  return first;
}

Location location_of(std::string_view text, size_t offset) {
  offset = std::min(offset, text.size());
  Location at{1, 1, static_cast<int64_t>(offset)};
  for (size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++at.line;
      at.column = 1;
    } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      ++at.column;
    }
  }
  return at;
}

}  // namespace shredmit::base
