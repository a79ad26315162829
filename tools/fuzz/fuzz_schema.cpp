// The YAML reader with bigquery-etl's tags: any text given as schema.yaml, metadata.yaml and
// backfill.yaml loads or is refused with a base::Error. Includes can reach two schema files of
// the scratch repository (by `file` and by `table`) and nothing outside it.
#include "base/error.h"
#include "fuzz.h"
#include "project/project.h"

using namespace shredmit;
namespace fs = std::filesystem;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const project::SqlTree tree = [] {
    fs::path root = fuzz::scratch() / "repo";
    fuzz::write(root / "bigquery_etl/schema/global.yaml",
                "fields:\n- name: submission_date\n  type: DATE\n  description: The day.\n"
                "- name: client_info\n  type: RECORD\n  fields:\n  - name: os\n    type: STRING\n"
                "    description: The OS.\n");
    fuzz::write(root / "sql/p/d/other_v1/schema.yaml",
                "fields:\n- name: n\n  type: INTEGER\n  mode: NULLABLE\n  description: A count.\n");
    return project::SqlTree::from_sql_dir(root / "sql", root);
  }();
  fs::path dir = tree.sql_dir / "p/d/t_v2";
  std::string_view text = fuzz::as_text(data, size);
  fuzz::write(dir / "schema.yaml", text);
  fuzz::write(dir / "metadata.yaml", text);
  fuzz::write(dir / "backfill.yaml", text);
  try {
    project::load_schema(dir / "schema.yaml", tree);
  } catch (const base::Error&) {
  }
  try {
    project::load_metadata(dir / "metadata.yaml");
  } catch (const base::Error&) {
  }
  try {
    project::load_backfill(dir / "backfill.yaml");
  } catch (const base::Error&) {
  }
  return 0;
}
