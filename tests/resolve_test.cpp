// Name resolution, file-driven: each case of tests/data/resolve/*.test is a query, a line `--`,
// the expected description of its output columns and tables, and a line `==`. The description
// (describe() below) follows each output column to where its value comes from.
#include "resolve/resolve.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/text.h"
#include "syntax/syntax.h"
#include "syntax/visit.h"

namespace shredmit::resolve {
namespace {

namespace fs = std::filesystem;

// Tables with known columns for the cases: `catalog.t` has a, b, c.
class TestCatalog : public Catalog {
 public:
  std::optional<std::vector<std::string>> columns(std::string_view path) const override {
    if (path == "catalog.t") return std::vector<std::string>{"a", "b", "c"};
    return std::nullopt;
  }
};

std::string describe(const Binding& b) {
  std::string kind;
  switch (b.source->kind) {
    case SourceKind::kTable:
      kind = "table " + b.source->table;
      break;
    case SourceKind::kWithQuery:
      kind = "with " + b.source->table;
      break;
    case SourceKind::kSubquery:
      kind = "subquery " + (b.source->name.empty() ? std::string("(unnamed)") : b.source->name);
      break;
    case SourceKind::kUnnest:
      kind = "unnest " + b.source->name;
      break;
    case SourceKind::kTableFunction:
      kind = "function " + b.source->name;
      break;
  }
  return kind + (b.column.empty() ? " (row)" : "." + b.column) +
         (b.correlated ? " (correlated)" : "");
}

bool is_plain_ref(const syntax::Expr& e) {
  return syntax::is_column_reference(syntax::strip_parentheses(e));
}

// "expr <- source.column <- ..." for one output column of scope s.
std::string trace(const Resolution& r, const Scope& s, const Column& c, int depth) {
  std::string out = c.expr != nullptr ? syntax::canonical_text(*c.expr) : "*";
  if (depth > 16) return out + " ...";
  std::optional<Binding> b;
  if (c.expr == nullptr) {
    b = Binding{&s, c.source, c.name, false};
  } else if (is_plain_ref(*c.expr)) {
    b = r.bind(*c.expr, s);
    if (!b) return out + " <- ?";
  } else {
    std::vector<std::string> inputs;
    syntax::for_each_expr(*c.expr, [&](const syntax::Expr& x) {
      if (x.kind != syntax::ExprKind::kName && x.kind != syntax::ExprKind::kFieldAccess) return;
      if (x.kind == syntax::ExprKind::kFieldAccess && !is_plain_ref(x)) return;
      auto xb = r.bind(x, s);
      inputs.push_back(xb ? describe(*xb) : "?");
    });
    // A field access over a name also visits the name: keep the longer description.
    return inputs.empty() ? out : out + " [" + base::join(inputs, ", ") + "]";
  }
  out += " <- " + describe(*b);
  if (auto def = r.definition(*b)) out += " <- " + trace(r, *def->second, *def->first, depth + 1);
  return out;
}

std::string describe(const syntax::Query& q, const Catalog& catalog) {
  Resolution r(q, &catalog);
  std::string out;
  const QueryScope& root = r.root();
  if (root.set_operation) {
    out += std::string("set operation, ") + (root.union_all ? "UNION ALL" : "not UNION ALL") +
           ", " + std::to_string(root.branches.size()) + " branches\n";
  }
  const Scope& first = *root.branches.front();
  for (const auto& c : first.columns) {
    out +=
        (c.name.empty() ? std::string("(unnamed)") : c.name) + ": " + trace(r, first, c, 0) + "\n";
  }
  if (!first.columns_known) out += "columns not all known\n";
  std::vector<std::string> tables;
  for (const auto& [name, loc] : r.tables_read()) tables.push_back(name);
  out += "tables: " + (tables.empty() ? std::string("(none)") : base::join(tables, ", ")) + "\n";
  return out;
}

struct Case {
  std::string file;
  int line;
  std::string sql;
  std::string expected;
};

std::vector<Case> read_cases() {
  std::vector<Case> cases;
  for (const auto& entry : fs::directory_iterator("tests/data/resolve")) {
    if (entry.path().extension() != ".test") continue;
    std::ifstream in(entry.path());
    std::string line, sql, expected;
    int n = 0, start = 1;
    bool in_expected = false;
    while (std::getline(in, line)) {
      ++n;
      if (line == "--") {
        in_expected = true;
      } else if (line == "==") {
        cases.push_back({entry.path().string(), start, sql, expected});
        sql.clear();
        expected.clear();
        in_expected = false;
        start = n + 1;
      } else {
        (in_expected ? expected : sql) += line + "\n";
      }
    }
  }
  return cases;
}

TEST(ResolveFiles, EveryCaseDescribesItsColumns) {
  auto cases = read_cases();
  ASSERT_GE(cases.size(), 15u);
  TestCatalog catalog;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.file + ":" + std::to_string(c.line));
    auto q = syntax::parse_query(c.sql);
    EXPECT_EQ(describe(*q, catalog), c.expected);
  }
}

TEST(Resolve, CorrelatedReferenceBindsToTheOuterSelect) {
  auto q = syntax::parse_query(
      "SELECT a, (SELECT MAX(b) FROM catalog.t AS inner_t WHERE inner_t.a = outer_t.a) AS m "
      "FROM catalog.t AS outer_t");
  TestCatalog catalog;
  Resolution r(*q, &catalog);
  const auto& outer = *r.root().branches.front();
  const auto& sub = outer.columns[1].expr->as<syntax::ScalarSubquery>();
  const Scope* inner = r.query_scope_of(*sub.query)->branches.front();
  ASSERT_EQ(inner->outer, &outer);
  const auto& where = sub.query->body->as<syntax::Select>().where->as<syntax::Binary>();
  auto left = r.bind(*where.left, *inner);
  auto right = r.bind(*where.right, *inner);
  ASSERT_TRUE(left && right);
  EXPECT_FALSE(left->correlated);
  EXPECT_EQ(left->scope, inner);
  EXPECT_TRUE(right->correlated);
  EXPECT_EQ(right->scope, &outer);
  EXPECT_EQ(right->source->name, "outer_t");
  // An unqualified name that only the outer SELECT has is correlated too.
  auto b = r.bind(syntax::NameRef(syntax::Identifier{"c", false, {}}), *inner);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->scope, inner);  // inner_t has c: the inner column shadows the outer one
}

TEST(Resolve, AmbiguousUnqualifiedNameDoesNotBind) {
  auto q = syntax::parse_query("SELECT b FROM catalog.t AS t1 JOIN catalog.t AS t2 ON TRUE");
  TestCatalog catalog;
  Resolution r(*q, &catalog);
  const auto& s = *r.root().branches.front();
  EXPECT_FALSE(r.bind(*s.columns[0].expr, s).has_value());
}

// How many times BigQuery scans each table: a WITH query runs once per reference (it is not
// materialized), so its tables count as often, through WITH queries that reference it; one never
// referenced does not run.
TEST(Resolve, TableScansCountEachRunOfAWithQuery) {
  struct Case {
    std::string sql;
    std::vector<std::pair<std::string, int>> scans;
  };
  std::vector<Case> cases = {
      {"SELECT * FROM a.t", {{"a.t", 1}}},
      {"SELECT * FROM a.t JOIN a.t AS u USING (x)", {{"a.t", 2}}},
      // The mitigation query's shape: new_version read by new_agg and by the final UNION ALL.
      {"WITH new_version AS (SELECT * FROM up.stream), new_agg AS (SELECT x FROM new_version), "
       "prev AS (SELECT x FROM p.prev) SELECT * FROM new_version UNION ALL SELECT * FROM new_agg "
       "JOIN prev USING (x)",
       {{"up.stream", 2}, {"p.prev", 1}}},
      // Runs multiply down a chain: c runs twice, each run of c runs b twice.
      {"WITH b AS (SELECT * FROM s.t), c AS (SELECT * FROM b UNION ALL SELECT * FROM b) "
       "SELECT * FROM c UNION ALL SELECT * FROM c",
       {{"s.t", 4}}},
      {"WITH unused AS (SELECT * FROM s.t) SELECT 1", {{"s.t", 0}}},
      // Expression subqueries and FROM subqueries count once per reference.
      {"SELECT (SELECT MAX(x) FROM s.t), y FROM (SELECT * FROM s.t)", {{"s.t", 2}}},
      // A WITH query inside a WITH query's body runs with it.
      {"WITH outer_q AS (WITH inner_q AS (SELECT * FROM s.t) SELECT * FROM inner_q) "
       "SELECT * FROM outer_q JOIN outer_q AS o2 USING (x)",
       {{"s.t", 2}}},
  };
  for (const auto& c : cases) {
    auto q = syntax::parse_query(c.sql);
    Resolution r(*q);
    EXPECT_EQ(r.table_scans(), c.scans) << c.sql;
  }
}

}  // namespace
}  // namespace shredmit::resolve
