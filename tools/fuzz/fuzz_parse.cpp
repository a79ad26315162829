// The SQL parser and printer: any input either is refused with a SyntaxError or parses; what
// parses prints, the print parses again, and printing that gives the same text.
#include "fuzz.h"
#include "syntax/syntax.h"

using namespace shredmit;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  syntax::Script script;
  try {
    script = syntax::parse_statements(fuzz::as_text(data, size));
  } catch (const syntax::SyntaxError&) {
    return 0;
  }
  if (script.statements.empty()) return 0;  // only comments: prints as nothing
  std::string first = syntax::print(script);
  syntax::Script again;
  try {
    again = syntax::parse_statements(first);
  } catch (const syntax::SyntaxError& e) {
    fuzz::fail("the printed SQL does not parse: " + std::string(e.what()) + "\n" + first);
  }
  std::string second = syntax::print(again);
  if (second != first) fuzz::fail("printing is not stable:\n" + first + "\n----\n" + second);
  return 0;
}
