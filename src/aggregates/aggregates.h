// shredmit aggregates: reading the Firefox Telemetry aggregates from PostgreSQL dumps (seed 003,
// mozaggregator2bq), natively: no pg_restore at run time.
//
// This header reads `pg_dump --format directory` archives: the table of contents in toc.dat
// and, for each TABLE DATA entry, its data file in COPY text format. The byte layout follows
// PostgreSQL's pg_backup_archiver.c (ReadHead, ReadToc) and pg_backup_directory.c, as specified
// in the project's research note on the aggregates export.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shredmit::aggregates {

// One TABLE DATA entry of an archive: a table whose rows are in a data file.
struct TableData {
  int64_t dump_id = 0;
  std::string schema;                // the entry's namespace ("public")
  std::string table;                 // the entry's tag: the table name
  std::vector<std::string> columns;  // in data-file order, from the entry's COPY statement
  std::filesystem::path data_file;   // on disk: <dump id>.dat or <dump id>.dat.gz
};

// The parts of a directory-format archive a reader needs.
struct Archive {
  std::filesystem::path dir;
  int version_major = 0, version_minor = 0, version_rev = 0;  // archive format, e.g. 1.14.0
  std::string database;                                       // the dumped database's name
  std::string server_version;                                 // of the server dumped
  std::string dump_version;                                   // of pg_dump
  std::string encoding;           // of the data files, from the ENCODING entry ("UTF8"); "" if none
  std::vector<TableData> tables;  // TABLE DATA entries in toc.dat order
};

// Reads DIR/toc.dat. Archive format versions 1.12 to 1.16 are read (PostgreSQL 11 to 17), with
// both forms of the compression field (an Int level before 1.15, an algorithm byte from 1.15).
// Each TABLE DATA entry is mapped to its file through the entry's own file name, never through
// dump ids or the order of entries; gzip (.gz) and uncompressed data files are found on disk.
// Throws base::Error (kInput) naming toc.dat and the byte offset for: a missing or unreadable
// file, a wrong magic, an unsupported version or integer size, a truncated or overlong field, a
// file that does not end where its table of contents does; and naming the data file for one
// that is missing or compressed with lz4 or zstd (not supported: dump with -Z gzip or -Z 0).
Archive read_archive(const std::filesystem::path& dir);

// One field of a COPY text row: its decoded bytes, or nullopt for SQL NULL (`\N`).
using CopyField = std::optional<std::string>;

// Decodes one field as COPY FROM does: `\N` alone is NULL; `\\`, `\b`, `\f`, `\n`, `\r`, `\t`,
// `\v`, `\ooo` (1 to 3 octal digits), `\xhh` (1 or 2 hex digits) and `\c` for any other
// character c. Returns nullopt from `error` set to a message for a backslash at the end of the
// field (`error` is empty otherwise).
CopyField decode_copy_field(std::string_view field, std::string& error);

// Streams the rows of `table`'s data file (gzip or plain) to `on_row`, with the 1-based line
// number, stopping at the `\.` end marker; a line is split at TAB into the table's columns.
// Memory stays bounded by the longest line. Throws base::Error (kInput) naming the data file and
// the line for: an unreadable or corrupt file, a bad escape, a row whose field count differs
// from the COPY statement's columns, and a file that ends before `\.` (a truncated dump).
// Returns the number of rows.
size_t read_rows(const TableData& table,
                 const std::function<void(const std::vector<CopyField>&, size_t line)>& on_row);

}  // namespace shredmit::aggregates
