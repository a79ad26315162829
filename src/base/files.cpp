// Whole-file reading and atomic writing (see files.h).
#include "base/files.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <fnmatch.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "base/error.h"
#include "base/text.h"

namespace shredmit::base {

namespace fs = std::filesystem;

Error filesystem_error(const fs::path& path, const std::error_code& ec) {
  return Error(path.string(), 0, 0,
               "cannot read: " + ec.message() + "; check the path and its permissions");
}

std::string read_text_file(const fs::path& file) {
  // Only regular files (or links to them): a FIFO would block forever, a device never end, and
  // a directory reads as empty text.
  std::error_code ec;
  fs::file_status status = fs::status(file, ec);
  if (status.type() == fs::file_type::not_found) throw Error(file.string(), 0, 0, "file not found");
  if (ec) throw filesystem_error(file, ec);
  if (!fs::is_regular_file(status)) {
    throw Error(file.string(), 0, 0,
                fs::is_directory(status)
                    ? "is a folder, not a file; give the file inside it"
                    : "is not a regular file (a pipe, socket or device); give a file");
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw filesystem_error(file, std::error_code(errno, std::generic_category()));
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw filesystem_error(file, std::error_code(errno, std::generic_category()));
  return ss.str();
}

void write_file_atomically(const fs::path& file, std::string_view content) {
  write_files_atomically({OutputFile{file, std::string(content)}});
}

void write_files_atomically(const std::vector<OutputFile>& files) {
  std::string suffix = fmt::format(".tmp-{}", ::getpid());
  std::vector<fs::path> temporaries, backups, created_folders;
  std::vector<bool> existed(files.size(), false);
  auto clean_up = [&] {
    std::error_code ignored;
    for (const auto& t : temporaries) fs::remove(t, ignored);
    for (const auto& b : backups) fs::remove(b, ignored);
    for (auto it = created_folders.rbegin(); it != created_folders.rend(); ++it) {
      fs::remove(*it, ignored);  // only removes them while empty
    }
  };
  auto fail = [&](const fs::path& file, const std::string& why) {
    clean_up();
    return Error(file.string(), 0, 0, why);
  };
  for (size_t i = 0; i < files.size(); ++i) {
    const fs::path& file = files[i].path;
    std::error_code ec;
    fs::path folder = file.parent_path();
    if (!folder.empty() && !fs::exists(folder, ec)) {
      std::vector<fs::path> missing;
      for (fs::path f = folder; !f.empty() && !fs::exists(f, ec); f = f.parent_path()) {
        missing.push_back(f);
        if (f == f.parent_path()) break;
      }
      fs::create_directories(folder, ec);
      created_folders.insert(created_folders.end(), missing.rbegin(), missing.rend());
      if (ec) throw fail(folder, "cannot create the output folder: " + ec.message());
    } else if (!folder.empty() && !fs::is_directory(folder, ec)) {
      throw fail(folder, "is not a folder (a file is in the way); choose another output folder");
    }
    fs::file_status status = fs::symlink_status(file, ec);
    existed[i] = fs::exists(status);
    if (existed[i] && !fs::is_regular_file(status)) {
      throw fail(file, fs::is_directory(status)
                           ? "is a folder; remove it or choose another output folder"
                           : "is not a regular file; remove it or choose another output folder");
    }
  }
  for (const auto& f : files) {
    fs::path tmp = f.path;
    tmp += suffix;
    temporaries.push_back(tmp);
    // POSIX calls rather than a stream, for the system's reason when one fails (permission
    // denied, no space left on device, read-only file system).
    auto system_reason = [](int error) {
      return std::error_code(error, std::generic_category()).message();
    };
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) {
      throw fail(f.path, "cannot write the file: " + system_reason(errno) +
                             "; check the output folder's permissions");
    }
    std::string_view rest = f.content;
    while (!rest.empty()) {
      ssize_t n = ::write(fd, rest.data(), rest.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        int error = errno;
        ::close(fd);
        throw fail(f.path, "cannot write the file: " + system_reason(error) +
                               "; check the free space of the output folder");
      }
      rest.remove_prefix(static_cast<size_t>(n));
    }
    if (::close(fd) != 0) {
      throw fail(f.path, "cannot write the file: " + system_reason(errno) +
                             "; check the free space of the output folder");
    }
  }
  // Hard-link backups of the files about to be replaced, to restore them if a rename fails.
  for (size_t i = 0; i < files.size(); ++i) {
    fs::path backup = files[i].path;
    backup += ".bak" + suffix;
    std::error_code ec;
    if (existed[i]) fs::create_hard_link(files[i].path, backup, ec);
    backups.push_back(existed[i] && !ec ? backup : fs::path());
  }
  for (size_t i = 0; i < files.size(); ++i) {
    std::error_code ec;
    fs::rename(temporaries[i], files[i].path, ec);
    if (!ec) continue;
    std::error_code ignored;
    for (size_t j = 0; j < i; ++j) {
      if (!backups[j].empty()) {
        fs::rename(backups[j], files[j].path, ignored);
      } else if (!existed[j]) {
        fs::remove(files[j].path, ignored);
      }
    }
    throw fail(files[i].path, "cannot replace the file: " + ec.message());
  }
  temporaries.clear();
  created_folders.clear();
  clean_up();
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

std::optional<ProgramResult> run_program(const std::vector<std::string>& argv) {
  if (argv.empty()) return std::nullopt;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return std::nullopt;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int spawned = posix_spawnp(&pid, argv[0].c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (spawned != 0) {
    close(fds[0]);
    return std::nullopt;
  }
  ProgramResult result;
  char buffer[4096];
  while (true) {
    ssize_t n = read(fds[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    result.output.append(buffer, static_cast<size_t>(n));
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  // posix_spawnp reports a missing program as the child's exit status 127.
  if (result.status == 127 && result.output.empty()) return std::nullopt;
  return result;
}

}  // namespace shredmit::base
