// The GoogleSQL lexer of grammar/GoogleSQLLexer.g4, written by hand (private to syntax).
// It produces the token stream ANTLR's generated lexer produces (same types, text, line,
// column and code-point start/stop indexes; comments and whitespace skipped) about ten times
// faster; the parser reads them through antlr4::ListTokenSource. tools/fuzz/fuzz_lexer.cpp and
// the Lexer tests check that the two lexers agree.
#pragma once

#include <antlr4-runtime.h>

#include <memory>
#include <string_view>
#include <vector>

namespace shredmit::syntax {

// The tokens of `sql` (valid UTF-8, as check_text ensures), ending with EOF, for the runtime's
// antlr4::ListTokenSource to feed the parser.
std::vector<std::unique_ptr<antlr4::Token>> lex(std::string_view sql);

}  // namespace shredmit::syntax
