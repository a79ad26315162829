// Reading pg_dump directory-format archives (see aggregates.h).
#include <fmt/format.h>
#include <zlib.h>

#include <fstream>
#include <sstream>

#include "aggregates/aggregates.h"
#include "base/error.h"
#include "base/files.h"

namespace shredmit::aggregates {
namespace {

namespace fs = std::filesystem;

// The primitives of pg_backup_archiver.c over the bytes of toc.dat, with bounds checks.
class TocReader {
 public:
  TocReader(std::string file, std::string bytes) : file_(std::move(file)), b_(std::move(bytes)) {}

  [[noreturn]] void fail(const std::string& what) const {
    throw base::Error(file_, 0, 0,
                      fmt::format("byte {}: {}; the archive is damaged or not a pg_dump "
                                  "directory-format table of contents",
                                  pos_, what));
  }

  uint8_t byte() {
    if (pos_ >= b_.size()) fail("the file ends early (truncated)");
    return static_cast<uint8_t>(b_[pos_++]);
  }

  // Int: a sign byte, then int_size_ bytes of magnitude, least significant first.
  int64_t integer() {
    size_t at = pos_;
    uint8_t sign = byte();
    if (sign > 1) {
      pos_ = at;
      fail(fmt::format("an integer's sign byte is {}", sign));
    }
    uint64_t magnitude = 0;
    for (int i = 0; i < int_size_; ++i) magnitude |= static_cast<uint64_t>(byte()) << (8 * i);
    if (magnitude > static_cast<uint64_t>(INT64_MAX)) {
      pos_ = at;
      fail("an integer does not fit in 64 bits");
    }
    return sign ? -static_cast<int64_t>(magnitude) : static_cast<int64_t>(magnitude);
  }

  // Str: an Int length (-1 for NULL), then that many bytes.
  std::optional<std::string> string() {
    size_t at = pos_;
    int64_t n = integer();
    if (n == -1) return std::nullopt;
    if (n < 0 || static_cast<uint64_t>(n) > b_.size() - pos_) {
      pos_ = at;
      fail(n < 0
               ? fmt::format("a string of length {}", n)
               : fmt::format("a string of length {} runs past the end of the file (truncated)", n));
    }
    std::string s = b_.substr(pos_, static_cast<size_t>(n));
    pos_ += static_cast<size_t>(n);
    return s;
  }
  std::string text() { return string().value_or(""); }

  void set_int_size(int n) { int_size_ = n; }
  size_t pos() const { return pos_; }
  bool at_end() const { return pos_ == b_.size(); }
  const std::string& file() const { return file_; }

 private:
  std::string file_;
  std::string b_;
  size_t pos_ = 0;
  int int_size_ = 4;
};

// The column list of `COPY schema.table (a, b) FROM stdin;`.
std::vector<std::string> copy_columns(const std::string& copy, const TocReader& r) {
  size_t open = copy.find('('), close = copy.find(')', open == std::string::npos ? 0 : open);
  if (open == std::string::npos || close == std::string::npos) {
    throw base::Error(r.file(), 0, 0,
                      "TABLE DATA entry without a column list in its COPY statement: " + copy);
  }
  std::vector<std::string> columns;
  std::stringstream list(copy.substr(open + 1, close - open - 1));
  for (std::string c; std::getline(list, c, ',');) {
    size_t a = c.find_first_not_of(' '), z = c.find_last_not_of(' ');
    c = a == std::string::npos ? "" : c.substr(a, z - a + 1);
    if (c.size() >= 2 && c.front() == '"' && c.back() == '"') c = c.substr(1, c.size() - 2);
    columns.push_back(c);
  }
  return columns;
}

}  // namespace

Archive read_archive(const fs::path& dir) {
  fs::path toc = dir / "toc.dat";
  std::error_code ec;
  if (!fs::is_regular_file(toc, ec)) {
    throw base::Error(toc.string(), 0, 0,
                      "no toc.dat: give the folder pg_dump --format directory wrote");
  }
  TocReader r(toc.string(), base::read_text_file(toc));
  Archive a;
  a.dir = dir;
  std::string magic;
  for (int i = 0; i < 5; ++i) magic += static_cast<char>(r.byte());
  if (magic != "PGDMP") r.fail("no PGDMP magic");
  a.version_major = r.byte();
  a.version_minor = r.byte();
  a.version_rev = r.byte();
  int version = a.version_major * 100 + a.version_minor;
  if (version < 112 || version > 116) {
    r.fail(
        fmt::format("archive format {}.{} is not supported (1.12 to 1.16 are: PostgreSQL 11 "
                    "to 17)",
                    a.version_major, a.version_minor));
  }
  int int_size = r.byte();
  if (int_size < 1 || int_size > 8) r.fail(fmt::format("integer size {}", int_size));
  r.set_int_size(int_size);
  r.byte();  // offset size: directory archives store no offsets
  int format = r.byte();
  if (format != 3 && format != 5) r.fail(fmt::format("archive format code {}", format));
  if (version >= 115) {
    r.byte();  // compression algorithm; each data file's name says how it is stored
  } else {
    r.integer();  // compression level
  }
  for (int i = 0; i < 7; ++i) r.integer();  // creation time
  a.database = r.text();
  a.server_version = r.text();
  a.dump_version = r.text();

  int64_t count = r.integer();
  if (count < 0) r.fail("a negative number of entries");
  for (int64_t i = 0; i < count; ++i) {
    size_t entry_at = r.pos();
    TableData t;
    t.dump_id = r.integer();
    r.integer();  // hadDumper
    r.string();   // tableoid
    r.string();   // oid
    t.table = r.text();
    std::string desc = r.text();
    r.integer();  // section
    std::optional<std::string> defn = r.string();
    r.string();  // dropStmt
    std::optional<std::string> copy = r.string();
    t.schema = r.text();
    r.string();                       // tablespace
    if (version >= 114) r.string();   // tableam
    if (version >= 116) r.integer();  // relkind
    r.string();                       // owner
    r.string();                       // withOids
    while (r.string()) {
    }  // dependencies, up to a NULL
    std::string filename = r.text();
    if (desc == "ENCODING" && defn) {
      // SET client_encoding = 'UTF8';
      size_t q = defn->find('\''), e = defn->rfind('\'');
      if (q != std::string::npos && e > q) a.encoding = defn->substr(q + 1, e - q - 1);
    }
    if (desc != "TABLE DATA") continue;
    if (!copy || filename.empty() || filename.find('/') != std::string::npos) {
      throw base::Error(r.file(), 0, 0,
                        fmt::format("byte {}: TABLE DATA entry for {} has no COPY statement or "
                                    "data file name",
                                    entry_at, t.table));
    }
    t.columns = copy_columns(*copy, r);
    fs::path plain = dir / filename;
    if (fs::is_regular_file(plain, ec)) {
      t.data_file = plain;
    } else if (fs::path gz = dir / (filename + ".gz"); fs::is_regular_file(gz, ec)) {
      t.data_file = gz;
    } else {
      for (const char* other : {".lz4", ".zst"}) {
        if (fs::exists(dir / (filename + other), ec)) {
          throw base::Error((dir / (filename + other)).string(), 0, 0,
                            "lz4 and zstd data files are not supported; dump with -Z gzip or "
                            "-Z 0");
        }
      }
      throw base::Error(plain.string(), 0, 0,
                        fmt::format("data file of table {} is missing (neither {} nor {}.gz); "
                                    "copy the whole dump folder",
                                    t.table, filename, filename));
    }
    a.tables.push_back(std::move(t));
  }
  if (!r.at_end()) r.fail("bytes after the last table-of-contents entry");
  return a;
}

CopyField decode_copy_field(std::string_view field, std::string& error) {
  error.clear();
  if (field == "\\N") return std::nullopt;
  std::string out;
  out.reserve(field.size());
  auto octal = [](char c) { return c >= '0' && c <= '7'; };
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') return (c | 0x20) - 'a' + 10;
    return -1;
  };
  for (size_t i = 0; i < field.size(); ++i) {
    char c = field[i];
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++i == field.size()) {
      error = "a backslash ends the field";
      return std::nullopt;
    }
    char e = field[i];
    switch (e) {
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'v':
        out += '\v';
        break;
      case 'x':
        if (i + 1 < field.size() && hex(field[i + 1]) >= 0) {
          int v = hex(field[++i]);
          if (i + 1 < field.size() && hex(field[i + 1]) >= 0) v = v * 16 + hex(field[++i]);
          out += static_cast<char>(v);
        } else {
          out += 'x';
        }
        break;
      default:
        if (octal(e)) {
          int v = e - '0';
          for (int k = 0; k < 2 && i + 1 < field.size() && octal(field[i + 1]); ++k)
            v = v * 8 + (field[++i] - '0');
          out += static_cast<char>(v & 0xFF);
        } else {
          out += e;  // \\ and any other escaped character
        }
    }
  }
  return out;
}

size_t read_rows(const TableData& table,
                 const std::function<void(const std::vector<CopyField>&, size_t line)>& on_row,
                 const std::function<void(uint64_t file_bytes)>& on_bytes) {
  std::string name = table.data_file.string();
  // zlib reads gzip members and, transparently, plain files.
  gzFile in = gzopen(name.c_str(), "rb");
  if (in == nullptr) throw base::Error(name, 0, 0, "cannot open the data file");
  struct Closer {
    gzFile f;
    ~Closer() { gzclose(f); }
  } closer{in};
  gzbuffer(in, 1 << 17);

  std::string line;
  std::vector<CopyField> fields;
  size_t line_number = 0, rows = 0;
  char buffer[1 << 16];
  std::string pending;
  bool ended = false;
  auto handle_line = [&](std::string_view text) {
    ++line_number;
    if (text == "\\.") {
      ended = true;
      return;
    }
    fields.clear();
    size_t start = 0;
    while (true) {
      size_t tab = text.find('\t', start);
      std::string_view raw =
          text.substr(start, tab == std::string_view::npos ? std::string_view::npos : tab - start);
      std::string error;
      CopyField f = decode_copy_field(raw, error);
      if (!error.empty()) {
        throw base::Error(name, static_cast<int>(line_number), static_cast<int>(start + 1),
                          error + "; the data file is damaged");
      }
      fields.push_back(std::move(f));
      if (tab == std::string_view::npos) break;
      start = tab + 1;
    }
    if (fields.size() != table.columns.size()) {
      throw base::Error(name, static_cast<int>(line_number), 1,
                        fmt::format("{} fields where the COPY statement has {} columns; the data "
                                    "file is damaged",
                                    fields.size(), table.columns.size()));
    }
    ++rows;
    on_row(fields, line_number);
  };
  while (!ended) {
    int n = gzread(in, buffer, sizeof buffer);
    if (n < 0) {
      int code = 0;
      const char* message = gzerror(in, &code);
      throw base::Error(name, static_cast<int>(line_number + 1), 1,
                        std::string("cannot decompress the data file: ") + message);
    }
    if (n == 0) {
      int code = 0;
      const char* message = gzerror(in, &code);
      if (code != Z_OK) {
        throw base::Error(name, static_cast<int>(line_number + 1), 1,
                          std::string("cannot decompress the data file: ") + message +
                              "; the dump is truncated or damaged");
      }
      break;
    }
    if (on_bytes) on_bytes(static_cast<uint64_t>(gzoffset(in)));
    pending.append(buffer, static_cast<size_t>(n));
    size_t start = 0;
    for (size_t nl = pending.find('\n'); nl != std::string::npos && !ended;
         nl = pending.find('\n', start)) {
      handle_line(std::string_view(pending).substr(start, nl - start));
      start = nl + 1;
    }
    pending.erase(0, start);
  }
  if (!ended) {
    throw base::Error(name, static_cast<int>(line_number + 1), 1,
                      "the data file ends before its \\. end marker; the dump is truncated");
  }
  return rows;
}

}  // namespace shredmit::aggregates
