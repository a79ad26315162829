// The aggregates export of seed 003 (see aggregates.h and the research note on mozaggregator2bq):
// dump rows to the 13 columns of the BigQuery table, as newline-delimited JSON.
#include <fmt/format.h>
#include <unistd.h>
#include <zlib.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <regex>

#include "aggregates/aggregates.h"
#include "base/error.h"
#include "base/text.h"

namespace shredmit::aggregates {
namespace {

namespace fs = std::filesystem;

constexpr size_t kMalformedExamples = 5;

size_t column_index(const TableData& t, const std::string& name) {
  for (size_t i = 0; i < t.columns.size(); ++i)
    if (t.columns[i] == name) return i;
  throw base::Error(t.data_file.string(), 0, 0,
                    fmt::format("table {} has no column `{}` (its columns: {}); this is not a "
                                "mozaggregator table",
                                t.table, name, base::join(t.columns, ", ")));
}

}  // namespace

ExportStats export_rows(const ExportOptions& o,
                        const std::function<void(std::string_view line)>& write) {
  if (!base::is_iso_date(o.ingest_date)) {
    throw base::Error::usage("--ingest-date takes a date as YYYY-MM-DD, got '" + o.ingest_date +
                             "'");
  }
  static const std::regex kTable(R"(^(submission_date|build_id)_([^_]+)_([0-9]+)_([0-9]{8})$)");
  static const std::regex kDay(R"(^[0-9]{8}$)");
  ExportStats stats;
  // Progress: the data files' sizes on disk, summed once the archives are read.
  using Clock = std::chrono::steady_clock;
  const Clock::time_point start = Clock::now();
  Clock::time_point last_report = start;
  ExportProgress progress;
  std::vector<Archive> archives;
  std::vector<uint64_t> sizes;  // of each table's data file, in reading order
  for (const fs::path& given : o.dump_dirs) {
    archives.push_back(read_archive(given.has_filename() ? given : given.parent_path()));
    for (const auto& t : archives.back().tables) {
      std::error_code ec;
      uint64_t size = fs::file_size(t.data_file, ec);
      sizes.push_back(ec ? 0 : size);
      progress.total_bytes += sizes.back();
    }
  }
  size_t table_index = 0;
  uint64_t bytes_before_table = 0;
  auto report = [&](bool done) {
    if (!o.progress) return;
    Clock::time_point now = Clock::now();
    if (!done && std::chrono::duration<double>(now - last_report).count() < o.progress_interval)
      return;
    last_report = now;
    progress.rows = stats.rows;
    progress.seconds = std::chrono::duration<double>(now - start).count();
    progress.done = done;
    o.progress(progress);
  };
  for (const Archive& archive : archives) {
    const fs::path& dir = archive.dir;
    std::string type = o.aggregate_type.empty()
                           ? fs::absolute(dir).lexically_normal().parent_path().filename().string()
                           : o.aggregate_type;
    std::string day = o.ds_nodash.empty() ? dir.filename().string() : o.ds_nodash;
    if (type != "submission_date" && type != "build_id") {
      throw base::Error::usage(fmt::format(
          "{}: the aggregate type is '{}'; put the dump in a folder named submission_date or "
          "build_id, or pass --aggregate-type",
          dir.string(), type));
    }
    if (!std::regex_match(day, kDay)) {
      throw base::Error::usage(fmt::format(
          "{}: the dump date is '{}'; name the dump folder YYYYMMDD or pass --ds-nodash",
          dir.string(), day));
    }
    for (const TableData& t : archive.tables) {
      std::smatch m;
      if (!std::regex_match(t.table, m, kTable)) {
        throw base::Error(
            (dir / "toc.dat").string(), 0, 0,
            fmt::format("table {} is not named <submission_date|build_id>_<channel>_<version>_"
                        "<YYYYMMDD>; dump only the aggregate tables (pg_dump --table '{}_*_{}*')",
                        t.table, type, day));
      }
      if (m[1] != type || m[4] != day) {
        throw base::Error((dir / "toc.dat").string(), 0, 0,
                          fmt::format("table {} is a {} table of {}, but the dump folder says {} "
                                      "of {}; check the folder or --aggregate-type/--ds-nodash",
                                      t.table, std::string(m[1]), std::string(m[4]), type, day));
      }
      std::string channel = m[2], version = m[3];
      size_t dimensions = column_index(t, "dimensions"), histogram = column_index(t, "histogram");
      ++stats.tables;
      std::string file = t.data_file.string();
      read_rows(
          t,
          [&](const std::vector<CopyField>& fields, size_t line) {
            // The columns in kExportColumns order: the five from the dump, the dimensions,
            // the aggregate.
            nlohmann::ordered_json row;
            const std::array<const std::string*, kFirstDimension> leading = {
                &o.ingest_date, &type, &day, &channel, &version};
            for (size_t k = 0; k < kFirstDimension; ++k)
              row[std::string(kExportColumns[k])] = *leading[k];
            nlohmann::json doc;
            if (fields[dimensions])
              doc = nlohmann::json::parse(*fields[dimensions], nullptr, false);
            bool object = doc.is_object();
            if (fields[dimensions] && !object) {
              ++stats.malformed_json;
              if (stats.malformed_examples.size() < kMalformedExamples)
                stats.malformed_examples.push_back(fmt::format("{}:{}", file, line));
            }
            for (size_t k = kFirstDimension; k < kFirstDimension + kDimensionCount; ++k) {
              const std::string key(kExportColumns[k]);
              auto it = object ? doc.find(key) : doc.end();
              if (!object || it == doc.end() || it->is_null()) {
                row[key] = nullptr;
              } else if (it->is_string()) {
                row[key] = it->get<std::string>();
              } else {
                row[key] = it->dump();
              }
            }
            if (fields[histogram]) {
              std::string array = *fields[histogram];
              for (char& c : array) {
                if (c == '{') c = '[';
                if (c == '}') c = ']';
              }
              row[std::string(kExportColumns.back())] = array;
            } else {
              row[std::string(kExportColumns.back())] = nullptr;
            }
            std::string text = row.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
            text += '\n';
            write(text);
            ++stats.rows;
          },
          [&](uint64_t file_bytes) {
            progress.bytes = bytes_before_table + file_bytes;
            report(false);
          });
      bytes_before_table += sizes[table_index++];
      progress.bytes = bytes_before_table;
    }
  }
  report(true);
  return stats;
}

ExportStats export_to_file(const ExportOptions& options, const fs::path& file) {
  fs::path tmp = file;
  tmp += fmt::format(".tmp-{}", ::getpid());
  bool gzip = file.extension() == ".gz";
  gzFile gz = nullptr;
  std::FILE* plain = nullptr;
  if (gzip) {
    gz = gzopen(tmp.c_str(), "wb6");
  } else {
    plain = std::fopen(tmp.c_str(), "wb");
  }
  if (gz == nullptr && plain == nullptr) {
    throw base::Error(file.string(), 0, 0, "cannot create the output file; check its folder");
  }
  bool closed = false;
  auto close = [&]() -> bool {
    closed = true;
    return gzip ? gzclose(gz) == Z_OK : std::fclose(plain) == 0;
  };
  try {
    ExportStats stats = export_rows(options, [&](std::string_view line) {
      bool ok = gzip ? gzwrite(gz, line.data(), static_cast<unsigned>(line.size())) ==
                           static_cast<int>(line.size())
                     : std::fwrite(line.data(), 1, line.size(), plain) == line.size();
      if (!ok) throw base::Error(file.string(), 0, 0, "cannot write the output file (disk full?)");
    });
    if (!close()) throw base::Error(file.string(), 0, 0, "cannot write the output file");
    std::error_code ec;
    std::filesystem::rename(tmp, file, ec);
    if (ec) throw base::Error(file.string(), 0, 0, "cannot replace the file: " + ec.message());
    return stats;
  } catch (...) {
    if (!closed) close();
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored);
    throw;
  }
}

}  // namespace shredmit::aggregates
