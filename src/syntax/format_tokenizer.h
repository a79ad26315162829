// Internal to src/syntax: the tokenizer behind format_sql (format.h). Not a public header.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace shredmit::syntax::formatting {

// Token classes. The layout rules ask questions of groups of these (is it a keyword, does it
// start a new line, ...); the predicates below answer them.
enum class Kind : uint8_t {
  kUnknown,       // any other run of non-space characters
  kWhitespace,    // one whitespace character and the non-newline whitespace after it
  kLineComment,   // `--` or `#` to the end of the line, with the whitespace before it
  kBlockComment,  // /* ... */, with the whitespace before it
  kJinjaComment,  // {# ... #}, with the whitespace before it
  kJinjaExpression,
  kJinjaStatement,
  kJinjaBlockStart,            // {% if|for|macro|block|call|filter %}
  kJinjaBlockMiddle,           // {% elif|else %}
  kJinjaBlockEnd,              // {% end... %}
  kBlockStart,                 // CASE, IF (scripting), LOOP, DO, REPEAT, CREATE PROCEDURE
  kBlockMiddle,                // BEGIN, ELSEIF, EXCEPTION WHEN ERROR THEN, THEN/ELSE outside CASE
  kBlockEnd,                   // END, END IF, END LOOP, ...
  kAliasSeparator,             // AS before an alias
  kTopLevelKeyword,            // clause keywords: own line, indented body
  kCaseSubclause,              // WHEN, THEN, ELSE inside CASE
  kNewlineKeyword,             // AND, OR, ON, USING, ...: start a line
  kAngleBracketKeyword,        // ARRAY, STRUCT, RANGE: a following `<` is a bracket
  kSpaceBeforeBracketKeyword,  // OVER, INTERVAL, * EXCEPT, ...: space before `(`
  kOperatorKeyword,            // NOT, IN, IS NULL, LIKE, ...
  kDataTypeKeyword,
  kOtherKeyword,
  kReservedKeyword,
  kOpeningBracket,       // ( [ and < of a type
  kClosingBracket,       // ) ] and > of a type
  kExpressionSeparator,  // ,
  kStatementSeparator,   // ;
  kFieldAccessOperator,  // .
  kPipeOperator,         // |>
  kOperator,
  kLiteral,
  kBuiltinFunction,  // a built-in function name before `(`, CURRENT_DATE and friends
  kQualifiedIdentifier,
  kPseudocolumn,
  kIdentifier,
  kQueryParameter,
};

struct Token {
  Kind kind;
  std::string_view text;  // a view into the tokenized text
};

// Splits `sql` into tokens covering it completely (concatenating the texts gives `sql` back).
std::vector<Token> tokenize(std::string_view sql);

inline bool is_comment(Kind k) {
  return k == Kind::kLineComment || k == Kind::kBlockComment || k == Kind::kJinjaComment;
}
inline bool is_keyword(Kind k) { return k >= Kind::kBlockStart && k <= Kind::kReservedKeyword; }
inline bool is_block_keyword(Kind k) { return k >= Kind::kBlockStart && k <= Kind::kBlockEnd; }
inline bool is_block_start(Kind k) { return k == Kind::kBlockStart || k == Kind::kBlockMiddle; }
inline bool is_block_end(Kind k) { return k == Kind::kBlockEnd || k == Kind::kBlockMiddle; }
inline bool is_newline_keyword(Kind k) {
  return k == Kind::kTopLevelKeyword || k == Kind::kCaseSubclause || k == Kind::kNewlineKeyword;
}
inline bool is_space_before_bracket_keyword(Kind k) {
  return k == Kind::kAliasSeparator || is_newline_keyword(k) ||
         k == Kind::kSpaceBeforeBracketKeyword || k == Kind::kOperatorKeyword;
}
inline bool is_jinja_statement(Kind k) {
  return k >= Kind::kJinjaStatement && k <= Kind::kJinjaBlockEnd;
}
inline bool is_jinja_block_statement(Kind k) {
  return k >= Kind::kJinjaBlockStart && k <= Kind::kJinjaBlockEnd;
}
inline bool is_jinja_block_start(Kind k) {
  return k == Kind::kJinjaBlockStart || k == Kind::kJinjaBlockMiddle;
}
inline bool is_jinja_block_end(Kind k) {
  return k == Kind::kJinjaBlockEnd || k == Kind::kJinjaBlockMiddle;
}
inline bool is_operator(Kind k) { return k >= Kind::kFieldAccessOperator && k <= Kind::kOperator; }
inline bool is_identifier(Kind k) {
  return k >= Kind::kBuiltinFunction && k <= Kind::kQueryParameter;
}
// Keywords, built-in function names and pseudocolumns are written in upper case.
inline bool is_upper_cased(Kind k) {
  return is_keyword(k) || k == Kind::kBuiltinFunction || k == Kind::kPseudocolumn;
}

// Whether a comment turns formatting off (`format: off`) or back on (`format: on`).
bool turns_formatting_off(std::string_view comment);
bool turns_formatting_on(std::string_view comment);

// Byte length of the whitespace character at `pos` (Python's `\s`, Unicode), or 0.
size_t whitespace_length(std::string_view s, size_t pos);

}  // namespace shredmit::syntax::formatting
