#include <cstdio>
#include <iostream>

#include "cli/cli.h"

// Output that cannot be written (a closed stdout, a full disk, /dev/full) is an error, not a
// silent success.
int main(int argc, char** argv) {
  int status = shredmit::cli::run(argc, argv, std::cout, std::cerr);
  std::cout.flush();
  if (!std::cout || std::fflush(stdout) != 0) {
    std::cerr << "shredmit: error: cannot write to standard output (it is closed or the disk is "
                 "full); the output is incomplete: write it where there is room\n";
    return status == shredmit::cli::kExitOk ? shredmit::cli::kExitRefused : status;
  }
  return status;
}
