// Whole-file reading and atomic writing (see files.h).
#include "base/files.h"

#include <fmt/format.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "base/error.h"

namespace shredmit::base {

namespace fs = std::filesystem;

std::string read_text_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw Error(
        file.string(), 0, 0,
        fs::exists(file) ? "cannot read the file; check its permissions" : "file not found");
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file_atomically(const fs::path& file, std::string_view content) {
  fs::path tmp = file;
  tmp += fmt::format(".tmp-{}", ::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.flush();
    if (!out) {
      std::error_code ignored;
      fs::remove(tmp, ignored);
      throw Error(file.string(), 0, 0, "cannot write the file; check the output directory");
    }
  }
  std::error_code ec;
  fs::rename(tmp, file, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw Error(file.string(), 0, 0, "cannot replace the file: " + ec.message());
  }
}

}  // namespace shredmit::base
