// The GoogleSQL lexer of grammar/GoogleSQLLexer.g4, written by hand (private to syntax).
// It produces the token stream ANTLR's generated lexer produces (same types, text, line,
// column and code-point start/stop indexes; comments and whitespace skipped) about ten times
// faster, and feeds the generated parser as its token source. tools/fuzz/fuzz_lexer.cpp and
// the Lexer tests check that the two lexers agree.
#pragma once

#include <antlr4-runtime.h>

#include <memory>
#include <string_view>
#include <vector>

namespace shredmit::syntax {

class SqlLexer : public antlr4::TokenSource {
 public:
  // Lexes all of `sql` (valid UTF-8, as check_text ensures) at once.
  explicit SqlLexer(std::string_view sql);

  std::unique_ptr<antlr4::Token> nextToken() override;
  size_t getLine() const override;
  size_t getCharPositionInLine() override;
  antlr4::CharStream* getInputStream() override { return nullptr; }
  std::string getSourceName() override { return ""; }
  void setTokenFactory(antlr4::TokenFactory<antlr4::CommonToken>*) {}
  antlr4::TokenFactory<antlr4::CommonToken>* getTokenFactory() override;

 private:
  std::vector<std::unique_ptr<antlr4::CommonToken>> tokens_;  // ends with EOF
  size_t next_ = 0;
};

}  // namespace shredmit::syntax
