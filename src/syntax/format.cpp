// format_sql: the two layout passes over the tokens of format_tokenizer.cpp. The rules are
// bigquery-etl's house style (see format.h); each is stated where it is applied.
#include "syntax/format.h"

#include <fmt/format.h>

#include <deque>

#include "base/error.h"
#include "base/text.h"
#include "syntax/format_tokenizer.h"
#include "syntax/syntax.h"

namespace shredmit::syntax {
namespace {

using formatting::Kind;
using formatting::Token;

constexpr size_t kMaxLineLength = 100;  // code points, indentation included
constexpr std::string_view kIndent = "  ";

size_t code_points(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// Calls `emit` with each character of a keyword, built-in function name or pseudocolumn as the
// house style spells it: ASCII upper case, each run of whitespace between words one space.
template <typename Emit>
void house_spelling(std::string_view text, Emit emit) {
  for (size_t i = 0; i < text.size();) {
    if (formatting::whitespace_length(text, i)) {
      while (size_t n = formatting::whitespace_length(text, i)) i += n;
      emit(' ');
      continue;
    }
    char c = text[i++];
    emit((c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c);
  }
}

// One piece of output: a token, or whitespace the layout put in.
struct Piece {
  Kind kind;
  std::string_view text;
  uint32_t width;  // code points
  bool formatting_off = false;
  bool formatting_on = false;
  bool starts_line() const { return !text.empty() && text.front() == '\n'; }
};

// What an open indentation level belongs to.
enum class Level : uint8_t { kClause, kPipe, kBracket, kCaseBranch, kBlock, kJinjaBlock };

class Layout {
 public:
  explicit Layout(std::string_view sql) : sql_(sql) {}

  // Pass 1: drop the original whitespace and put a line break, a space or nothing before each
  // token, from the classes of the tokens around it.
  std::vector<Piece> break_lines(const std::vector<Token>& tokens) {
    std::vector<Piece> out;
    out.reserve(tokens.size() * 2);
    bool first = true, newline_next = false, space_next = false, space_before_bracket = false;
    bool after_block_end = false, after_jinja = false, after_statement = false;
    bool after_unary = false, next_is_unary = true, formatting = true;
    levels_.clear();

    for (const Token& token : tokens) {
      const Kind kind = token.kind;
      if (kind == Kind::kWhitespace) {
        if (!formatting) out.push_back(piece(kind, token.text));
        continue;
      }
      Piece current = piece(kind, token.text);
      // Levels closed by this token.
      if (formatting::is_comment(kind)) {
        current.formatting_off = formatting::turns_formatting_off(token.text);
        current.formatting_on = formatting::turns_formatting_on(token.text);
        if (formatting && current.formatting_off) {
          formatting = false;
        } else if (!formatting && current.formatting_on) {
          formatting = true;
        }
      } else if (kind == Kind::kClosingBracket) {
        pop_through(Level::kBracket);
      } else if (kind == Kind::kTopLevelKeyword) {
        pop_if(Level::kClause);
      } else if (kind == Kind::kPipeOperator) {
        pop_if(Level::kClause);
        pop_if(Level::kPipe);
      } else if (formatting::is_block_end(kind)) {
        pop_through(Level::kBlock);
        after_statement = false;
      } else if (formatting::is_jinja_block_end(kind)) {
        pop_through(Level::kJinjaBlock);
      } else if (kind == Kind::kCaseSubclause) {
        // WHEN and ELSE sit one level inside CASE; THEN one level inside its WHEN.
        if (base::same_name(token.text, "WHEN") || base::same_name(token.text, "ELSE"))
          while (!levels_.empty() && levels_.back() == Level::kCaseBranch) levels_.pop_back();
      } else if (kind == Kind::kAliasSeparator || kind == Kind::kExpressionSeparator ||
                 kind == Kind::kFieldAccessOperator) {
        // `END AS x`, `{{ x }}.y`, `{% endif %},`: stay on the line.
        if (after_block_end || after_jinja) newline_next = false;
      }

      // Whitespace before this token.
      if (!formatting || kind == Kind::kStatementSeparator || first) {
        // nothing: formatting is off, `;` follows its statement, or this is the first token
      } else if (formatting::is_comment(kind)) {
        // A comment brings its own leading whitespace; add a blank line before a comment on
        // its own line after a statement, and before a `#fail` or `#warn` check marker.
        if (current.starts_line() && after_statement) {
          out.push_back(piece(Kind::kWhitespace, "\n"));
        } else if (is_check_marker(token.text)) {
          out.push_back(piece(Kind::kWhitespace, "\n"));
        }
      } else if (newline_next || formatting::is_newline_keyword(kind) ||
                 kind == Kind::kPipeOperator || kind == Kind::kClosingBracket ||
                 formatting::is_block_keyword(kind) || formatting::is_jinja_block_statement(kind) ||
                 after_statement) {
        if (after_statement) out.push_back(piece(Kind::kWhitespace, "\n"));
        out.push_back(piece(Kind::kWhitespace, indentation(levels_.size())));
      } else if (space_next && (space_before_bracket || kind != Kind::kOpeningBracket) &&
                 kind != Kind::kFieldAccessOperator && kind != Kind::kExpressionSeparator &&
                 !(after_unary && (kind == Kind::kLiteral || formatting::is_identifier(kind)))) {
        out.push_back(piece(Kind::kWhitespace, " "));
      }

      if (formatting && formatting::is_upper_cased(kind)) current.text = upper_cased(token.text);
      out.push_back(current);

      // State for the next token.
      newline_next = formatting::is_comment(kind) || formatting::is_block_keyword(kind) ||
                     kind == Kind::kTopLevelKeyword || kind == Kind::kPipeOperator ||
                     kind == Kind::kOpeningBracket || kind == Kind::kExpressionSeparator ||
                     kind == Kind::kStatementSeparator || formatting::is_jinja_statement(kind);
      space_next = kind != Kind::kFieldAccessOperator;
      after_block_end = formatting::is_block_end(kind);
      after_statement = kind == Kind::kStatementSeparator;
      after_unary = next_is_unary && formatting::is_operator(kind);
      after_jinja = kind == Kind::kJinjaExpression || kind == Kind::kJinjaComment ||
                    formatting::is_jinja_statement(kind);
      // An operator with no operand before it (`-1`, `NOT -x`) is unary: no space after it.
      if (!formatting::is_comment(kind))
        next_is_unary = !(kind == Kind::kLiteral || formatting::is_identifier(kind) ||
                          kind == Kind::kClosingBracket);
      space_before_bracket =
          formatting::is_space_before_bracket_keyword(kind) || formatting::is_operator(kind);

      // Levels opened by this token.
      if (kind == Kind::kTopLevelKeyword && current.text == "WITH") {
        // The first common table expression stays on the WITH line, and none is indented.
        newline_next = false;
      } else if (formatting::is_block_start(kind)) {
        levels_.push_back(Level::kBlock);
      } else if (formatting::is_jinja_block_start(kind)) {
        levels_.push_back(Level::kJinjaBlock);
      } else if (kind == Kind::kTopLevelKeyword) {
        levels_.push_back(Level::kClause);
      } else if (kind == Kind::kPipeOperator) {
        levels_.push_back(Level::kPipe);
      } else if (kind == Kind::kOpeningBracket) {
        levels_.push_back(Level::kBracket);
      } else if (kind == Kind::kCaseSubclause) {
        levels_.push_back(Level::kCaseBranch);
      } else if (kind == Kind::kStatementSeparator) {
        pop_if(Level::kClause);
        pop_if(Level::kPipe);
      }
      if (levels_.size() > kMaxFormatDepth) {
        base::Location at =
            base::location_of(sql_, static_cast<size_t>(token.text.data() - sql_.data()));
        throw base::Error("", at.line, at.column,
                          fmt::format("nested more than {} levels deep (brackets, clauses, CASE "
                                      "and blocks); the house style would indent this line by "
                                      "more than {} columns: split the query into WITH queries",
                                      kMaxFormatDepth, 2 * kMaxFormatDepth));
      }
      first = false;
    }
    return out;
  }

  // Pass 2: join each bracketed block onto the line that opens it when it fits in
  // kMaxLineLength and no line comment or unformatted region is in the way.
  std::string join_short_blocks(const std::vector<Piece>& pieces) {
    std::vector<Line> lines = split_lines(pieces);
    std::string out;
    out.reserve(sql_.size() + sql_.size() / 4 + 16);
    auto append_inline = [&](const Line& line) {
      for (size_t i = line.begin; i < line.end; ++i) out += pieces[i].text;
    };
    size_t skip = 0;
    for (size_t index = 0; index < lines.size(); ++index) {
      if (skip > 0) {
        --skip;
        continue;
      }
      const Line* line = &lines[index];
      if (line->indent >= 0) out += pieces[line->indent].text;
      append_inline(*line);
      if (!can_start_inline_block(*line, pieces)) continue;

      size_t length = line->indent_level + line->width;
      size_t pending_lines = 0;
      std::vector<std::pair<const Line*, bool>> pending;  // line, space before it
      int open = 1;
      const Line* previous = line;
      for (size_t next = index + 1; next < lines.size(); ++next) {
        const Line& candidate = lines[next];
        if (!candidate.can_format) break;
        // A line comment cannot be followed by code on its line.
        if (ends_with(*previous, Kind::kLineComment, pieces)) break;
        bool space = !ends_with(*previous, Kind::kOpeningBracket, pieces) &&
                     !starts_with(candidate, Kind::kClosingBracket, pieces);
        length += space;
        ++pending_lines;
        pending.emplace_back(&candidate, space);
        length += candidate.width;
        if (length > kMaxLineLength) break;
        if (starts_with(candidate, Kind::kClosingBracket, pieces)) --open;
        if (open == 0) {
          for (const auto& [joined, space_before] : pending) {
            if (space_before) out += ' ';
            append_inline(*joined);
          }
          skip += pending_lines;
          // A line such as `) OVER (` closes one block and opens the next: keep joining.
          if (!can_start_inline_block(candidate, pieces)) break;
          pending_lines = 0;
          pending.clear();
        }
        if (ends_with(candidate, Kind::kOpeningBracket, pieces)) ++open;
        previous = &candidate;
      }
    }
    return out;
  }

 private:
  struct Line {
    long indent = -1;           // index of the piece that starts the line, -1 for the first line
    size_t begin = 0, end = 0;  // the pieces after it
    size_t width = 0;           // code points of those pieces
    size_t indent_level = 0;    // code points of the line start, without its newline
    bool can_format = true;
  };

  static std::vector<Line> split_lines(const std::vector<Piece>& pieces) {
    std::vector<Line> lines(1);
    bool formatting = true;
    for (size_t i = 0; i < pieces.size(); ++i) {
      const Piece& p = pieces[i];
      if (p.starts_line()) {
        lines.back().end = i;
        Line line;
        line.indent = static_cast<long>(i);
        line.begin = i + 1;
        line.indent_level = p.width - 1;
        // A line that starts with a comment keeps its place.
        line.can_format = formatting && !formatting::is_comment(p.kind);
        lines.push_back(line);
      } else {
        lines.back().width += p.width;
      }
      if (formatting::is_comment(p.kind)) {
        if (formatting && p.formatting_off) {
          lines.back().can_format = false;
          formatting = false;
        } else if (!formatting && p.formatting_on) {
          formatting = true;
        }
      }
    }
    lines.back().end = pieces.size();
    return lines;
  }

  static bool starts_with(const Line& line, Kind kind, const std::vector<Piece>& pieces) {
    return line.end > line.begin && pieces[line.begin].kind == kind;
  }
  static bool ends_with(const Line& line, Kind kind, const std::vector<Piece>& pieces) {
    return line.end > line.begin && pieces[line.end - 1].kind == kind;
  }
  // A block may be joined onto its line unless the bracket follows an alias (`name AS (`, a
  // common table expression or a named window), which keeps its body on separate lines.
  static bool can_start_inline_block(const Line& line, const std::vector<Piece>& pieces) {
    return line.can_format && ends_with(line, Kind::kOpeningBracket, pieces) &&
           !(line.end - line.begin > 2 && pieces[line.end - 3].kind == Kind::kAliasSeparator);
  }

  Piece piece(Kind kind, std::string_view text) {
    return Piece{kind, text, static_cast<uint32_t>(code_points(text))};
  }

  std::string_view indentation(size_t levels) {
    static const std::string kSpaces = "\n" + std::string(512, ' ');
    size_t n = 1 + levels * kIndent.size();
    if (n <= kSpaces.size()) return std::string_view(kSpaces).substr(0, n);
    return keep("\n" + std::string(levels * kIndent.size(), ' '));
  }

  // The house spelling of a keyword, built-in name or pseudocolumn (the latter two have no
  // whitespace, so only keywords have words to join).
  std::string_view upper_cased(std::string_view text) {
    std::string s;
    s.reserve(text.size());
    house_spelling(text, [&](char c) { s += c; });
    if (s == text) return text;
    return keep(std::move(s));
  }

  std::string_view keep(std::string s) { return kept_.emplace_back(std::move(s)); }

  // Whitespace, then exactly `#fail` or `#warn` (bigquery-etl's data check markers).
  static bool is_check_marker(std::string_view comment) {
    size_t i = 0;
    while (size_t n = formatting::whitespace_length(comment, i)) i += n;
    std::string_view rest = comment.substr(i);
    return rest == "#fail" || rest == "#warn";
  }

  void pop_if(Level level) {
    if (!levels_.empty() && levels_.back() == level) levels_.pop_back();
  }
  void pop_through(Level level) {
    while (!levels_.empty()) {
      Level top = levels_.back();
      levels_.pop_back();
      if (top == level) break;
    }
  }

  std::string_view sql_;
  std::vector<Level> levels_;
  std::deque<std::string> kept_;  // text of pieces that are not views into sql_
};

// A token as compared between token streams: a comment without the whitespace before it;
// keywords, built-in function names and pseudocolumns in upper case with the whitespace between
// their words collapsed to one space; anything else as written. Calls `emit` with each character.
template <typename Emit>
void normalized(const Token& token, Emit emit) {
  std::string_view text = token.text;
  size_t i = 0;
  if (formatting::is_comment(token.kind)) {
    while (size_t n = formatting::whitespace_length(text, i)) i += n;
    for (; i < text.size(); ++i) emit(text[i]);
    return;
  }
  if (!formatting::is_upper_cased(token.kind)) {
    for (char c : text) emit(c);
    return;
  }
  house_spelling(text, emit);
}

std::string normalized_text(const Token& token) {
  std::string s;
  normalized(token, [&](char c) { s += c; });
  return s;
}

// Whether normalized(after) is normalized(before) or its upper-case form. Formatting may
// upper-case a word whose class changes with the layout (`sum` before `(` becomes a built-in
// when a line break between them goes away), so the text is compared, not the class.
bool same_token(const Token& before, const Token& after) {
  char a[512], b[512];
  size_t na = 0, nb = 0;
  bool overflow = false;
  normalized(before, [&](char c) { na < sizeof a ? void(a[na++] = c) : void(overflow = true); });
  normalized(after, [&](char c) { nb < sizeof b ? void(b[nb++] = c) : void(overflow = true); });
  if (overflow) {
    std::string x = normalized_text(before), y = normalized_text(after);
    return x == y || base::to_upper(x) == y;
  }
  if (na != nb) return false;
  for (size_t i = 0; i < na; ++i) {
    char x = a[i];
    if (x != b[i] && !(x >= 'a' && x <= 'z' && x - 32 == b[i])) return false;
  }
  return true;
}

// The formatted text of `sql`, whose tokens are `tokens`.
std::string lay_out(std::string_view sql, const std::vector<Token>& tokens, bool trailing_newline) {
  Layout layout(sql);
  std::vector<Piece> pieces = layout.break_lines(tokens);
  std::string out = layout.join_short_blocks(pieces);
  if (trailing_newline) out += '\n';
  return out;
}

// first_token_difference over token streams already read.
std::optional<TokenDifference> first_difference(std::string_view before,
                                                const std::vector<Token>& a,
                                                const std::vector<Token>& b) {
  auto is_space = [](const Token& t) { return t.kind == Kind::kWhitespace; };
  size_t i = 0, j = 0;
  while (true) {
    while (i < a.size() && is_space(a[i])) ++i;
    while (j < b.size() && is_space(b[j])) ++j;
    if (i == a.size() && j == b.size()) return std::nullopt;
    if (i < a.size() && j < b.size() && same_token(a[i], b[j])) {
      ++i, ++j;
      continue;
    }
    TokenDifference d;
    d.offset = i < a.size() ? static_cast<size_t>(a[i].text.data() - before.data()) : before.size();
    if (i < a.size()) d.before = normalized_text(a[i]);
    if (j < b.size()) d.after = normalized_text(b[j]);
    return d;
  }
}

}  // namespace

namespace {

// The formatter keeps every token and line of the text (about 40 bytes per byte of SQL), so it
// refuses what the parser refuses: text longer than BigQuery's query length limit.
void check_length(std::string_view sql) {
  if (sql.size() <= kMaxQueryBytes) return;
  base::Location at = base::location_of(sql, kMaxQueryBytes);
  throw base::Error("", at.line, at.column,
                    fmt::format("the SQL text is {} bytes, longer than BigQuery's limit of "
                                "1,024 KB for a query; split it into several files",
                                sql.size()));
}

}  // namespace

std::string format_sql(std::string_view sql, bool trailing_newline) {
  check_length(sql);
  return lay_out(sql, formatting::tokenize(sql), trailing_newline);
}

CheckedFormat format_sql_checked(std::string_view sql, bool trailing_newline) {
  check_length(sql);
  std::vector<Token> tokens = formatting::tokenize(sql);
  CheckedFormat result;
  result.text = lay_out(sql, tokens, trailing_newline);
  result.difference = first_difference(sql, tokens, formatting::tokenize(result.text));
  return result;
}

std::string format_generated_sql(std::string_view sql, std::string_view what) {
  CheckedFormat out;
  try {
    out = format_sql_checked(sql);
  } catch (const base::Error& e) {
    throw base::Error::internal(fmt::format("formatting the generated {}: {}:{}: {}", what,
                                            e.line(), e.column(), e.what()));
  }
  if (const auto& d = out.difference) {
    throw base::Error::internal(
        fmt::format("formatting the generated {} would turn `{}` into `{}` at byte {}", what,
                    d->before, d->after, d->offset));
  }
  return std::move(out.text);
}

std::string normalize_newlines(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') {
      out += '\n';
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::vector<FormatToken> format_tokens(std::string_view sql) {
  std::vector<FormatToken> out;
  size_t offset = 0;
  for (const Token& token : formatting::tokenize(sql)) {
    if (token.kind != Kind::kWhitespace) out.push_back({normalized_text(token), offset});
    offset += token.text.size();
  }
  return out;
}

std::optional<TokenDifference> first_token_difference(std::string_view before,
                                                      std::string_view after) {
  return first_difference(before, formatting::tokenize(before), formatting::tokenize(after));
}

}  // namespace shredmit::syntax
