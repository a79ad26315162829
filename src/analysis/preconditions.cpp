// The preconditions of shredder mitigation: the one place that decides whether a table version
// may be mitigated, for generate, lint and backfill validate (see analysis.h).
#include <fmt/format.h>

#include <algorithm>
#include <regex>
#include <set>

#include "analysis.h"
#include "syntax/visit.h"

namespace shredmit::analysis {
namespace {

namespace fs = std::filesystem;

// Whether something is at `p`. A path that cannot be examined (permission denied, a loop of
// symbolic links) counts as present, so that reading it reports the error.
bool present(const fs::path& p) {
  std::error_code ec;
  fs::file_status status = fs::symlink_status(p, ec);
  return status.type() != fs::file_type::not_found && (ec || fs::exists(status));
}

bool has_id_level_name(const std::vector<std::string>& columns, std::string_view name) {
  return has_name(columns, name);
}

class Checker {
 public:
  Checker(const project::SqlTree& tree, const PreconditionOptions& options, Preconditions& out)
      : tree_(tree), options_(options), out_(out) {}

  void run(const fs::path& table_dir) {
    TableVersion& next = out_.next;
    next.dir = table_dir;
    next.name = table_dir.filename().string();
    if (next.name.empty()) next.name = table_dir.parent_path().filename().string();
    read(next);
    if (next.metadata) {
      if (!next.metadata->shredder_mitigation) {
        refuse(Precondition::kLabel, anchor_file_, anchor_,
               "the table is not set up for shredder mitigation: add the label "
               "`shredder_mitigation: true` under `labels:` once its query and schema follow the "
               "requirements (seed 004, consideration 1)");
      }
    }
    auto split = project::TableId::split_version(next.name);
    if (!split) {
      bool numbered = std::regex_search(next.name, std::regex("_v[0-9]+$"));
      refuse(Precondition::kVersion, anchor_file_, anchor_,
             numbered ? fmt::format("{} has a version number past {}, which no bigquery-etl "
                                    "table has; shredder mitigation compares version N with "
                                    "version N-1: fix the folder's _vN suffix",
                                    next.name, project::kMaxTableVersion)
                      : fmt::format("{} has no _vN version suffix; shredder mitigation compares "
                                    "version N with version N-1: name the folder <table>_v<N>",
                                    next.name));
    } else {
      next.version = split->second;
      if (next.version < 2) {
        refuse(Precondition::kVersion, anchor_file_, anchor_,
               fmt::format("{} is version {}; shredder mitigation applies from version 2 on, "
                           "against the previous version: bump the version first",
                           next.name, next.version));
      } else {
        std::string previous_name = fmt::format("{}_v{}", split->first, next.version - 1);
        fs::path previous_dir = table_dir.parent_path() / previous_name;
        if (!present(previous_dir)) {
          refuse(Precondition::kPrevious, anchor_file_, anchor_,
                 fmt::format("the previous version {} is missing and shredder mitigation "
                             "recomputes totals against it: restore its folder ({}), or set "
                             "the backfill's shredder_mitigation to false",
                             previous_name, previous_dir.string()));
        } else {
          out_.previous.dir = previous_dir;
          out_.previous.name = previous_name;
          out_.previous.version = next.version - 1;
          read(out_.previous);
        }
      }
    }
    for (TableVersion* v : {&out_.next, &out_.previous}) {
      if (v->exists()) check_version(*v);
    }
    check_partitioning();
    if (out_.previous.exists() && grain_ok(out_.next) && grain_ok(out_.previous)) compare();
  }

 private:
  void refuse(Precondition kind, std::string file, base::Location at, std::string message) {
    out_.refusals.push_back(Refusal{kind, std::move(file), at, std::move(message)});
  }

  void refuse(Precondition kind, const base::Error& e) {
    refuse(kind, e.file, e.span.begin, e.what());
  }

  // Runs `read_file`; an error reading or parsing the file becomes a kFiles refusal (with the
  // system's reason for a file that cannot be read).
  template <typename F>
  void attempt(F&& read_file) {
    try {
      read_file();
    } catch (const base::Error& e) {
      refuse(Precondition::kFiles, e);
    } catch (const fs::filesystem_error& e) {
      refuse(Precondition::kFiles, base::filesystem_error(e.path1(), e.code()));
    }
  }

  // Reads metadata.yaml, query.sql and schema.yaml of `v`; each missing or unreadable file is a
  // refusal.
  // A missing file is reported at the new version's label (else its metadata.yaml, else its
  // folder), so that the message lands in a file that exists.
  void read(TableVersion& v) {
    bool previous = &v == &out_.previous;
    std::error_code ec;
    fs::directory_iterator listing(v.dir, ec);
    if (ec) {
      refuse(Precondition::kFiles, v.dir.string(), {},
             fmt::format("{}folder cannot be read ({}); fix its permissions{}",
                         previous ? "the previous version's " : "", ec.message(),
                         previous ? ": this version is compared against it" : ""));
      if (!previous) anchor_file_ = v.dir.string();
      return;
    }
    fs::path metadata = v.dir / "metadata.yaml";
    if (!present(metadata)) {
      refuse(Precondition::kFiles, previous ? anchor_file_ : v.dir.string(),
             previous ? anchor_ : base::Location{},
             fmt::format("{} is missing; add the table's metadata.yaml", metadata.string()));
    } else {
      attempt([&] { v.metadata = project::load_metadata(metadata); });
    }
    if (!previous) {
      anchor_file_ = v.metadata ? v.metadata->file : v.dir.string();
      if (v.metadata) anchor_ = v.metadata->label;
    }
    fs::path query = v.dir / "query.sql";
    if (!present(query)) {
      refuse(Precondition::kFiles, anchor_file_, anchor_,
             fmt::format("{} is missing; shredder mitigation needs the query of both versions "
                         "(a view, or a query written by sql_generators or a query.py, cannot be "
                         "mitigated: run `bqetl query generate` and use the generated query)",
                         query.string()));
    } else {
      attempt([&] {
        try {
          v.query = project::read_table_query(v.dir, options_.render);
        } catch (const project::OfflineError& e) {
          v.needs_network = true;
          refuse(Precondition::kFiles, e.file, e.span.begin,
                 std::string(e.what()) +
                     "; shredmit does not download metric-hub definitions: render the query with "
                     "`bqetl query render` and check the rendered copy");
        }
      });
    }
    fs::path schema = v.dir / "schema.yaml";
    if (!present(schema)) {
      refuse(Precondition::kSchemaMissing, anchor_file_, anchor_,
             fmt::format("{} is missing; shredder mitigation needs every column's name, type "
                         "and description: add it (`bqetl query schema update` writes one)",
                         schema.string()));
    } else {
      attempt([&] { v.schema = project::load_schema(schema, tree_); });
    }
    if (v.query && v.query->query) {
      v.aggregate = inspect_aggregate(*v.query->query, v.schema ? *v.schema : empty_schema_);
    }
  }

  static bool grain_ok(const TableVersion& v) {
    return v.aggregate && v.aggregate->final_select != nullptr &&
           std::none_of(v.aggregate->problems.begin(), v.aggregate->problems.end(),
                        [](const Problem& p) { return p.kind != ProblemKind::kMetricType; });
  }

  bool is_id_level(std::string_view name) const {
    return has_id_level_name(options_.id_level_columns, name);
  }

  void check_descriptions(const project::Schema& schema,
                          const std::vector<project::SchemaField>& fields,
                          const std::string& prefix) {
    for (const auto& f : fields) {
      std::string path = prefix.empty() ? f.name : prefix + "." + f.name;
      if (!f.description) {
        refuse(Precondition::kDescriptions, schema.file, base::Location{f.line, f.column},
               fmt::format("schema field '{}' has no description{}; describe it (and the date it "
                           "became available, if it is new)",
                           path, f.included ? " (it comes through an include)" : ""));
      }
      check_descriptions(schema, f.fields, path);
    }
  }

  void check_id_level_schema(const project::Schema& schema,
                             const std::vector<project::SchemaField>& fields,
                             const std::string& prefix) {
    for (const auto& f : fields) {
      std::string path = prefix.empty() ? f.name : prefix + "." + f.name;
      if (is_id_level(f.name)) {
        refuse(Precondition::kIdLevel, schema.file, base::Location{f.line, f.column},
               fmt::format("schema field '{}' is an id-level column; an aggregate set up for "
                           "shredder mitigation must not keep client-level identifiers: remove "
                           "it",
                           path));
      }
      check_id_level_schema(schema, f.fields, path);
    }
  }

  // The rules of one version alone.
  void check_version(const TableVersion& v) {
    if (v.schema) {
      check_descriptions(*v.schema, v.schema->fields, "");
      check_id_level_schema(*v.schema, v.schema->fields, "");
    }
    if (!v.aggregate) return;
    const AggregateQuery& a = *v.aggregate;
    const std::string& file = v.query->file;
    for (const auto& p : a.problems) {
      if (p.kind != ProblemKind::kMetricType) {
        refuse(Precondition::kShape, file, p.loc, p.message);
        continue;
      }
      // A schema type the expression contradicts is reported as such (check_schema_matches),
      // not as a non-numeric metric.
      const OutputColumn* c = nullptr;
      for (const auto& col : a.columns) {
        if (col.loc == p.loc) c = &col;
      }
      if (c != nullptr && c->expr != nullptr && is_numeric(proven_type(*c->expr))) continue;
      refuse(Precondition::kMetricKind, file, p.loc, p.message);
    }
    for (const auto& c : a.columns) {
      if (is_id_level(c.name)) {
        refuse(Precondition::kIdLevel, file, c.loc,
               fmt::format("output column '{}' is an id-level column; aggregate it away (for "
                           "example COUNT(DISTINCT ...) in an upstream table) and remove it",
                           c.name));
      }
    }
    if (v.schema) {
      for (auto& r : check_schema_matches(*v.query->query, file, *v.schema)) {
        out_.refusals.push_back(std::move(r));
      }
      for (const auto& c : a.columns) {
        const project::SchemaField* field = v.schema->find(c.name);
        if (c.type != Type::kUnknown || field == nullptr) continue;
        refuse(Precondition::kSchemaMatch, v.schema->file,
               base::Location{field->line, field->column},
               fmt::format("schema field '{}' has type {}, which is not a BigQuery type shredmit "
                           "knows; write one of STRING, INTEGER, FLOAT, NUMERIC, BIGNUMERIC, "
                           "BOOLEAN, DATE, DATETIME, TIME, TIMESTAMP, BYTES, JSON, GEOGRAPHY or "
                           "RECORD",
                           c.name, field->type.empty() ? "(none)" : field->type));
      }
    }
  }

  // The new version's partitioning, compared with the previous version's.
  void check_partitioning() {
    const TableVersion& next = out_.next;
    if (!next.metadata) return;
    const project::Metadata& md = *next.metadata;
    auto refuse_here = [&](base::Location at, std::string message) {
      refuse(Precondition::kPartition, md.file, at.line > 0 ? at : anchor_, std::move(message));
    };
    if (!md.time_partitioning) {
      refuse_here({},
                  "the table is not partitioned (no bigquery.time_partitioning in metadata.yaml); "
                  "shredder mitigation recomputes one partition at a time against the same "
                  "partition of the previous version: partition it by day on its date column "
                  "(type: day, field: submission_date)");
      return;
    }
    if (!md.partition_field) {
      refuse_here(md.time_partitioning_at,
                  "the table is partitioned by ingestion time (bigquery.time_partitioning has no "
                  "field); the mitigation reads the previous version's partition by its column "
                  "(bigquery-etl refuses it too): partition it on a DATE column");
      return;
    }
    std::string type = syntax::to_lower(md.partition_type.value_or("day"));
    if (type != "day" && type != "month") {
      refuse_here(md.partition_type_at,
                  fmt::format("time_partitioning type {}: managed backfills replace day or month "
                              "partitions; partition by day",
                              *md.partition_type));
      return;
    }
    const std::string& field = *md.partition_field;
    bool ok = true;
    if (out_.previous.exists() && out_.previous.metadata) {
      const project::Metadata& pm = *out_.previous.metadata;
      std::optional<std::string> previous_field = pm.partition_field;
      if (!previous_field || !base::same_name(*previous_field, field)) {
        refuse_here(md.partition_field_at,
                    fmt::format("this version is partitioned on {} but the previous version {} "
                                "is {}; the mitigation compares the same partition of both: "
                                "partition both on the same column",
                                field, out_.previous.name,
                                previous_field ? "partitioned on " + *previous_field
                                               : std::string("not partitioned on a column")));
        ok = false;
      }
    }
    if (!md.date_partition_parameter) {
      refuse(Precondition::kPartition, md.file,
             md.date_partition_parameter_at.line > 0 ? md.date_partition_parameter_at : anchor_,
             "scheduling.date_partition_parameter is null, so the backfill binds no date; the "
             "mitigation selects the previous version's partition by that parameter: set it "
             "(bigquery-etl's default is submission_date)");
      ok = false;
    }
    std::optional<Type> column_type;
    for (const TableVersion* v : {&out_.next, &out_.previous}) {
      if (!v->exists() || !v->aggregate || !grain_ok(*v)) continue;
      const OutputColumn* c = v->aggregate->find(field);
      const std::string& file = v->query->file;
      const syntax::Select* s = v->aggregate->final_select;
      base::Location at = s != nullptr ? s->loc : base::Location{};
      if (c == nullptr) {
        refuse(Precondition::kPartition, file, at,
               fmt::format("the partition field {} (metadata.yaml) is not an output column of "
                           "{}; the mitigation selects a partition by it: add it to the select "
                           "list and GROUP BY, or fix time_partitioning.field",
                           field, v->name));
        ok = false;
        continue;
      }
      if (c->role != Role::kDimension) {
        refuse(Precondition::kPartition, file, c->loc,
               fmt::format("the partition field {} is aggregated in {}; a partition column must "
                           "be grouped: add it to GROUP BY",
                           c->name, v->name));
        ok = false;
        continue;
      }
      if (c->type != Type::kDate && c->type != Type::kTimestamp && c->type != Type::kDatetime) {
        if (c->type != Type::kUnknown) {
          refuse(Precondition::kPartition, file, c->loc,
                 fmt::format("the partition field {} is {} in {}; BigQuery partitions by time "
                             "only on DATE, TIMESTAMP or DATETIME columns",
                             c->name, type_name(c->type), v->name));
        }
        ok = false;
        continue;
      }
      if (v == &out_.next) column_type = c->type;
    }
    if (ok && column_type) {
      out_.partitioning =
          Partitioning{field, *column_type, type == "month", *md.date_partition_parameter};
    }
  }

  void compare() {
    const TableVersion& next = out_.next;
    const TableVersion& previous = out_.previous;
    const AggregateQuery& a = *next.aggregate;
    const AggregateQuery& p = *previous.aggregate;
    const std::string& file = next.query->file;
    Classification c;
    bool comparable = true;
    for (const auto& col : a.columns) {
      const OutputColumn* old = p.find(col.name);
      bool is_dim = col.role == Role::kDimension;
      if (old != nullptr && old->role != col.role) {
        refuse(Precondition::kComparable, file, col.loc,
               fmt::format("column '{}' is a {} in {} but a {} in {}; rename it so that it is "
                           "recalculated as a new column",
                           col.name, is_dim ? "dimension" : "metric", next.name,
                           is_dim ? "metric" : "dimension", previous.name));
        comparable = false;
        continue;
      }
      // A type the schema declares against what the expression proves is reported as such
      // (check_schema_matches), not again as a change between versions.
      auto contradicted = [](const OutputColumn& x) {
        Type proven = x.expr != nullptr ? proven_type(*x.expr) : Type::kUnknown;
        return proven != Type::kUnknown && proven != x.type;
      };
      if (old != nullptr && old->type != col.type && old->type != Type::kUnknown &&
          col.type != Type::kUnknown && !contradicted(col) && !contradicted(*old)) {
        refuse(Precondition::kComparable, file, col.loc,
               fmt::format("column '{}' is {} in {} but {} in {}; keep its type or rename it so "
                           "that it is recalculated",
                           col.name, type_name(col.type), next.name, type_name(old->type),
                           previous.name));
        comparable = false;
        continue;
      }
      ClassifiedColumn classified{col.name, col.type, {}};
      if (is_dim) {
        if (old != nullptr && !is_groupable(col.type) && col.type != Type::kUnknown) {
          refuse(Precondition::kComparable, file, col.loc,
                 fmt::format("dimension '{}' has type {}, which BigQuery cannot group by", col.name,
                             type_name(col.type)));
          comparable = false;
        }
        (old != nullptr ? c.common_dimensions : c.added_dimensions).push_back(classified);
        continue;
      }
      bool declared = has_name(options_.signed_metrics, col.name);
      classified.kind = metric_kind(col, *a.lineage, declared);
      if (old == nullptr) {
        c.new_metrics.push_back(classified);
        continue;
      }
      if (classified.kind.kind == MetricKind::kNotRecoverable) {
        refuse(Precondition::kMetricKind, file, col.loc,
               fmt::format("metric '{}' is common to both versions but cannot be recovered by "
                           "subtraction ({}); rename it in {}'s query and schema so that it is "
                           "recomputed as a new metric (its shredded rows are NULL), or keep its "
                           "sum and count as metrics and derive it in a view",
                           col.name, classified.kind.reason, next.name));
        comparable = false;
      } else if (old->expr != nullptr || !old->definitions.empty()) {
        MetricKindInfo previous_kind = metric_kind(*old, *p.lineage, declared);
        if (previous_kind.kind == MetricKind::kNotRecoverable) {
          refuse(Precondition::kMetricKind, previous.query->file, old->loc,
                 fmt::format("metric '{}' of the previous version {} cannot be recovered by "
                             "subtraction ({}); rename it in {}'s query and schema so that it is "
                             "recomputed as a new metric (its shredded rows are NULL), or keep "
                             "its sum and count as metrics and derive it in a view",
                             col.name, previous.name, previous_kind.reason, next.name));
          comparable = false;
        }
      }
      c.common_metrics.push_back(classified);
    }
    for (const auto& col : p.columns) {
      if (a.find(col.name) != nullptr) continue;
      (col.role == Role::kDimension ? c.removed_dimensions : c.removed_metrics)
          .push_back(ClassifiedColumn{col.name, col.type, {}});
    }
    base::Location at = a.final_select->loc;
    if (c.common_dimensions.empty()) {
      refuse(Precondition::kComparable, file, at,
             fmt::format("no dimension is common to {} and {}; shredder mitigation keeps totals "
                         "per common dimension: keep at least one dimension's name",
                         next.name, previous.name));
      comparable = false;
    }
    if (c.common_metrics.empty()) {
      refuse(Precondition::kComparable, file, at,
             fmt::format("no metric is common to {} and {}; there is no total to keep: keep at "
                         "least one metric's name",
                         next.name, previous.name));
      comparable = false;
    }
    if (comparable) out_.classification = std::move(c);
  }

  const project::SqlTree& tree_;
  const PreconditionOptions& options_;
  Preconditions& out_;
  std::string anchor_file_;
  base::Location anchor_;
  const project::Schema empty_schema_;
};

}  // namespace

base::Error Refusal::error() const { return base::Error(file, at.line, at.column, message); }

std::vector<Refusal> check_schema_matches(const syntax::Query& query, const std::string& query_file,
                                          const project::Schema& schema) {
  std::vector<Refusal> out;
  auto columns = output_columns(query);
  if (!columns) return out;  // `*` or unnamed columns: the output is not known without BigQuery
  std::set<std::string> output;
  for (const auto& c : *columns) {
    output.insert(syntax::to_lower(c.name));
    const project::SchemaField* field = schema.find(c.name);
    if (field == nullptr) {
      out.push_back(Refusal{Precondition::kSchemaMatch, query_file, c.loc,
                            fmt::format("output column '{}' is not in schema.yaml; add it with "
                                        "its type and description",
                                        c.name)});
      continue;
    }
    Type proven = proven_type(*c.expr);
    Type declared = type_from_schema(*field);
    if (proven != Type::kUnknown && declared != Type::kUnknown && proven != declared) {
      out.push_back(Refusal{
          Precondition::kSchemaMatch, query_file, c.loc,
          fmt::format("output column '{}' is {} but schema.yaml (line {}) declares {}{}; fix the "
                      "expression or the schema",
                      c.name, type_name(proven), field->line,
                      field->mode == "REPEATED" ? "REPEATED " : "",
                      field->type.empty() ? "no type" : field->type)});
    }
  }
  for (const auto& f : schema.fields) {
    if (!output.count(syntax::to_lower(f.name))) {
      out.push_back(Refusal{Precondition::kSchemaMatch, schema.file,
                            base::Location{f.line, f.column},
                            fmt::format("schema field '{}' is not an output column of {}; remove "
                                        "it or add the column to the query",
                                        f.name, fs::path(query_file).filename().string())});
    }
  }
  return out;
}

Preconditions check_preconditions(const project::SqlTree& tree, const fs::path& table_dir,
                                  const PreconditionOptions& options) {
  Preconditions out;
  Checker(tree, options, out).run(table_dir);
  return out;
}

}  // namespace shredmit::analysis
