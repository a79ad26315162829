// shredmit cli: the command line. main() only calls run(); tests call run() too.
#pragma once

#include <ostream>
#include <string>

#include "base/error.h"

namespace shredmit::cli {

// Exit statuses, documented in `shredmit --help` and docs/index.md.
inline constexpr int kExitOk = 0;
inline constexpr int kExitRefused = 1;   // the input was read and refused (message on stderr)
inline constexpr int kExitUsage = 2;     // bad command-line usage
inline constexpr int kExitInternal = 3;  // a shredmit bug

// "shredmit VERSION", followed by " (git REVISION)" when built from a git checkout
// (`git describe --always --dirty` at build time).
std::string version();

// The exit status of a failure of kind `kind`: kExitUsage, kExitRefused or kExitInternal.
int exit_status(base::ErrorKind kind);

// Runs the command line `argv` (argv[0] is the program name), printing results to `out` and
// messages to `err`. Returns one of the exit statuses above.
int run(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace shredmit::cli
