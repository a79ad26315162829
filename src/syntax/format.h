// shredmit syntax: bigquery-etl's house formatting of SQL text (what `bqetl format` writes).
//
// This is a token-stream formatter, not an AST printer: the text is split into tokens (comments,
// Jinja `{{ }}`, `{% %}` and `{# #}` included), original whitespace is dropped, and new
// whitespace is laid out from the token classes alone, in two passes:
//   1. every clause keyword (SELECT, FROM, WHERE, JOIN, ...), list separator, opening bracket,
//      comment and Jinja statement ends a line; the indentation is two spaces per open clause,
//      bracket, CASE branch, scripting block and Jinja block;
//   2. each bracketed block whose lines fit on one line of at most 100 code points (counting the
//      indentation) and holds no line comment is joined onto one line, outermost first.
// Keywords, BigQuery's built-in function names and pseudocolumns are upper-cased; identifiers,
// literals, comments and Jinja are copied byte for byte. A comment keeps the whitespace that led
// up to it on its line, and `-- format: off` ... `-- format: on` regions are copied unchanged.
//
// The token classes and both passes reproduce bigquery-etl's `bigquery_etl/format_sql`
// (`reformat(query, trailing_newline=True)`), measured by running it on its public tree: the
// output equals its output byte for byte, quirks included (a string prefix written in upper
// case, `R'x'`, becomes the identifier `R` and a string, `R 'x'`). Where no rule of that
// formatter applies, this one does not invent one, so a file bigquery-etl accepts is accepted.
//
// One deliberate difference: bigquery-etl's formatter is not idempotent on two spellings that
// its own output never contains, `name AS(` (no space: AS is not read as an alias, so the common
// table expression's body is laid out one level deeper) and a built-in name apart from its
// bracket (`lower (x)` stays lower case). Its first run writes `AS (` and `lower(x)`, which its
// second run reads differently, so `bqetl format` then `bqetl format --check` fails. Here both
// spellings are read as the second run reads them: the output is that formatter's fixed point
// (what running it until nothing changes writes), and formatting this output again is a no-op.
// On text in house style (every file of the public tree) the two are the same.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shredmit::syntax {

// How deep brackets, clauses, CASE branches and blocks may nest. Each level indents by two
// columns, so the formatted size grows with the square of the depth: 100,000 nested `(` would
// take 10 GB. The parser refuses the same depth.
inline constexpr size_t kMaxFormatDepth = 256;

// Formats SQL text (which may hold several statements, scripting, DDL and Jinja) and returns
// it. `trailing_newline` appends one "\n", as `bqetl format` does for files. Text the tokenizer
// does not recognise is copied as an opaque token. Line breaks are expected as "\n" (read files
// with normalize_newlines first, as Python's text mode does); line lengths are counted in
// Unicode code points. Throws base::Error (kInput, `file` empty, at the line:column of the
// token) where nesting passes kMaxFormatDepth, and for a text longer than kMaxQueryBytes
// (syntax.h); nothing else throws.
std::string format_sql(std::string_view sql, bool trailing_newline = true);

// format_sql, and first_token_difference(sql, text) computed on the tokens format_sql already
// read: what `shredmit format` checks before it writes a file. Throws as format_sql.
struct CheckedFormat;
CheckedFormat format_sql_checked(std::string_view sql, bool trailing_newline = true);

// format_sql for SQL that shredmit generated (mitigation files, rendered templates, printed
// ASTs), so that every file shredmit writes is left unchanged by `shredmit format` and `bqetl
// format`. Throws base::Error (kInternal) naming `what` when formatting would change a token:
// generated SQL is valid, so that is a shredmit bug.
std::string format_generated_sql(std::string_view sql, std::string_view what);

// Replaces "\r\n" and a lone "\r" with "\n", as Python's universal-newline file reading does
// before bigquery-etl formats a file.
std::string normalize_newlines(std::string_view text);

// One token as the formatter's tokenizer sees it, normalized for comparing token streams:
// whitespace tokens are left out, a comment loses the whitespace before it, and keywords,
// built-in function names and pseudocolumns are upper-cased with inner whitespace collapsed.
struct FormatToken {
  std::string text;
  size_t offset = 0;  // byte offset of the token in the text it came from
};

// The normalized token stream of `sql` (see FormatToken).
std::vector<FormatToken> format_tokens(std::string_view sql);

// Where two token streams first differ: the byte offset in `before` of the first token that
// differs (its size when `before` ran out of tokens) and the two tokens' texts ("" for none).
struct TokenDifference {
  size_t offset = 0;
  std::string before;
  std::string after;
};

// Compares the normalized token streams of `before` and `after`. A token of `after` may be the
// upper-case form of the token of `before`. Formatting only changes whitespace and upper-cases
// keywords, so this finds nothing for (x, format_sql(x)) on any SQL bigquery-etl's formatter
// accepts; it finds a difference on text that is not SQL, where the house style merges tokens
// (`5 .5` becomes `5.5`, `@@x ;` becomes `@@x;`).
std::optional<TokenDifference> first_token_difference(std::string_view before,
                                                      std::string_view after);

// What format_sql_checked returns: the formatted text, and where formatting changed a token
// (nullopt when only whitespace and upper-casing changed).
struct CheckedFormat {
  std::string text;
  std::optional<TokenDifference> difference;
};

}  // namespace shredmit::syntax
