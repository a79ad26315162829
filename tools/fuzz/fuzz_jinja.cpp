// The Jinja renderer: any template renders or is refused with a located TemplateError, within
// the limits of templating.h (no crash, no exhausted stack or memory, no endless loop).
#include "fuzz.h"
#include "templating/templating.h"

using namespace shredmit;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  templating::RenderOptions options;
  options.variables = {{"project_id", "moz-fx-data-shared-prod"},
                       {"dataset_id", "telemetry_derived"},
                       {"table_name", "clients_daily_v6"},
                       {"submission_date", "2024-06-01"},
                       {"sample", "42"}};
  options.macro_files = {{"macros.jinja",
                          "{% macro not_null(columns) %}{% for c in columns %}{{ c }} IS NOT NULL"
                          "{% if not loop.last %} AND {% endif %}{% endfor %}{% endmacro %}"}};
  try {
    templating::render({"query.sql", std::string(fuzz::as_text(data, size))}, options);
  } catch (const templating::TemplateError& e) {
    if (e.pos.line < 1 || e.pos.column < 1) fuzz::fail("an error without a location");
  }
  return 0;
}
