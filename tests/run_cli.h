// Tests: runs the shredmit command line in-process.
#pragma once

#include <sstream>
#include <string>
#include <vector>

#include "cli/cli.h"

namespace shredmit::test_support {

// Runs `shredmit ARGS...`; returns the exit status and, when asked, what went to stdout and
// stderr.
inline int run_cli(std::vector<const char*> args, std::string* out = nullptr,
                   std::string* err = nullptr) {
  args.insert(args.begin(), "shredmit");
  std::ostringstream o, e;
  int status = cli::run(static_cast<int>(args.size()), args.data(), o, e);
  if (out) *out = o.str();
  if (err) *err = e.str();
  return status;
}

}  // namespace shredmit::test_support
