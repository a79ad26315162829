// shredmit aggregates: reading pg_dump directory-format archives. The fixtures in
// fixtures/aggregates/ are real dumps made by PostgreSQL 15 (tools/make-aggregates-fixture.sh),
// gzip and uncompressed, with 4-digit dump ids, and what PostgreSQL itself says of them
// (fixtures/aggregates/expected/: `pg_restore -l` and the rows computed by SQL).
#include "aggregates/aggregates.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/error.h"
#include "run_cli.h"

namespace shredmit {
namespace {

namespace fs = std::filesystem;
using aggregates::CopyField;

const fs::path kGzip = "fixtures/aggregates/build_id/20150128";
const fs::path kSubmission = "fixtures/aggregates/submission_date/20151027";
const fs::path kPlain = "fixtures/aggregates/uncompressed/build_id/20150128";

struct Rows {
  std::vector<std::vector<CopyField>> rows;
  std::vector<size_t> lines;
};

Rows rows_of(const aggregates::TableData& t) {
  Rows r;
  size_t n = aggregates::read_rows(t, [&](const std::vector<CopyField>& fields, size_t line) {
    r.rows.push_back(fields);
    r.lines.push_back(line);
  });
  EXPECT_EQ(n, r.rows.size());
  return r;
}

TEST(PgDumpArchive, MapsEachTableToItsOwnDataFile) {
  for (const fs::path& dir : {kGzip, kPlain}) {
    aggregates::Archive a = aggregates::read_archive(dir);
    EXPECT_EQ(a.version_major, 1);
    EXPECT_EQ(a.version_minor, 14);
    EXPECT_EQ(a.encoding, "UTF8");
    EXPECT_EQ(a.database, "postgres");
    ASSERT_EQ(a.tables.size(), 2u);
    EXPECT_EQ(a.tables[0].table, "build_id_aurora_0_20150128");
    EXPECT_EQ(a.tables[1].table, "build_id_beta_39_20150128");
    for (const auto& t : a.tables) {
      EXPECT_EQ(t.schema, "public");
      EXPECT_EQ(t.columns, (std::vector<std::string>{"dimensions", "histogram"}));
      // The data file is the entry's own, named by its dump id, whatever the id's width.
      EXPECT_EQ(t.data_file.filename().string(),
                std::to_string(t.dump_id) + (dir == kGzip ? ".dat.gz" : ".dat"));
    }
    EXPECT_NE(a.tables[0].dump_id, a.tables[1].dump_id);
  }
}

TEST(PgDumpArchive, TheTableOfContentsIsWhatPgRestoreLists) {
  for (const auto& [dir, listing] :
       {std::pair{kSubmission, "fixtures/aggregates/expected/submission_date_20151027.toc.txt"},
        std::pair{kGzip, "fixtures/aggregates/expected/build_id_20150128.toc.txt"}}) {
    // pg_restore -l: "dumpId; tableoid oid desc namespace tag owner".
    std::vector<std::pair<int64_t, std::string>> expected;
    std::ifstream in(listing);
    for (std::string line; std::getline(in, line);) {
      std::istringstream words(line);
      std::string id, tableoid, oid, desc1, desc2, schema, tag;
      words >> id >> tableoid >> oid >> desc1 >> desc2 >> schema >> tag;
      if (desc1 == "TABLE" && desc2 == "DATA") expected.emplace_back(std::stoll(id), tag);
    }
    ASSERT_EQ(expected.size(), 2u) << listing;
    std::vector<std::pair<int64_t, std::string>> read;
    for (const auto& t : aggregates::read_archive(dir).tables)
      read.emplace_back(t.dump_id, t.table);
    EXPECT_EQ(read, expected) << dir;
  }
}

TEST(PgDumpArchive, RowsAreDecodedAndStopAtTheEndMarker) {
  aggregates::Archive a = aggregates::read_archive(kSubmission);
  Rows beta = rows_of(a.tables[0]);
  // Four rows: the \. marker and the blank lines after it are not rows.
  ASSERT_EQ(beta.rows.size(), 4u);
  EXPECT_EQ(beta.lines, (std::vector<size_t>{1, 2, 3, 4}));
  EXPECT_EQ(beta.rows[0][1], CopyField("{0,2,0,2,2}"));
  // COPY's doubled backslashes are undone: the jsonb text is back as jsonb printed it.
  ASSERT_TRUE(beta.rows[1][0].has_value());
  EXPECT_NE(beta.rows[1][0]->find(R"("label": "quote\" back\\slash\ttab\nnewline é)"),
            std::string::npos)
      << *beta.rows[1][0];
  EXPECT_EQ(beta.rows[1][1], CopyField("{9223372036854775807,-9223372036854775808,-1,0,2}"));
  EXPECT_EQ(beta.rows[2][1], CopyField("{}"));
  EXPECT_EQ(beta.rows[3][1], std::nullopt);  // \N is NULL, not the text "\N"
  for (const fs::path& dir : {kGzip, kPlain}) {
    Rows aurora = rows_of(aggregates::read_archive(dir).tables[0]);
    ASSERT_EQ(aurora.rows.size(), 2u) << dir;
    EXPECT_NE(aurora.rows[1][0]->find(R"("label": "a\"b\\c\td\ne é")"), std::string::npos);
  }
}

TEST(CopyText, DecodesEveryEscapeCopyFromAccepts) {
  std::string error;
  EXPECT_EQ(aggregates::decode_copy_field("\\N", error), std::nullopt);
  EXPECT_EQ(aggregates::decode_copy_field("\\\\N", error), CopyField("\\N"));
  EXPECT_EQ(aggregates::decode_copy_field("a\\tb\\nc\\rd\\\\e\\bf\\fg\\vh", error),
            CopyField("a\tb\nc\rd\\e\bf\fg\vh"));
  // \x takes one or two hex digits: \x4g is byte 4, then g.
  EXPECT_EQ(aggregates::decode_copy_field("\\101\\7\\x41\\x4g\\q", error),
            CopyField(std::string("A\aA\x04") + "gq"));
  EXPECT_EQ(aggregates::decode_copy_field("", error), CopyField(""));
  EXPECT_TRUE(error.empty());
  EXPECT_EQ(aggregates::decode_copy_field("ends\\", error), std::nullopt);
  EXPECT_EQ(error, "a backslash ends the field");
}

// A copy of a fixture dump in a temporary folder, to damage.
struct DumpCopy {
  fs::path dir;
  explicit DumpCopy(const fs::path& from) {
    dir = fs::temp_directory_path() /
          ("shredmit_dump_" +
           std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    for (const auto& e : fs::directory_iterator(from))
      fs::copy(e.path(), dir / e.path().filename());
  }
  ~DumpCopy() { fs::remove_all(dir); }
  std::string read(const std::string& name) const {
    std::ifstream in(dir / name, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  void write(const std::string& name, const std::string& bytes) const {
    std::ofstream(dir / name, std::ios::binary | std::ios::trunc) << bytes;
  }
};

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const base::Error& e) {
    return e.format();
  }
  return "";
}

TEST(PgDumpArchive, DamagedTablesOfContentsAreLocatedByByte) {
  DumpCopy d(kPlain);
  std::string toc = d.read("toc.dat");
  d.write("toc.dat", toc.substr(0, 200));
  std::string e = error_of([&] { aggregates::read_archive(d.dir); });
  EXPECT_NE(e.find("toc.dat: error: byte "), std::string::npos) << e;
  EXPECT_NE(e.find("truncated"), std::string::npos) << e;
  d.write("toc.dat", "PGDMX" + toc.substr(5));
  EXPECT_NE(error_of([&] { aggregates::read_archive(d.dir); }).find("no PGDMP magic"),
            std::string::npos);
  std::string newer = toc;
  newer[6] = 30;  // format 1.30
  d.write("toc.dat", newer);
  EXPECT_NE(error_of([&] { aggregates::read_archive(d.dir); }).find("1.30 is not supported"),
            std::string::npos);
  d.write("toc.dat", toc + "x");
  EXPECT_NE(error_of([&] { aggregates::read_archive(d.dir); }).find("bytes after the last"),
            std::string::npos);
}

TEST(PgDumpArchive, EveryTruncationAndCorruptionIsAnErrorNotACrash) {
  DumpCopy d(kPlain);
  std::string toc = d.read("toc.dat");
  for (size_t n = 0; n < toc.size(); ++n) {
    d.write("toc.dat", toc.substr(0, n));
    EXPECT_THROW(aggregates::read_archive(d.dir), base::Error) << "cut at " << n;
  }
  // Corrupted bytes: read or refused, never anything else.
  uint32_t seed = 12345;
  for (int i = 0; i < 2000; ++i) {
    std::string bad = toc;
    seed = seed * 1664525 + 1013904223;
    bad[seed % bad.size()] = static_cast<char>(seed >> 24);
    d.write("toc.dat", bad);
    try {
      aggregates::read_archive(d.dir);
    } catch (const base::Error&) {
    }
  }
}

TEST(PgDumpArchive, MissingAndUnsupportedDataFilesAreNamed) {
  DumpCopy d(kPlain);
  aggregates::Archive a = aggregates::read_archive(d.dir);
  std::string first = a.tables[0].data_file.filename().string();
  fs::rename(d.dir / first, d.dir / (first + ".lz4"));
  std::string e = error_of([&] { aggregates::read_archive(d.dir); });
  EXPECT_NE(e.find(first + ".lz4: error: lz4 and zstd data files are not supported"),
            std::string::npos)
      << e;
  fs::remove(d.dir / (first + ".lz4"));
  e = error_of([&] { aggregates::read_archive(d.dir); });
  EXPECT_NE(e.find("is missing"), std::string::npos) << e;
  EXPECT_NE(error_of([&] { aggregates::read_archive(d.dir / "nowhere"); }).find("no toc.dat"),
            std::string::npos);
}

TEST(PgDumpArchive, TruncatedAndDamagedDataFilesAreLocatedByLine) {
  for (const fs::path& from : {kPlain, kGzip}) {
    DumpCopy d(from);
    aggregates::TableData t = aggregates::read_archive(d.dir).tables[0];
    std::string name = t.data_file.filename().string();
    std::string bytes = d.read(name);
    // Cut off the end (for gzip: the stream's tail).
    d.write(name, bytes.substr(0, bytes.size() * 2 / 3));
    std::string e = error_of([&] { aggregates::read_rows(t, [](const auto&, size_t) {}); });
    EXPECT_NE(e.find("truncated"), std::string::npos) << from << ": " << e;
  }
  {
    // Every truncation of a data file is an error, up to the end of its \. line.
    DumpCopy d(kPlain);
    aggregates::TableData t = aggregates::read_archive(d.dir).tables[0];
    std::string name = t.data_file.filename().string();
    std::string bytes = d.read(name);
    size_t complete = bytes.find("\\.\n") + 3;
    for (size_t n = 0; n < bytes.size(); ++n) {
      d.write(name, bytes.substr(0, n));
      auto read = [&] { aggregates::read_rows(t, [](const auto&, size_t) {}); };
      if (n < complete) {
        EXPECT_THROW(read(), base::Error) << "cut at " << n;
      } else {
        EXPECT_NO_THROW(read()) << "cut at " << n;
      }
    }
  }
  {
    DumpCopy d(kGzip);
    aggregates::TableData t = aggregates::read_archive(d.dir).tables[0];
    std::string name = t.data_file.filename().string();
    std::string bytes = d.read(name);
    size_t all = aggregates::read_rows(t, [](const auto&, size_t) {});
    size_t errors = 0;
    // A cut in the gzip trailer, after the \. line was decoded, loses no row: so each cut is a
    // clean error or all the rows, never some of them.
    for (size_t n = 0; n < bytes.size(); ++n) {
      d.write(name, bytes.substr(0, n));
      try {
        EXPECT_EQ(aggregates::read_rows(t, [](const auto&, size_t) {}), all) << "cut at " << n;
      } catch (const base::Error&) {
        ++errors;
      }
    }
    EXPECT_GT(errors, bytes.size() / 2);
  }
  DumpCopy d(kPlain);
  aggregates::TableData t = aggregates::read_archive(d.dir).tables[1];
  std::string name = t.data_file.filename().string();
  d.write(name, "{\"os\": \"x\"}\t{1}\textra\n\\.\n");
  std::string e = error_of([&] { aggregates::read_rows(t, [](const auto&, size_t) {}); });
  EXPECT_NE(e.find(name + ":1:1: error: 3 fields where the COPY statement has 2 columns"),
            std::string::npos)
      << e;
  d.write(name, "{}\t{1}\n{}\t{2}\\\n\\.\n");
  e = error_of([&] { aggregates::read_rows(t, [](const auto&, size_t) {}); });
  EXPECT_NE(e.find(name + ":2:4: error: a backslash ends the field"), std::string::npos) << e;
}

// ------------------------------------------------------------------ the export

std::vector<nlohmann::ordered_json> export_lines(const aggregates::ExportOptions& o,
                                                 aggregates::ExportStats* stats = nullptr) {
  std::vector<nlohmann::ordered_json> rows;
  auto s = aggregates::export_rows(o, [&](std::string_view line) {
    EXPECT_EQ(line.back(), '\n');
    rows.push_back(nlohmann::ordered_json::parse(line));
  });
  if (stats) *stats = s;
  return rows;
}

TEST(AggregatesExport, RowsAreThoseProstgreSqlComputesFromTheSameTables) {
  for (const auto& [dir, expected_file] :
       {std::pair{kSubmission, "fixtures/aggregates/expected/submission_date_20151027.ndjson"},
        std::pair{kGzip, "fixtures/aggregates/expected/build_id_20150128.ndjson"},
        std::pair{kPlain, "fixtures/aggregates/expected/build_id_20150128.ndjson"}}) {
    aggregates::ExportOptions o;
    o.dump_dirs = {dir};
    o.ingest_date = "2020-02-27";
    aggregates::ExportStats stats;
    auto rows = export_lines(o, &stats);
    std::vector<nlohmann::json> expected;
    std::ifstream in(expected_file);
    for (std::string line; std::getline(in, line);) expected.push_back(nlohmann::json::parse(line));
    ASSERT_EQ(rows.size(), expected.size()) << dir;
    for (size_t i = 0; i < rows.size(); ++i)
      EXPECT_EQ(nlohmann::json(rows[i]), expected[i]) << dir << " row " << i;
    EXPECT_EQ(stats.tables, 2u);
    EXPECT_EQ(stats.malformed_json, 0u);
    std::vector<std::string> keys;
    for (auto& [k, v] : rows[0].items()) keys.push_back(k);
    EXPECT_EQ(keys,
              (std::vector<std::string>{"ingest_date", "aggregate_type", "ds_nodash", "channel",
                                        "version", "os", "child", "label", "metric", "osVersion",
                                        "application", "architecture", "aggregate"}));
  }
  // The decoy table of another day is not in the dump; the two channels keep their own labels.
  aggregates::ExportOptions o;
  o.dump_dirs = {kSubmission};
  o.ingest_date = "2020-02-27";
  auto rows = export_lines(o);
  EXPECT_EQ(rows.front()["channel"], "beta");
  EXPECT_EQ(rows.back()["channel"], "nightly");
  EXPECT_EQ(rows.back()["version"], "43");
}

TEST(AggregatesExport, MalformedDimensionsAreNullAndCounted) {
  DumpCopy d(kPlain);
  aggregates::TableData t = aggregates::read_archive(d.dir).tables[1];
  std::string name = t.data_file.filename().string();
  d.write(name,
          "not json\t{1}\n{\"os\": 5, \"label\": null, \"child\": {\"a\": 1}}\t{2}\n\\.\n\n\n");
  aggregates::ExportOptions o;
  o.dump_dirs = {d.dir};
  o.ingest_date = "2020-02-27";
  o.aggregate_type = "build_id";
  o.ds_nodash = "20150128";
  aggregates::ExportStats stats;
  auto rows = export_lines(o, &stats);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(stats.malformed_json, 1u);
  ASSERT_EQ(stats.malformed_examples.size(), 1u);
  EXPECT_NE(stats.malformed_examples[0].find(name + ":1"), std::string::npos);
  for (const char* k :
       {"os", "child", "label", "metric", "osVersion", "application", "architecture"})
    EXPECT_TRUE(rows[2][k].is_null()) << k;
  EXPECT_EQ(rows[2]["aggregate"], "[1]");
  // A non-string value is its JSON text; null and missing keys are NULL.
  EXPECT_EQ(rows[3]["os"], "5");
  EXPECT_EQ(rows[3]["child"], "{\"a\":1}");
  EXPECT_TRUE(rows[3]["label"].is_null());
  EXPECT_TRUE(rows[3]["metric"].is_null());
}

TEST(AggregatesExport, TablesMustBelongToTheDumpsTypeAndDate) {
  aggregates::ExportOptions o;
  o.dump_dirs = {kPlain};
  o.ingest_date = "2020-02-27";
  o.aggregate_type = "submission_date";
  std::string e = error_of([&] { export_lines(o); });
  EXPECT_NE(e.find("table build_id_aurora_0_20150128 is a build_id table of 20150128, but the "
                   "dump folder says submission_date"),
            std::string::npos)
      << e;
  o.aggregate_type = "";
  o.ds_nodash = "20150129";
  EXPECT_NE(
      error_of([&] { export_lines(o); }).find("but the dump folder says build_id of 20150129"),
      std::string::npos);
  o.ds_nodash = "";
  o.ingest_date = "27/02/2020";
  try {
    export_lines(o);
    ADD_FAILURE() << "no error";
  } catch (const base::Error& err) {
    EXPECT_EQ(err.kind, base::ErrorKind::kUsage);
  }
}

TEST(AggregatesExport, ATableThatIsNotAnAggregateTableIsNamed) {
  DumpCopy d(kPlain);
  std::string toc = d.read("toc.dat");
  // The same length keeps the table of contents valid: only the name changes.
  for (size_t at = toc.find("build_id_aurora_0_20150128"); at != std::string::npos;
       at = toc.find("build_id_aurora_0_20150128", at + 1))
    toc.replace(at, 26, "build_id_aurora_x_20150128");
  d.write("toc.dat", toc);
  aggregates::ExportOptions o;
  o.dump_dirs = {d.dir};
  o.ingest_date = "2020-02-27";
  o.aggregate_type = "build_id";
  o.ds_nodash = "20150128";
  std::string e = error_of([&] { export_lines(o); });
  EXPECT_NE(e.find("table build_id_aurora_x_20150128 is not named "
                   "<submission_date|build_id>_<channel>_<version>_<YYYYMMDD>"),
            std::string::npos)
      << e;
}

std::string gunzip(const fs::path& p) {
  gzFile in = gzopen(p.c_str(), "rb");
  std::string out;
  char buffer[4096];
  for (int n; (n = gzread(in, buffer, sizeof buffer)) > 0;) out.append(buffer, n);
  gzclose(in);
  return out;
}

TEST(AggregatesExport, ReportsProgressInBytesOfTheDataFiles) {
  aggregates::ExportOptions o;
  o.dump_dirs = {kGzip, kPlain};
  o.ingest_date = "2020-02-27";
  o.aggregate_type = "build_id";
  o.ds_nodash = "20150128";
  o.progress_interval = 0;  // report at every block
  std::vector<aggregates::ExportProgress> reports;
  o.progress = [&](const aggregates::ExportProgress& p) { reports.push_back(p); };
  aggregates::export_rows(o, [](std::string_view) {});
  ASSERT_GE(reports.size(), 2u);
  uint64_t total = 0;
  for (const fs::path& dir : {kGzip, kPlain})
    for (const auto& t : aggregates::read_archive(dir).tables) total += fs::file_size(t.data_file);
  for (size_t i = 0; i < reports.size(); ++i) {
    EXPECT_EQ(reports[i].total_bytes, total);
    EXPECT_LE(reports[i].bytes, total);
    if (i > 0) {
      EXPECT_GE(reports[i].bytes, reports[i - 1].bytes);
      EXPECT_GE(reports[i].rows, reports[i - 1].rows);
    }
  }
  EXPECT_TRUE(reports.back().done);
  EXPECT_EQ(reports.back().bytes, total);
  EXPECT_EQ(reports.back().rows, 6u);
}

TEST(AggregatesExport, FilesAreWrittenWholeOrNotAtAll) {
  DumpCopy d(kPlain);
  aggregates::ExportOptions o;
  o.dump_dirs = {kGzip};
  o.ingest_date = "2020-02-27";
  std::string expected;
  aggregates::export_rows(o, [&](std::string_view line) { expected += line; });
  fs::path out = d.dir / "rows.ndjson.gz";
  EXPECT_EQ(aggregates::export_to_file(o, out).rows, 3u);
  EXPECT_EQ(gunzip(out), expected);
  // A truncated data file: the export fails and the earlier file is untouched, with no
  // temporary file left.
  aggregates::TableData t = aggregates::read_archive(d.dir).tables[1];
  std::string name = t.data_file.filename().string();
  d.write(name, d.read(name).substr(0, 40));
  o.dump_dirs = {d.dir};
  o.aggregate_type = "build_id";
  o.ds_nodash = "20150128";
  EXPECT_THROW(aggregates::export_to_file(o, out), base::Error);
  EXPECT_EQ(gunzip(out), expected);
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(d.dir))
    files += e.path().filename().string().starts_with("rows.ndjson.gz");
  EXPECT_EQ(files, 1u);
}

TEST(AggregatesExport, CommandLine) {
  std::string out, err;
  EXPECT_EQ(
      test_support::run_cli({"aggregates", "export", kPlain.c_str(), "--ingest-date", "2020-02-27"},
                            &out, &err),
      0)
      << err;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 3);
  EXPECT_NE(err.find("exported 3 rows of 2 tables"), std::string::npos) << err;
  EXPECT_EQ(test_support::run_cli(
                {"aggregates", "export", kPlain.c_str(), "--ingest-date", "yesterday"}, &out, &err),
            2);
  EXPECT_EQ(test_support::run_cli(
                {"aggregates", "export", "fixtures/aggregates", "--ingest-date", "2020-02-27",
                 "--aggregate-type", "build_id", "--ds-nodash", "20150128"},
                &out, &err),
            1);
  EXPECT_NE(err.find("no toc.dat"), std::string::npos) << err;
}

// ------------------------------------------------------------------ the load plan

TEST(AggregatesLoadPlan, TheScriptLoadsEachDayIntoItsPartitionWithTheExplicitSchema) {
  DumpCopy d(kPlain);
  std::string out, err;
  ASSERT_EQ(test_support::run_cli({"aggregates", "load-plan", "--table",
                                   "moz-fx-data-shared-prod.telemetry_derived.build_id_aggregates",
                                   "--aggregate-type", "build_id", "--source",
                                   "20150128=gs://b/build_id/20150128.ndjson.gz", "--source",
                                   "20150129=gs://b/it's here/20150129.ndjson.gz"},
                                  &out, &err),
            0)
      << err;
  EXPECT_EQ(out.find("--autodetect"), std::string::npos);
  d.write("plan.sh", out);
  // A stand-in bq records each call's arguments and the schema file it was given.
  fs::create_directories(d.dir / "bin");
  d.write("bin/bq",
          "#!/bin/bash\nprintf '%s\\n' \"$@\" >>\"$LOG\"\necho --- >>\"$LOG\"\n"
          "cp \"${@: -1}\" \"$LOG.schema\"\n");
  fs::permissions(d.dir / "bin/bq", fs::perms::owner_all);
  std::string command = "cd " + d.dir.string() +
                        " && bash -n plan.sh && PATH=" + (d.dir / "bin").string() +
                        ":$PATH LOG=" + (d.dir / "log").string() + " bash plan.sh";
  ASSERT_EQ(std::system(command.c_str()), 0);
  std::string log = d.read("log");
  EXPECT_NE(log.find("load\n--source_format=NEWLINE_DELIMITED_JSON\n--replace\n"
                     "--time_partitioning_type=DAY\n--clustering_fields=metric,channel,os,"
                     "version\nmoz-fx-data-shared-prod:telemetry_derived.build_id_aggregates$"
                     "20150128\ngs://b/build_id/20150128.ndjson.gz\n"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("build_id_aggregates$20150129\ngs://b/it's here/20150129.ndjson.gz\n"),
            std::string::npos)
      << log;
  auto schema = nlohmann::json::parse(d.read("log.schema"));
  ASSERT_EQ(schema.size(), 13u);
  EXPECT_EQ(schema[0],
            nlohmann::json({{"name", "ingest_date"}, {"type", "DATE"}, {"mode", "REQUIRED"}}));
  EXPECT_EQ(schema[4],
            nlohmann::json({{"name", "version"}, {"type", "STRING"}, {"mode", "NULLABLE"}}));
  if (std::system("command -v shellcheck >/dev/null") == 0) {
    EXPECT_EQ(std::system(("shellcheck " + (d.dir / "plan.sh").string()).c_str()), 0);
  }
}

TEST(AggregatesLoadPlan, JsonAndUsageErrors) {
  std::string out, err;
  ASSERT_EQ(test_support::run_cli(
                {"aggregates", "load-plan", "--table", "proj-1.ds.t", "--aggregate-type",
                 "submission_date", "--source", "20151027=rows.ndjson", "--format", "json"},
                &out, &err),
            0)
      << err;
  auto plan = nlohmann::json::parse(out);
  EXPECT_EQ(plan["clustering"], nlohmann::json({"ds_nodash", "version", "metric", "channel"}));
  EXPECT_EQ(plan["loads"][0]["partition"], "proj-1.ds.t$20151027");
  EXPECT_EQ(plan["loads"][0]["write_disposition"], "WRITE_TRUNCATE");
  EXPECT_EQ(plan["schema"].size(), 13u);
  auto usage = [&](std::vector<const char*> args) {
    args.insert(args.begin(), {"aggregates", "load-plan", "--aggregate-type", "build_id"});
    return test_support::run_cli(args, &out, &err);
  };
  EXPECT_EQ(usage({"--table", "not a table", "--source", "20150128=x"}), 2);
  EXPECT_EQ(usage({"--table", "proj-1.ds.t", "--source", "2015-01-28=x"}), 2);
  EXPECT_EQ(usage({"--table", "proj-1.ds.t", "--source", "20150128=x", "--source", "20150128=y"}),
            2);
  EXPECT_NE(err.find("given twice"), std::string::npos) << err;
  EXPECT_EQ(usage({"--table", "proj-1.ds.t", "--source", "20150128"}), 2);
}

}  // namespace
}  // namespace shredmit
