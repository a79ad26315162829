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
  if (kind == ErrorKind::kInternal) {
    return fmt::format("{}: internal error: {}; please report this", where, what());
  }
  return fmt::format("{}: error: {}", where, what());
}

}  // namespace shredmit::base
