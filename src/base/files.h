// shredmit base: reading and writing whole files, with errors that name the file.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace shredmit::base {

// The whole content of a text file. Throws base::Error (kInput) naming the file when it cannot
// be read.
std::string read_text_file(const std::filesystem::path& file);

// Writes `content` to `file` atomically: a temporary file in the same directory, then rename,
// so readers never see a partial file. Throws base::Error (kInput) on failure (the temporary is
// removed).
void write_file_atomically(const std::filesystem::path& file, std::string_view content);

}  // namespace shredmit::base
