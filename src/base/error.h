// shredmit base: locations in source text and the one error type every stage throws. The command
// line turns an error's kind into the exit status (`shredmit --help`, docs/index.md), so
// no stage decides an exit status and no caller guesses it from a file name.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace shredmit::base {

// A position in a text: 1-based line, 1-based column counted in Unicode code points, and the
// 0-based byte offset of that position when the producer knows it (-1 otherwise). {0, 0} means
// "not from source": nodes built by the generator, or an error about a whole file. Two locations
// are equal when their line and column are: the offset is derived from them.
struct Location {
  int line = 0;
  int column = 0;
  int64_t offset = -1;
  bool operator==(const Location& o) const { return line == o.line && column == o.column; }
};

// The Location of byte `offset` of `text`: 1-based line, 1-based column in Unicode code points
// (UTF-8 continuation bytes are not counted), and the offset itself.
Location location_of(std::string_view text, size_t offset);

// A range of text: `begin` is the first character, `end` one past the last (or equal to begin
// when only the start is known).
struct Span {
  Location begin;
  Location end;
};

// What kind of failure an Error is, which decides the exit status (cli::run):
// - kUsage: the command line is wrong (an unknown table name form, a bad option value): exit 2;
// - kInput: a file was read and refused (a syntax error, a query shape mitigation cannot use,
//   a missing file of a table folder): exit 1;
// - kInternal: shredmit itself is wrong (SQL it generated does not parse): exit 3.
enum class ErrorKind { kUsage, kInput, kInternal };

class Error : public std::runtime_error {
 public:
  // An input error in `file` at line:column (both 0 when it concerns the whole file). The
  // message says how to fix the problem.
  Error(std::string file, int line, int column, const std::string& message,
        ErrorKind kind = ErrorKind::kInput);
  Error(ErrorKind kind, std::string file, Span span, const std::string& message);

  // A command-line error: no file.
  static Error usage(const std::string& message);
  // A shredmit bug, with what was being done; `file` names the generated text when there is one.
  static Error internal(const std::string& message, std::string file = {});

  // One line: "file:line:col: error: message", "file: error: message" for a whole-file error,
  // "shredmit: error: message" without a file, and "shredmit: internal error: message; please
  // report this" for kInternal; then one line for each error of `also`.
  std::string format() const;

  // Several refusals at once (every reason a table may not be mitigated): the first is this
  // error, the others follow in `also`, each formatted on its own line.
  static Error all(const std::vector<Error>& errors);

  int line() const { return span.begin.line; }
  int column() const { return span.begin.column; }

  ErrorKind kind;
  std::string file;
  Span span;
  std::vector<Error> also;  // further errors reported with this one
};

}  // namespace shredmit::base
