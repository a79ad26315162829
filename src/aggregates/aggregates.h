// shredmit aggregates: reading the Firefox Telemetry aggregates from PostgreSQL dumps (seed 003,
// mozaggregator2bq), natively: no pg_restore at run time.
//
// This header reads `pg_dump --format directory` archives: the table of contents in toc.dat
// and, for each TABLE DATA entry, its data file in COPY text format. The byte layout follows
// PostgreSQL's pg_backup_archiver.c (ReadHead, ReadToc) and pg_backup_directory.c, as specified
// in the project's research note on the aggregates export.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
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
// `on_bytes`, when given, is called after each block read with how far into the file on disk
// the reader is (compressed bytes for gzip), for progress reports.
size_t read_rows(const TableData& table,
                 const std::function<void(const std::vector<CopyField>&, size_t line)>& on_row,
                 const std::function<void(uint64_t file_bytes)>& on_bytes = {});

// ------------------------------------------------------------------ the export (seed 003)

// How far an export is: rows written, and bytes of the dumps' data files read (as stored on
// disk) out of their total size.
struct ExportProgress {
  size_t rows = 0;
  uint64_t bytes = 0;
  uint64_t total_bytes = 0;
  double seconds = 0;  // since the export started
  bool done = false;   // the last report
};

struct ExportOptions {
  std::vector<std::filesystem::path> dump_dirs;  // .../<aggregate_type>/<ds_nodash>/
  // Called about every `progress_interval` seconds while rows are read, and once when the export
  // is done.
  std::function<void(const ExportProgress&)> progress;
  double progress_interval = 1.0;
  std::string ingest_date;  // YYYY-MM-DD, written in every row
  // Override the dump folders' names (the original took both from the path); empty: the name
  // of each dump folder's parent and of the folder itself.
  std::string aggregate_type;
  std::string ds_nodash;
};

// The columns of the BigQuery table, in the seed's order: ingest_date, aggregate_type,
// ds_nodash, channel and version, the seven dimension keys of the dimensions JSON (positions
// kFirstDimension to kFirstDimension + 6), and aggregate.
inline constexpr std::array<std::string_view, 13> kExportColumns = {
    "ingest_date", "aggregate_type", "ds_nodash", "channel", "version",
    "os",          "child",          "label",     "metric",  "osVersion",
    "application", "architecture",   "aggregate"};
inline constexpr size_t kFirstDimension = 5;
inline constexpr size_t kDimensionCount = 7;

struct ExportStats {
  size_t tables = 0;
  size_t rows = 0;
  // Rows whose dimensions are not a JSON object: written with the 7 dimension columns NULL, as
  // the original's Spark from_json did, and counted here, never silently.
  size_t malformed_json = 0;
  std::vector<std::string> malformed_examples;  // "file:line" of the first few
};

// The rows of the BigQuery table, one JSON object per row, in the seed's 13 columns:
// ingest_date, aggregate_type, ds_nodash, channel and version (from the table name),
// os, child, label, metric, osVersion, application, architecture (from the dimensions JSON:
// exact key names; a missing key or JSON null is NULL; a non-string value is its compact JSON
// text) and aggregate (the bigint[] text with braces made brackets, `{0,2}` -> `[0,2]`; NULL
// stays NULL). Each dump folder is read with read_archive; every table name must match
// `^(submission_date|build_id)_([^_]+)_([0-9]+)_([0-9]{8})$` and agree with the folder's
// aggregate type and date. `write` receives each line with its newline. Throws base::Error
// (kInput) for a table that does not match, naming it, and the errors of read_archive and
// read_rows; (kUsage) for an ingest date or type that is not valid.
ExportStats export_rows(const ExportOptions& options,
                        const std::function<void(std::string_view line)>& write);

// export_rows into `file` (gzip-compressed when its name ends in .gz), written atomically: a
// temporary file renamed into place only when every row is written, so a failed export leaves
// no partial file and an existing file as it was.
ExportStats export_to_file(const ExportOptions& options, const std::filesystem::path& file);

// ------------------------------------------------------------------ the load

// One day's exported rows: the day (YYYYMMDD) and where the file is (gs://... or a local path,
// as `bq load` takes it).
struct LoadSource {
  std::string ds_nodash;
  std::string uri;
};

struct LoadPlanOptions {
  std::string table;           // PROJECT.DATASET.TABLE
  std::string aggregate_type;  // submission_date or build_id: chooses the clustering
  std::vector<LoadSource> sources;
};

// The BigQuery schema of the export: the 13 columns, ingest_date DATE REQUIRED, the others
// STRING NULLABLE (the original's Parquet schema; explicit because autodetection of JSON would
// type version "39" and ds_nodash "20151027" as INTEGER).
nlohmann::ordered_json bigquery_schema();

// The clustering fields of the original tables: build_id -> metric, channel, os, version;
// submission_date -> ds_nodash, version, metric, channel.
std::vector<std::string> clustering(const std::string& aggregate_type);

// `load-plan --format sh`: a bash script (bash -n and shellcheck clean) that writes the schema to
// a temporary file and runs one `bq load --replace` per day into the day's partition
// (TABLE$YYYYMMDD, ingestion-time DAY partitioning as the original), so that re-running a day
// replaces it: the original appended. Throws base::Error (kUsage) for a table that is not
// PROJECT.DATASET.TABLE, an unknown aggregate type, no source, a day that is not a date or is
// given twice.
std::string load_plan_shell(const LoadPlanOptions& options);

// `load-plan --format json`: {table, aggregate_type, source_format, partitioning, clustering,
// schema, loads: [{ds_nodash, partition, source, write_disposition, command}]}.
std::string load_plan_json(const LoadPlanOptions& options);

}  // namespace shredmit::aggregates
