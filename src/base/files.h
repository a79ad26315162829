// shredmit base: reading and writing whole files, with errors that name the file.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "base/error.h"

namespace shredmit::base {

// The whole content of a text file. Throws base::Error (kInput) naming the file when it cannot
// be read, and when it is not a regular file (a folder, a FIFO, a device): reading those would
// give empty text, block forever or never end.
std::string read_text_file(const std::filesystem::path& file);

// Writes `content` to `file` atomically: a temporary file in the same directory, then rename,
// so readers never see a partial file. Throws base::Error (kInput) on failure (the temporary is
// removed).
void write_file_atomically(const std::filesystem::path& file, std::string_view content);

// One file of a command's output.
struct OutputFile {
  std::filesystem::path path;
  std::string content;
};

// Writes all of `files` or none of them: their folders are created, every content goes to a
// temporary file next to its target, and only when all are complete are they renamed into place.
// When a rename fails, the files already replaced are restored from hard-link backups (new ones
// removed), so on any error nothing new is visible and nothing old is lost. A target that exists
// but is not a regular file (a folder) is refused before anything is written. Throws base::Error
// (kInput) naming the file that failed and why.
void write_files_atomically(const std::vector<OutputFile>& files);

// The input error for a filesystem failure: names the path and the system's reason (permission
// denied, too many levels of symbolic links) and says to check the path.
Error filesystem_error(const std::filesystem::path& path, const std::error_code& ec);

// Replaces the content of the existing file `file` atomically (write_file_atomically), keeping
// its permission bits; when `file` is a symbolic link, the file it points to is replaced and
// the link stays. For commands that rewrite a user's files in place (`format`, `lint --fix`).
// Throws base::Error (kInput) naming the file when it cannot be resolved or written.
void rewrite_file(const std::filesystem::path& file, std::string_view content);

// Whether the relative path `path` ("sql/a/b.sql", `/`-separated) matches the glob `pattern` as
// Python's glob.glob(pattern, recursive=True) would list it: `**` as a whole part matches zero or
// more folders, and `*`, `?` and `[...]` match within one part (fnmatch(3) with FNM_PATHNAME).
// bigquery-etl's bqetl_project.yaml lists files to skip with such patterns.
bool glob_match(std::string_view pattern, std::string_view path);

// What a program printed and how it ended (run_program).
struct ProgramResult {
  int status = 0;      // the exit status; 128 + N when it was killed by signal N
  std::string output;  // its standard output
};

// Runs `argv` (argv[0] is looked up in PATH) with standard input from /dev/null and standard
// error discarded, and waits for it. nullopt when the program cannot be started (not installed).
// For the checks that use another tool as an oracle, such as Python's own compiler for a
// custom_query_path written in Python.
std::optional<ProgramResult> run_program(const std::vector<std::string>& argv);

}  // namespace shredmit::base
