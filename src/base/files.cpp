// Whole-file reading and atomic writing (see files.h).
#include "base/files.h"

#include <fmt/format.h>
#include <fnmatch.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "base/error.h"
#include "base/text.h"

namespace shredmit::base {

namespace fs = std::filesystem;

std::string read_text_file(const fs::path& file) {
  // Only regular files (or links to them): a FIFO would block forever, a device never end, and
  // a directory reads as empty text.
  std::error_code ec;
  fs::file_status status = fs::status(file, ec);
  if (!ec && fs::exists(status) && !fs::is_regular_file(status)) {
    throw Error(file.string(), 0, 0,
                fs::is_directory(status)
                    ? "is a folder, not a file; give the file inside it"
                    : "is not a regular file (a pipe, socket or device); give a file");
  }
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

void rewrite_file(const fs::path& file, std::string_view content) {
  std::error_code ec;
  fs::path target = fs::is_symlink(file, ec) ? fs::canonical(file, ec) : file;
  fs::perms mode = ec ? fs::perms::unknown : fs::status(target, ec).permissions();
  if (ec) throw Error(file.string(), 0, 0, "cannot resolve the file: " + ec.message());
  write_file_atomically(target, content);
  fs::permissions(target, mode, ec);
  if (ec) throw Error(target.string(), 0, 0, "cannot restore the file's mode: " + ec.message());
}

namespace {

bool glob_parts_match(const std::vector<std::string>& pattern, size_t p,
                      const std::vector<std::string>& path, size_t q) {
  if (p == pattern.size()) return q == path.size();
  if (pattern[p] == "**") {
    for (size_t skip = q; skip <= path.size(); ++skip)
      if (glob_parts_match(pattern, p + 1, path, skip)) return true;
    return false;
  }
  return q < path.size() && fnmatch(pattern[p].c_str(), path[q].c_str(), FNM_PATHNAME) == 0 &&
         glob_parts_match(pattern, p + 1, path, q + 1);
}

}  // namespace

bool glob_match(std::string_view pattern, std::string_view path) {
  return glob_parts_match(split(pattern, "/"), 0, split(path, "/"), 0);
}

}  // namespace shredmit::base
