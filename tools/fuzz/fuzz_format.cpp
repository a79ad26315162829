// The formatter as `shredmit format` runs it: valid UTF-8 text is formatted or refused with a
// located base::Error; a result it would write keeps the token sequence and is a fixed point.
#include "base/error.h"
#include "base/text.h"
#include "fuzz.h"
#include "syntax/format.h"
#include "syntax/syntax.h"

using namespace shredmit;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view raw = fuzz::as_text(data, size);
  if (base::invalid_utf8_offset(raw) != std::string_view::npos) return 0;  // refused first
  std::string sql = syntax::normalize_newlines(raw);
  syntax::CheckedFormat once;
  try {
    once = syntax::format_sql_checked(sql);
  } catch (const base::Error&) {
    return 0;
  }
  if (once.difference) return 0;  // refused: the house style would merge tokens
  syntax::CheckedFormat twice;
  try {
    twice = syntax::format_sql_checked(once.text);
  } catch (const base::Error& e) {
    fuzz::fail("formatted text is refused: " + std::string(e.what()));
  }
  if (twice.difference) fuzz::fail("formatting the formatted text changes a token");
  // bqetl adds a blank line before a `-- format: on` that follows `;` on every run (documented
  // in the README); such text is not expected to be a fixed point.
  if (sql.find("format") != std::string::npos) return 0;
  if (twice.text == once.text) return 0;
  // bqetl's style is not idempotent on some text that is not SQL (`-#c` becomes "-\n#c", then
  // "-\n\n#c"), and shredmit writes what bqetl writes. Valid SQL must be a fixed point at once;
  // any text must be one from the second pass.
  bool valid_sql = true;
  try {
    syntax::parse_statements(sql);
  } catch (const syntax::SyntaxError&) {
    valid_sql = false;
  }
  if (valid_sql) {
    fuzz::fail("formatting valid SQL is not idempotent:\n" + once.text + "\n----\n" + twice.text);
  }
  std::string thrice = syntax::format_sql(twice.text);
  if (thrice != twice.text) {
    fuzz::fail("formatting does not settle by the second pass:\n" + twice.text + "\n----\n" +
               thrice);
  }
  return 0;
}
