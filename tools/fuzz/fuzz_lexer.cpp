// The hand-written lexer against ANTLR's generated one: on any text the parser would lex
// (valid UTF-8 without NUL), both give the same tokens.
#include "base/text.h"
#include "fuzz.h"
#include "syntax/syntax.h"

using namespace shredmit;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view sql = fuzz::as_text(data, size);
  if (base::invalid_utf8_offset(sql) != std::string_view::npos) return 0;
  if (sql.find('\0') != std::string_view::npos) return 0;
  if (auto difference = syntax::lexer_difference(sql)) fuzz::fail(*difference);
  return 0;
}
