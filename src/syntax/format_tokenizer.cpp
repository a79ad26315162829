// The tokenizer behind format_sql. Token classes are tried in a fixed priority order at each
// position and the first class that matches wins; the order and the phrases below are
// bigquery-etl's (bigquery_etl/format_sql), established by running its formatter, because the
// class of a token decides its layout and byte-for-byte agreement is the goal.
//
// Multi-word keywords are described in a small phrase notation, matched by a backtracking
// matcher that tries alternatives in order, as a regular expression engine would:
//   WORD            the word, in any letter case
//   ' ' (a space)   one or more whitespace characters, newlines included
//   [a|b c]         optional: the first alternative that lets the rest match, else nothing
//   (a|b)           one of the alternatives
//   {name}          a condition on what follows, which consumes nothing (see Condition)
//   any other char  itself
// Unless a class says otherwise, a keyword must end at a word boundary.
#include "syntax/format_tokenizer.h"

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "syntax/keywords.h"

namespace shredmit::syntax::formatting {
namespace {

bool is_ascii_alpha(unsigned char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
bool is_ascii_digit(unsigned char c) { return c >= '0' && c <= '9'; }
bool is_ascii_word(unsigned char c) { return is_ascii_alpha(c) || is_ascii_digit(c) || c == '_'; }
char upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c; }

size_t horizontal_whitespace_length(std::string_view s, size_t pos) {
  return pos < s.size() && s[pos] == '\n' ? 0 : whitespace_length(s, pos);
}

// Python's `\w` for str patterns, approximated for non-ASCII: a character that is not ASCII and
// not whitespace counts as a word character (letters and digits of other scripts are).
bool is_word_at(std::string_view s, size_t pos) {
  if (pos >= s.size()) return false;
  unsigned char c = static_cast<unsigned char>(s[pos]);
  if (c < 0x80) return is_ascii_word(c);
  return whitespace_length(s, pos) == 0;
}

bool is_word_before(std::string_view s, size_t pos) {
  if (pos == 0) return false;
  size_t start = pos - 1;
  while (start > 0 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
  return is_word_at(s, start);
}

// `\b` after a keyword that ends in a word character: the next character is not one.
bool at_word_end(std::string_view s, size_t pos) { return !is_word_at(s, pos); }

size_t skip_whitespace(std::string_view s, size_t pos) {
  while (size_t n = whitespace_length(s, pos)) pos += n;
  return pos;
}

// Case-insensitive comparison of `word` (upper case) with the text at `pos`.
bool word_at(std::string_view s, size_t pos, std::string_view word) {
  if (s.size() - pos < word.size() || pos > s.size()) return false;
  for (size_t i = 0; i < word.size(); ++i)
    if (upper(s[pos + i]) != word[i]) return false;
  return true;
}

// ------------------------------------------------------------------ phrase matcher

enum class Condition : uint8_t {
  kNotParen,          // next character is not `(`
  kNotDot,            // next character is not `.`
  kNotParenOrAngle,   // next character is neither `(` nor `<`
  kNotSpacesParen,    // not followed by optional whitespace and `(` (the IF function)
  kNotFunction,       // not followed by whitespace and the word FUNCTION
  kNotOffset,         // not followed by whitespace and the word OFFSET
  kNotTransaction,    // not followed by whitespace and TRANSACTION
  kNotMaxMinKeyword,  // not followed by whitespace, MAX or MIN, and no `(`
  kAliasFollows,      // whitespace, then the start of an alias (not WITH, SELECT, ...), or `(`
                      // `` ` `` `{` right after AS
};

bool holds(Condition c, std::string_view s, size_t pos) {
  auto next_is = [&](char ch) { return pos < s.size() && s[pos] == ch; };
  auto followed_by_word = [&](std::string_view word, bool boundary) {
    size_t p = skip_whitespace(s, pos);
    if (p == pos || !word_at(s, p, word)) return false;
    return !boundary || at_word_end(s, p + word.size());
  };
  switch (c) {
    case Condition::kNotParen:
      return !next_is('(');
    case Condition::kNotDot:
      return !next_is('.');
    case Condition::kNotParenOrAngle:
      return !next_is('(') && !next_is('<');
    case Condition::kNotSpacesParen: {
      size_t p = skip_whitespace(s, pos);
      return !(p < s.size() && s[p] == '(');
    }
    case Condition::kNotFunction:
      return !followed_by_word("FUNCTION", true);
    case Condition::kNotOffset:
      return !followed_by_word("OFFSET", true);
    case Condition::kNotTransaction:
      return !followed_by_word("TRANSACTION", false);
    case Condition::kNotMaxMinKeyword: {
      size_t p = skip_whitespace(s, pos);
      if (p == pos) return true;
      for (std::string_view w : {"MAX", "MIN"}) {
        size_t end = p + w.size();
        if (word_at(s, p, w) && at_word_end(s, end) && !(end < s.size() && s[end] == '('))
          return false;
      }
      return true;
    }
    case Condition::kAliasFollows: {
      // bigquery-etl's pattern wants whitespace after AS. Without it (`name AS(`), its formatter
      // writes `AS (`, which the next run reads as an alias: the output changes on every second
      // run. An alias that starts with a bracket, backtick or Jinja brace needs no whitespace
      // here, so one run writes what bqetl's formatter writes on its second.
      size_t p = skip_whitespace(s, pos);
      if (p >= s.size()) return false;
      if (p == pos) return s[p] == '(' || s[p] == '`' || s[p] == '{';
      for (std::string_view w : {"WITH", "SELECT", "STRUCT", "ARRAY"})
        if (word_at(s, p, w) && at_word_end(s, p + w.size())) return false;
      unsigned char ch = static_cast<unsigned char>(s[p]);
      return is_ascii_alpha(ch) || ch == '_' || ch == '`' || ch == '(' || ch == '{';
    }
  }
  return false;
}

struct Node;
using Sequence = std::vector<Node>;
struct Node {
  enum Type : uint8_t { kText, kSpace, kOptional, kGroup, kCondition } type;
  std::string text;  // kText: upper case
  Condition condition = Condition::kNotParen;
  std::vector<Sequence> alternatives;  // kOptional, kGroup
};

// A continuation: what must match after the current element, given where it ended.
class Continuation {
 public:
  template <typename F>
  Continuation(const F& f)  // NOLINT: implicit from any callable
      : call_([](const void* c, size_t p) { return (*static_cast<const F*>(c))(p); }), f_(&f) {}
  bool operator()(size_t pos) const { return call_(f_, pos); }

 private:
  bool (*call_)(const void*, size_t);
  const void* f_;
};

bool match(std::string_view s, const Sequence& seq, size_t i, size_t pos, Continuation k) {
  if (i == seq.size()) return k(pos);
  const Node& node = seq[i];
  switch (node.type) {
    case Node::kText:
      return word_at(s, pos, node.text) && match(s, seq, i + 1, pos + node.text.size(), k);
    case Node::kSpace: {
      size_t p = skip_whitespace(s, pos);
      return p > pos && match(s, seq, i + 1, p, k);
    }
    case Node::kCondition:
      return holds(node.condition, s, pos) && match(s, seq, i + 1, pos, k);
    case Node::kOptional:
    case Node::kGroup: {
      auto rest = [&](size_t p) { return match(s, seq, i + 1, p, k); };
      for (const Sequence& alt : node.alternatives)
        if (match(s, alt, 0, pos, rest)) return true;
      return node.type == Node::kOptional && rest(pos);
    }
  }
  return false;
}

Condition condition_named(std::string_view name) {
  static const std::unordered_map<std::string_view, Condition> names = {
      {"np", Condition::kNotParen},
      {"nd", Condition::kNotDot},
      {"npa", Condition::kNotParenOrAngle},
      {"nsp", Condition::kNotSpacesParen},
      {"nfunction", Condition::kNotFunction},
      {"noffset", Condition::kNotOffset},
      {"ntransaction", Condition::kNotTransaction},
      {"nmaxmin", Condition::kNotMaxMinKeyword},
      {"alias", Condition::kAliasFollows}};
  return names.at(name);
}

// Parses the phrase notation described at the top of this file.
std::vector<Sequence> parse_alternatives(std::string_view p, size_t& i, char close);
Sequence parse_sequence(std::string_view p, size_t& i, char close) {
  Sequence seq;
  while (i < p.size() && p[i] != '|' && p[i] != close) {
    char c = p[i];
    if (c == ' ') {
      seq.push_back({Node::kSpace, {}, {}, {}});
      ++i;
    } else if (c == '[' || c == '(') {
      ++i;
      Node n{c == '[' ? Node::kOptional : Node::kGroup, {}, {}, {}};
      n.alternatives = parse_alternatives(p, i, c == '[' ? ']' : ')');
      ++i;  // the closing bracket
      seq.push_back(std::move(n));
    } else if (c == '{') {
      size_t end = p.find('}', i);
      seq.push_back({Node::kCondition, {}, condition_named(p.substr(i + 1, end - i - 1)), {}});
      i = end + 1;
    } else {
      size_t start = i;
      if (is_ascii_word(static_cast<unsigned char>(c))) {
        while (i < p.size() && is_ascii_word(static_cast<unsigned char>(p[i]))) ++i;
      } else {
        ++i;
      }
      seq.push_back({Node::kText, std::string(p.substr(start, i - start)), {}, {}});
    }
  }
  return seq;
}
std::vector<Sequence> parse_alternatives(std::string_view p, size_t& i, char close) {
  std::vector<Sequence> alts{parse_sequence(p, i, close)};
  while (i < p.size() && p[i] == '|') {
    ++i;
    alts.push_back(parse_sequence(p, i, close));
  }
  return alts;
}

// The words a phrase can start with (for dispatching on the word at the current position).
void first_words(const Sequence& seq, size_t i, std::unordered_set<std::string>& out) {
  if (i >= seq.size()) return;
  const Node& n = seq[i];
  if (n.type == Node::kText) {
    out.insert(n.text);
  } else if (n.type == Node::kOptional || n.type == Node::kGroup) {
    for (const Sequence& alt : n.alternatives) first_words(alt, 0, out);
    if (n.type == Node::kOptional) first_words(seq, i + 1, out);
  } else {
    first_words(seq, i + 1, out);
  }
}

// ------------------------------------------------------------------ keyword classes

struct KeywordClass {
  Kind kind;
  bool maybe_case_subclause = false;  // THEN/ELSE: CASE subclause or scripting block middle
  bool word_boundary = true;
  std::vector<std::string_view> phrases;
};

// In priority order. Keyword classes that come after the bracket and operator classes in the
// overall order (operator keywords and below) are listed last; nothing between them can start
// with a letter, so the relative order for a word is this one.
const std::vector<KeywordClass>& keyword_classes() {
  static const std::vector<KeywordClass> classes = {
      {Kind::kBlockMiddle,
       false,
       true,
       {"BEGIN{ntransaction}", "EXCEPTION WHEN ERROR THEN", "ELSEIF"}},
      {Kind::kBlockStart,
       false,
       true,
       {"CREATE OR REPLACE PROCEDURE", "CREATE PROCEDURE IF NOT EXISTS", "CREATE PROCEDURE",
        "IF{nsp}", "LOOP", "CASE", "DO", "REPEAT{np}"}},
      {Kind::kBlockEnd, false, true, {"END[ WHILE| LOOP| IF| FOR| REPEAT]"}},
      {Kind::kAliasSeparator, false, false, {"AS{alias}"}},
      {Kind::kTopLevelKeyword,
       false,
       true,
       {"ALTER TABLE[ IF EXISTS]",
        "CREATE[ OR REPLACE][ TEMPORARY| TEMP] TABLE{nfunction}[ IF NOT EXISTS]",
        "CREATE SNAPSHOT TABLE[ IF NOT EXISTS]",
        "CREATE[ OR REPLACE] VIEW[ IF NOT EXISTS]",
        "CREATE[ OR REPLACE] MATERIALIZED VIEW[ IF NOT EXISTS]",
        "DROP TABLE[ IF EXISTS]",
        "DROP SNAPSHOT TABLE[ IF EXISTS]",
        "DROP VIEW[ IF EXISTS]",
        "DROP MATERIALIZED VIEW[ IF EXISTS]",
        "AS",
        "CLONE",
        "CLUSTER BY",
        "OPTIONS",
        "DELETE[ FROM]",
        "INSERT[ INTO]",
        "VALUES",
        "MERGE[ INTO]",
        "WHEN MATCHED",
        "WHEN NOT MATCHED[ BY SOURCE| BY TARGET]",
        "UPDATE",
        "SET",
        "BEGIN TRANSACTION",
        "COMMIT[ TRANSACTION]",
        "EXECUTE IMMEDIATE",
        "ROLLBACK[ TRANSACTION]",
        "WITH{noffset}",
        "SELECT[ ALL| DISTINCT][ AS STRUCT| AS VALUE]",
        "FROM",
        "CROSS JOIN",
        "[INNER ]JOIN",
        "FULL[ OUTER] JOIN",
        "LEFT[ OUTER] JOIN",
        "RIGHT[ OUTER] JOIN",
        "WHERE",
        "GROUP BY",
        "HAVING{nmaxmin}",
        "QUALIFY",
        "WINDOW",
        "PARTITION BY",
        "RANGE{npa}[ BETWEEN]",
        "ROWS[ BETWEEN]",
        "ORDER BY",
        "LIMIT",
        "[INNER |OUTER |(FULL|LEFT)[ OUTER] ](UNION( ALL| DISTINCT)|INTERSECT DISTINCT|"
        "EXCEPT DISTINCT)[ BY NAME|[ STRICT] CORRESPONDING]",
        "AGGREGATE",
        "DROP",
        "EXTEND",
        "GROUP AND ORDER BY",
        "RENAME"}},
      {Kind::kCaseSubclause, true, true, {"THEN", "ELSE"}},
      {Kind::kCaseSubclause, false, true, {"WHEN"}},
      {Kind::kNewlineKeyword,
       false,
       true,
       {"ASSERT{nd}",
        "BY",
        "FOR[ SYSTEM_TIME AS OF]",
        "INTO",
        "ON",
        "PIVOT",
        "TABLESAMPLE SYSTEM",
        "UNPIVOT[ INCLUDE NULLS| EXCLUDE NULLS]",
        "USING",
        "WITH OFFSET",
        "CREATE[ OR REPLACE][ TEMPORARY| TEMP] FUNCTION[ IF NOT EXISTS]",
        "CREATE[ OR REPLACE][ TEMPORARY| TEMP] AGGREGATE FUNCTION[ IF NOT EXISTS]",
        "CREATE[ OR REPLACE] TABLE FUNCTION[ IF NOT EXISTS]",
        "RETURNS",
        "LANGUAGE",
        "AND",
        "BETWEEN",
        "ELSE",
        "ELSEIF",
        "END",
        "OR",
        "WHEN",
        "BREAK",
        "CALL",
        "CONTINUE",
        "DECLARE",
        "ITERATE",
        "LEAVE",
        "RAISE[ USING MESSAGE]",
        "RETURN",
        "UNTIL",
        "WHILE"}},
      {Kind::kAngleBracketKeyword, false, true, {"ARRAY", "RANGE", "STRUCT"}},
      {Kind::kSpaceBeforeBracketKeyword,
       false,
       true,
       {"* EXCEPT", "* REPLACE", "CUBE", "GROUPING SETS", "INTERVAL", "OVER", "ROLLUP"}},
      {Kind::kOperatorKeyword,
       false,
       true,
       {"AND", "[NOT ]BETWEEN", "EXISTS", "[NOT ]IN", "IS[ NOT] DISTINCT FROM", "IS[ NOT] NULL",
        "IS[ NOT] (TRUE|FALSE)", "[NOT ]LIKE[ ANY| SOME| ALL]", "NOT", "OR"}},
      {Kind::kDataTypeKeyword,
       false,
       true,
       {"BIGNUMERIC",   "BIGDECIMAL",  "BOOL{np}",   "BOOLEAN",   "BYTES{nd}",    "DATE{np}",
        "DATETIME{np}", "FLOAT64{np}", "GEOGRAPHY",  "INT64{np}", "INT",          "SMALLINT",
        "INTEGER",      "BIGINT",      "TINYINT",    "BYTEINT",   "JSON{nd}",     "NUMERIC",
        "DECIMAL",      "RANGE{np}",   "STRING{np}", "TIME{np}",  "TIMESTAMP{np}"}},
      {Kind::kOtherKeyword,
       false,
       true,
       {"CURRENT ROW", "DAY",     "DAYOFWEEK", "DAYOFYEAR",   "GROUPING SETS", "HAVING MAX",
        "HAVING MIN",  "HOUR",    "INOUT",     "ISOWEEK",     "ISOYEAR",       "MICROSECOND",
        "MILLISECOND", "MINUTE",  "MONTH",     "NULLS FIRST", "NULLS LAST",    "OUT",
        "PERCENT",     "QUARTER", "REPLACE",   "SECOND",      "WEEK",          "YEAR"}},
      {Kind::kReservedKeyword, false, true,
       std::vector<std::string_view>(std::begin(kReservedKeywords), std::end(kReservedKeywords))},

  };
  return classes;
}

struct Candidate {
  const KeywordClass* cls;
  const Sequence* phrase;
};

// Every keyword phrase, parsed, indexed by the words it can start with, in priority order.
class KeywordTable {
 public:
  KeywordTable() {
    for (const KeywordClass& cls : keyword_classes()) {
      for (std::string_view text : cls.phrases) {
        size_t i = 0;
        auto alts = parse_alternatives(text, i, '\0');
        phrases_.push_back(std::make_unique<Sequence>(std::move(alts.front())));
        std::unordered_set<std::string> words;
        first_words(*phrases_.back(), 0, words);
        for (const std::string& w : words) by_word_[w].push_back({&cls, phrases_.back().get()});
      }
    }
  }
  const std::vector<Candidate>* candidates(std::string_view word) const {
    auto it = by_word_.find(std::string(word));
    return it == by_word_.end() ? nullptr : &it->second;
  }

 private:
  std::vector<std::unique_ptr<Sequence>> phrases_;
  std::unordered_map<std::string, std::vector<Candidate>> by_word_;
};

const KeywordTable& keyword_table() {
  static const KeywordTable table;
  return table;
}

// BigQuery's built-in functions whose names are upper-cased before `(` (the house style's
// list; see the BigQuery function reference).
const std::unordered_set<std::string_view>& builtin_functions() {
  static const std::unordered_set<std::string_view> names = {"ABS",
                                                             "ACOS",
                                                             "ACOSH",
                                                             "AEAD.DECRYPT_BYTES",
                                                             "AEAD.DECRYPT_STRING",
                                                             "AEAD.ENCRYPT",
                                                             "ANY_VALUE",
                                                             "APPENDS",
                                                             "APPROX_COUNT_DISTINCT",
                                                             "APPROX_QUANTILES",
                                                             "APPROX_TOP_COUNT",
                                                             "APPROX_TOP_SUM",
                                                             "ARRAY",
                                                             "ARRAY_AGG",
                                                             "ARRAY_CONCAT",
                                                             "ARRAY_CONCAT_AGG",
                                                             "ARRAY_FIRST",
                                                             "ARRAY_LAST",
                                                             "ARRAY_LENGTH",
                                                             "ARRAY_REVERSE",
                                                             "ARRAY_SLICE",
                                                             "ARRAY_TO_STRING",
                                                             "ASCII",
                                                             "ASIN",
                                                             "ASINH",
                                                             "ATAN",
                                                             "ATAN2",
                                                             "ATANH",
                                                             "AVG",
                                                             "BAG_OF_WORDS",
                                                             "BIT_AND",
                                                             "BIT_COUNT",
                                                             "BIT_OR",
                                                             "BIT_XOR",
                                                             "BOOL",
                                                             "BYTE_LENGTH",
                                                             "CAST",
                                                             "CBRT",
                                                             "CEIL",
                                                             "CEILING",
                                                             "CHANGES",
                                                             "CHAR_LENGTH",
                                                             "CHARACTER_LENGTH",
                                                             "CHR",
                                                             "COALESCE",
                                                             "CODE_POINTS_TO_BYTES",
                                                             "CODE_POINTS_TO_STRING",
                                                             "COLLATE",
                                                             "CONCAT",
                                                             "CONTAINS_SUBSTR",
                                                             "CORR",
                                                             "COS",
                                                             "COSH",
                                                             "COSINE_DISTANCE",
                                                             "COT",
                                                             "COTH",
                                                             "COUNT",
                                                             "COUNTIF",
                                                             "COVAR_POP",
                                                             "COVAR_SAMP",
                                                             "CSC",
                                                             "CSCH",
                                                             "CUME_DIST",
                                                             "CURRENT_DATE",
                                                             "CURRENT_DATETIME",
                                                             "CURRENT_TIME",
                                                             "CURRENT_TIMESTAMP",
                                                             "DATE",
                                                             "DATE_ADD",
                                                             "DATE_BUCKET",
                                                             "DATE_DIFF",
                                                             "DATE_FROM_UNIX_DATE",
                                                             "DATE_SUB",
                                                             "DATE_TRUNC",
                                                             "DATETIME",
                                                             "DATETIME_ADD",
                                                             "DATETIME_BUCKET",
                                                             "DATETIME_DIFF",
                                                             "DATETIME_SUB",
                                                             "DATETIME_TRUNC",
                                                             "DENSE_RANK",
                                                             "DETERMINISTIC_DECRYPT_BYTES",
                                                             "DETERMINISTIC_DECRYPT_STRING",
                                                             "DETERMINISTIC_ENCRYPT",
                                                             "DIV",
                                                             "DLP_DETERMINISTIC_DECRYPT",
                                                             "DLP_DETERMINISTIC_ENCRYPT",
                                                             "DLP_KEY_CHAIN",
                                                             "EDIT_DISTANCE",
                                                             "ENDS_WITH",
                                                             "ERROR",
                                                             "EUCLIDEAN_DISTANCE",
                                                             "EXP",
                                                             "EXTERNAL_OBJECT_TRANSFORM",
                                                             "EXTERNAL_QUERY",
                                                             "EXTRACT",
                                                             "FARM_FINGERPRINT",
                                                             "FIRST_VALUE",
                                                             "FLOAT64",
                                                             "FLOOR",
                                                             "FORMAT",
                                                             "FORMAT_DATE",
                                                             "FORMAT_DATETIME",
                                                             "FORMAT_TIME",
                                                             "FORMAT_TIMESTAMP",
                                                             "FROM_BASE32",
                                                             "FROM_BASE64",
                                                             "FROM_HEX",
                                                             "GAP_FILL",
                                                             "GENERATE_ARRAY",
                                                             "GENERATE_DATE_ARRAY",
                                                             "GENERATE_RANGE_ARRAY",
                                                             "GENERATE_TIMESTAMP_ARRAY",
                                                             "GENERATE_UUID",
                                                             "GREATEST",
                                                             "GROUPING",
                                                             "HLL_COUNT.EXTRACT",
                                                             "HLL_COUNT.INIT",
                                                             "HLL_COUNT.MERGE",
                                                             "HLL_COUNT.MERGE_PARTIAL",
                                                             "IEEE_DIVIDE",
                                                             "IF",
                                                             "IFNULL",
                                                             "INITCAP",
                                                             "INSTR",
                                                             "INT64",
                                                             "IS_INF",
                                                             "IS_NAN",
                                                             "JSON_ARRAY",
                                                             "JSON_ARRAY_APPEND",
                                                             "JSON_ARRAY_INSERT",
                                                             "JSON_EXTRACT",
                                                             "JSON_EXTRACT_ARRAY",
                                                             "JSON_EXTRACT_SCALAR",
                                                             "JSON_EXTRACT_STRING_ARRAY",
                                                             "JSON_FLATTEN",
                                                             "JSON_KEYS",
                                                             "JSON_OBJECT",
                                                             "JSON_QUERY",
                                                             "JSON_QUERY_ARRAY",
                                                             "JSON_REMOVE",
                                                             "JSON_SET",
                                                             "JSON_STRIP_NULLS",
                                                             "JSON_TYPE",
                                                             "JSON_VALUE",
                                                             "JSON_VALUE_ARRAY",
                                                             "JUSTIFY_DAYS",
                                                             "JUSTIFY_HOURS",
                                                             "JUSTIFY_INTERVAL",
                                                             "KEYS.ADD_KEY_FROM_RAW_BYTES",
                                                             "KEYS.KEYSET_CHAIN",
                                                             "KEYS.KEYSET_FROM_JSON",
                                                             "KEYS.KEYSET_LENGTH",
                                                             "KEYS.KEYSET_TO_JSON",
                                                             "KEYS.NEW_KEYSET",
                                                             "KEYS.NEW_WRAPPED_KEYSET",
                                                             "KEYS.REWRAP_KEYSET",
                                                             "KEYS.ROTATE_KEYSET",
                                                             "KEYS.ROTATE_WRAPPED_KEYSET",
                                                             "KLL_QUANTILES.EXTRACT_FLOAT64",
                                                             "KLL_QUANTILES.EXTRACT_INT64",
                                                             "KLL_QUANTILES.EXTRACT_POINT_FLOAT64",
                                                             "KLL_QUANTILES.EXTRACT_POINT_INT64",
                                                             "KLL_QUANTILES.INIT_FLOAT64",
                                                             "KLL_QUANTILES.INIT_INT64",
                                                             "KLL_QUANTILES.MERGE_FLOAT64",
                                                             "KLL_QUANTILES.MERGE_INT64",
                                                             "KLL_QUANTILES.MERGE_PARTIAL",
                                                             "KLL_QUANTILES.MERGE_POINT_FLOAT64",
                                                             "KLL_QUANTILES.MERGE_POINT_INT64",
                                                             "LAG",
                                                             "LAST_DAY",
                                                             "LAST_VALUE",
                                                             "LAX_BOOL",
                                                             "LAX_FLOAT64",
                                                             "LAX_INT64",
                                                             "LAX_STRING",
                                                             "LEAD",
                                                             "LEAST",
                                                             "LEFT",
                                                             "LENGTH",
                                                             "LN",
                                                             "LOG",
                                                             "LOG10",
                                                             "LOGICAL_AND",
                                                             "LOGICAL_OR",
                                                             "LOWER",
                                                             "LPAD",
                                                             "LTRIM",
                                                             "MAKE_INTERVAL",
                                                             "MAX",
                                                             "MAX_BY",
                                                             "MD5",
                                                             "MIN",
                                                             "MIN_BY",
                                                             "MOD",
                                                             "NET.HOST",
                                                             "NET.IP_FROM_STRING",
                                                             "NET.IP_NET_MASK",
                                                             "NET.IP_TO_STRING",
                                                             "NET.IP_TRUNC",
                                                             "NET.IPV4_FROM_INT64",
                                                             "NET.IPV4_TO_INT64",
                                                             "NET.PUBLIC_SUFFIX",
                                                             "NET.REG_DOMAIN",
                                                             "NET.SAFE_IP_FROM_STRING",
                                                             "NORMALIZE",
                                                             "NORMALIZE_AND_CASEFOLD",
                                                             "NTH_VALUE",
                                                             "NTILE",
                                                             "NULLIF",
                                                             "OBJ.FETCH_METADATA",
                                                             "OBJ.GET_ACCESS_URL",
                                                             "OBJ.MAKE_REF",
                                                             "OCTET_LENGTH",
                                                             "OFFSET",
                                                             "ORDINAL",
                                                             "PARSE_BIGNUMERIC",
                                                             "PARSE_DATE",
                                                             "PARSE_DATETIME",
                                                             "PARSE_JSON",
                                                             "PARSE_NUMERIC",
                                                             "PARSE_TIME",
                                                             "PARSE_TIMESTAMP",
                                                             "PERCENT_RANK",
                                                             "PERCENTILE_CONT",
                                                             "PERCENTILE_DISC",
                                                             "POW",
                                                             "POWER",
                                                             "RAND",
                                                             "RANGE",
                                                             "RANGE_BUCKET",
                                                             "RANGE_CONTAINS",
                                                             "RANGE_END",
                                                             "RANGE_INTERSECT",
                                                             "RANGE_OVERLAPS",
                                                             "RANGE_SESSIONIZE",
                                                             "RANGE_START",
                                                             "RANK",
                                                             "REGEXP_CONTAINS",
                                                             "REGEXP_EXTRACT",
                                                             "REGEXP_EXTRACT_ALL",
                                                             "REGEXP_INSTR",
                                                             "REGEXP_REPLACE",
                                                             "REGEXP_SUBSTR",
                                                             "REPEAT",
                                                             "REPLACE",
                                                             "REVERSE",
                                                             "RIGHT",
                                                             "ROUND",
                                                             "ROW_NUMBER",
                                                             "RPAD",
                                                             "RTRIM",
                                                             "S2_CELLIDFROMPOINT",
                                                             "S2_COVERINGCELLIDS",
                                                             "SAFE_ADD",
                                                             "SAFE_CAST",
                                                             "SAFE_CONVERT_BYTES_TO_STRING",
                                                             "SAFE_DIVIDE",
                                                             "SAFE_MULTIPLY",
                                                             "SAFE_NEGATE",
                                                             "SAFE_OFFSET",
                                                             "SAFE_ORDINAL",
                                                             "SAFE_SUBTRACT",
                                                             "SEARCH",
                                                             "SEC",
                                                             "SECH",
                                                             "SESSION_USER",
                                                             "SHA1",
                                                             "SHA256",
                                                             "SHA512",
                                                             "SIGN",
                                                             "SIN",
                                                             "SINH",
                                                             "SOUNDEX",
                                                             "SPLIT",
                                                             "SQRT",
                                                             "ST_ANGLE",
                                                             "ST_AREA",
                                                             "ST_ASBINARY",
                                                             "ST_ASGEOJSON",
                                                             "ST_ASTEXT",
                                                             "ST_AZIMUTH",
                                                             "ST_BOUNDARY",
                                                             "ST_BOUNDINGBOX",
                                                             "ST_BUFFER",
                                                             "ST_BUFFERWITHTOLERANCE",
                                                             "ST_CENTROID",
                                                             "ST_CENTROID_AGG",
                                                             "ST_CLOSESTPOINT",
                                                             "ST_CLUSTERDBSCAN",
                                                             "ST_CONTAINS",
                                                             "ST_CONVEXHULL",
                                                             "ST_COVEREDBY",
                                                             "ST_COVERS",
                                                             "ST_DIFFERENCE",
                                                             "ST_DIMENSION",
                                                             "ST_DISJOINT",
                                                             "ST_DISTANCE",
                                                             "ST_DUMP",
                                                             "ST_DWITHIN",
                                                             "ST_ENDPOINT",
                                                             "ST_EQUALS",
                                                             "ST_EXTENT",
                                                             "ST_EXTERIORRING",
                                                             "ST_GEOGFROM",
                                                             "ST_GEOGFROMGEOJSON",
                                                             "ST_GEOGFROMTEXT",
                                                             "ST_GEOGFROMWKB",
                                                             "ST_GEOGPOINT",
                                                             "ST_GEOGPOINTFROMGEOHASH",
                                                             "ST_GEOHASH",
                                                             "ST_GEOMETRYTYPE",
                                                             "ST_HAUSDORFFDISTANCE",
                                                             "ST_HAUSDORFFDWITHIN",
                                                             "ST_INTERIORRINGS",
                                                             "ST_INTERSECTION",
                                                             "ST_INTERSECTS",
                                                             "ST_INTERSECTSBOX",
                                                             "ST_ISCLOSED",
                                                             "ST_ISCOLLECTION",
                                                             "ST_ISEMPTY",
                                                             "ST_ISRING",
                                                             "ST_LENGTH",
                                                             "ST_LINEINTERPOLATEPOINT",
                                                             "ST_LINELOCATEPOINT",
                                                             "ST_LINESUBSTRING",
                                                             "ST_MAKELINE",
                                                             "ST_MAKEPOLYGON",
                                                             "ST_MAKEPOLYGONORIENTED",
                                                             "ST_MAXDISTANCE",
                                                             "ST_NPOINTS",
                                                             "ST_NUMGEOMETRIES",
                                                             "ST_NUMPOINTS",
                                                             "ST_PERIMETER",
                                                             "ST_POINTN",
                                                             "ST_REGIONSTATS",
                                                             "ST_SIMPLIFY",
                                                             "ST_SNAPTOGRID",
                                                             "ST_STARTPOINT",
                                                             "ST_TOUCHES",
                                                             "ST_UNION",
                                                             "ST_UNION_AGG",
                                                             "ST_WITHIN",
                                                             "ST_X",
                                                             "ST_Y",
                                                             "STARTS_WITH",
                                                             "STDDEV",
                                                             "STDDEV_POP",
                                                             "STDDEV_SAMP",
                                                             "STRING",
                                                             "STRING_AGG",
                                                             "STRPOS",
                                                             "SUBSTR",
                                                             "SUBSTRING",
                                                             "SUM",
                                                             "TAN",
                                                             "TANH",
                                                             "TEXT_ANALYZE",
                                                             "TF_IDF",
                                                             "TIME",
                                                             "TIME_ADD",
                                                             "TIME_DIFF",
                                                             "TIME_SUB",
                                                             "TIME_TRUNC",
                                                             "TIMESTAMP",
                                                             "TIMESTAMP_ADD",
                                                             "TIMESTAMP_BUCKET",
                                                             "TIMESTAMP_DIFF",
                                                             "TIMESTAMP_MICROS",
                                                             "TIMESTAMP_MILLIS",
                                                             "TIMESTAMP_SECONDS",
                                                             "TIMESTAMP_SUB",
                                                             "TIMESTAMP_TRUNC",
                                                             "TO_BASE32",
                                                             "TO_BASE64",
                                                             "TO_CODE_POINTS",
                                                             "TO_HEX",
                                                             "TO_JSON",
                                                             "TO_JSON_STRING",
                                                             "TRANSLATE",
                                                             "TRIM",
                                                             "TRUNC",
                                                             "TYPEOF",
                                                             "UNICODE",
                                                             "UNIX_DATE",
                                                             "UNIX_MICROS",
                                                             "UNIX_MILLIS",
                                                             "UNIX_SECONDS",
                                                             "UPPER",
                                                             "VAR_POP",
                                                             "VAR_SAMP",
                                                             "VARIANCE",
                                                             "VECTOR_INDEX.STATISTICS",
                                                             "VECTOR_SEARCH"};
  return names;
}

const std::array<std::string_view, 6> kPseudocolumns = {
    "_CHANGE_SEQUENCE_NUMBER", "_CHANGE_TYPE",   "_FILE_NAME",
    "_PARTITIONDATE",          "_PARTITIONTIME", "_TABLE_SUFFIX"};

// ------------------------------------------------------------------ the tokenizer

class Tokenizer {
 public:
  explicit Tokenizer(std::string_view s) : s_(s) {}

  std::vector<Token> run() {
    std::vector<Token> out;
    out.reserve(s_.size() / 3 + 1);
    while (pos_ < s_.size()) {
      auto [kind, length] = next();
      Token token{kind, s_.substr(pos_, length)};
      out.push_back(token);
      pos_ += length;
      if (is_block_end(kind) && !open_blocks_.empty()) open_blocks_.pop_back();
      if (is_block_start(kind))
        open_blocks_.push_back(word_at(token.text, 0, "CASE") && token.text.size() == 4);
      if (kind != Kind::kWhitespace && !is_comment(kind)) {
        angle_is_operator_ = !(open_angles_ > 0 || kind == Kind::kAngleBracketKeyword);
        keyword_is_identifier_ =
            kind == Kind::kFieldAccessOperator || kind == Kind::kAliasSeparator;
      }
    }
    return out;
  }

 private:
  struct Next {
    Kind kind;
    size_t length;
  };

  char at(size_t p) const { return p < s_.size() ? s_[p] : '\0'; }

  Next next() {
    const unsigned char c = static_cast<unsigned char>(s_[pos_]);
    if (size_t n = comment()) return {comment_kind_, n};
    if (size_t n = whitespace_length(s_, pos_)) {
      while (size_t h = horizontal_whitespace_length(s_, pos_ + n)) n += h;
      return {Kind::kWhitespace, n};
    }
    if (c == '{') {
      if (auto j = jinja()) return *j;
      return unknown();
    }
    // Words: a keyword, a string with an r/b prefix, or a name (nothing between them in the
    // priority order can start with a letter).
    if (is_ascii_alpha(c)) {
      if (auto k = keyword()) return *k;
      if (c == 'r' || c == 'b') {
        if (size_t n = literal_length()) return {Kind::kLiteral, n};
      }
      return identifier();
    }
    if (c == '_' || c == '`') return identifier();
    if (is_ascii_digit(c)) return {Kind::kLiteral, literal_length()};
    if (c == '*') {
      if (auto k = keyword()) return *k;
    }
    switch (c) {
      case '(':
      case '[':
        return {Kind::kOpeningBracket, 1};
      case ')':
      case ']':
        return {Kind::kClosingBracket, 1};
      case '<':
        if (!angle_is_operator_) {
          ++open_angles_;
          return {Kind::kOpeningBracket, 1};
        }
        break;
      case '>':
        if (!angle_is_operator_) {
          --open_angles_;
          return {Kind::kClosingBracket, 1};
        }
        break;
      case ',':
        return {Kind::kExpressionSeparator, 1};
      case ';':
        return {Kind::kStatementSeparator, 1};
      case '.':
        return {Kind::kFieldAccessOperator, 1};
      case '|':
        if (at(pos_ + 1) == '>') return {Kind::kPipeOperator, 2};
        break;
      default:
        break;
    }
    if (size_t n = operator_length()) return {Kind::kOperator, n};
    if (c == '\'' || c == '"') {
      if (size_t n = literal_length()) return {Kind::kLiteral, n};
    }
    if (c == '@' && (is_ascii_alpha(at(pos_ + 1)) || at(pos_ + 1) == '_')) {
      size_t n = 2;
      while (is_ascii_word(at(pos_ + n))) ++n;
      return {Kind::kQueryParameter, n};
    }
    return unknown();
  }

  // Any run of non-whitespace characters.
  Next unknown() const {
    size_t p = pos_;
    while (p < s_.size() && whitespace_length(s_, p) == 0) ++p;
    return {Kind::kUnknown, p - pos_};
  }

  // A comment with the newline and indentation before it: `\n?` then non-newline whitespace,
  // then `--`/`#` to the last non-space character of the line, `/* */`, or `{# #}`.
  size_t comment() {
    size_t p = pos_;
    if (at(p) == '\n') ++p;
    while (size_t h = horizontal_whitespace_length(s_, p)) p += h;
    char c = at(p);
    if (c == '#' || (c == '-' && at(p + 1) == '-')) {
      comment_kind_ = Kind::kLineComment;
      size_t end = p + (c == '#' ? 1 : 2);
      size_t last = end;
      for (size_t q = end; q < s_.size() && s_[q] != '\n';) {
        size_t w = whitespace_length(s_, q);
        if (w) {
          q += w;
        } else {
          ++q;
          last = q;
        }
      }
      return last - pos_;
    }
    if ((c == '/' && at(p + 1) == '*') || (c == '{' && at(p + 1) == '#')) {
      size_t close = s_.find(c == '/' ? "*/" : "#}", p + 2);
      if (close == std::string_view::npos) return 0;
      comment_kind_ = c == '/' ? Kind::kBlockComment : Kind::kJinjaComment;
      return close + 2 - pos_;
    }
    return 0;
  }

  std::optional<Next> jinja() const {
    char c = at(pos_ + 1);
    if (c == '{') {
      size_t close = s_.find("}}", pos_ + 2);
      if (close == std::string_view::npos) return std::nullopt;
      return Next{Kind::kJinjaExpression, close + 2 - pos_};
    }
    if (c != '%') return std::nullopt;
    size_t p = pos_ + 2;
    if (at(p) == '-' || at(p) == '+') ++p;
    while (at(p) == ' ') ++p;
    static const std::array<std::string_view, 6> kBlocks = {"block", "call", "filter",
                                                            "for",   "if",   "macro"};
    auto block_word = [&](size_t q) -> size_t {
      for (std::string_view w : kBlocks)
        if (s_.substr(q, w.size()) == w && !is_word_at(s_, q + w.size())) return w.size();
      return 0;
    };
    Kind kind = Kind::kJinjaStatement;
    size_t word = 0;
    if ((word = block_word(p))) {
      kind = Kind::kJinjaBlockStart;
    } else if (s_.substr(p, 4) == "elif" || s_.substr(p, 4) == "else") {
      if (!is_word_at(s_, p + 4)) kind = Kind::kJinjaBlockMiddle, word = 4;
    } else if (s_.substr(p, 3) == "end" && (word = block_word(p + 3))) {
      kind = Kind::kJinjaBlockEnd;
      word += 3;
    }
    size_t from = kind == Kind::kJinjaStatement ? pos_ + 2 : p + word;
    size_t close = s_.find("%}", from);
    if (close == std::string_view::npos) {
      // A block statement whose `%}` comes before the end of its word cannot exist, so the
      // plain statement would not match either.
      return std::nullopt;
    }
    return Next{kind, close + 2 - pos_};
  }

  std::optional<Next> keyword() {
    std::string key;
    // After `.` or an alias AS a word is a name, not a keyword; THEN and ELSE are decided by
    // the enclosing block before that rule applies, so they stay keywords (as in bigquery-etl).
    bool names_only = false;
    if (s_[pos_] == '*') {
      key = "*";
    } else {
      names_only = keyword_is_identifier_;
      for (size_t p = pos_; p < s_.size() && is_ascii_word(s_[p]) && key.size() < 32; ++p)
        key += upper(s_[p]);
    }
    const std::vector<Candidate>* candidates = keyword_table().candidates(key);
    if (!candidates) return std::nullopt;
    for (const Candidate& cand : *candidates) {
      if (names_only && !cand.cls->maybe_case_subclause) continue;
      size_t end = 0;
      bool boundary = cand.cls->word_boundary;
      auto accept = [&](size_t p) {
        if (boundary && !at_word_end(s_, p)) return false;
        end = p;
        return true;
      };
      if (!match(s_, *cand.phrase, 0, pos_, accept)) continue;
      Kind kind = cand.cls->kind;
      if (cand.cls->maybe_case_subclause && !(!open_blocks_.empty() && open_blocks_.back()))
        kind = Kind::kBlockMiddle;
      return Next{kind, end - pos_};
    }
    return std::nullopt;
  }

  size_t operator_length() const {
    static const std::array<std::string_view, 8> kTwo = {
        "<<", ">>", ">=", "<=", "=>", "<>", "!=", "||"};
    std::string_view rest = s_.substr(pos_, 2);
    for (std::string_view op : kTwo)
      if (rest == op) return 2;
    return std::string_view("-.*/&^+<=>|~").find(s_[pos_]) != std::string_view::npos ? 1 : 0;
  }

  // A string or bytes literal (with an r/b prefix written in lower case), a hexadecimal
  // integer, or a decimal number.
  size_t literal_length() const {
    size_t p = pos_;
    char c = s_[p];
    if (is_ascii_digit(c)) {
      auto hex = [](unsigned char h) {
        return is_ascii_digit(h) || ((h | 0x20) >= 'a' && (h | 0x20) <= 'f');
      };
      if (c == '0' && (at(p + 1) == 'x' || at(p + 1) == 'X') && hex(at(p + 2))) {
        p += 2;
        while (hex(at(p))) ++p;
        return p - pos_;
      }
      auto digits = [&] {
        while (is_ascii_digit(at(p))) ++p;
      };
      digits();
      if (at(p) == '.') ++p;
      digits();
      if (at(p) == 'e' || at(p) == 'E') {
        ++p;
        if (at(p) == '+' || at(p) == '-') ++p;
      }
      digits();
      return p - pos_;
    }
    // The prefixes a regular expression would try, in its order: rb, b, br, r, none.
    static const std::array<std::string_view, 5> kPrefixes = {"rb", "b", "br", "r", ""};
    for (std::string_view prefix : kPrefixes) {
      if (s_.substr(p, prefix.size()) != prefix) continue;
      if (size_t n = string_body(p + prefix.size())) return prefix.size() + n;
    }
    return 0;
  }

  // A quoted string at `p` with its quotes; 0 when there is none. Triple quotes are tried
  // first; a backslash escapes any character but a newline.
  size_t string_body(size_t p) const {
    static const std::array<std::string_view, 4> kQuotes = {"\"\"\"", "'''", "\"", "'"};
    for (std::string_view quote : kQuotes) {
      if (s_.substr(p, quote.size()) != quote) continue;
      size_t q = p + quote.size();
      while (q < s_.size()) {
        if (s_.substr(q, quote.size()) == quote) return q + quote.size() - p;
        if (s_[q] == '\\') {
          if (q + 1 >= s_.size() || s_[q + 1] == '\n') break;
          q += 2;
        } else {
          ++q;
        }
      }
    }
    return 0;
  }

  // `[A-Za-z_][A-Za-z_0-9]*` or a backquoted name; returns its length or 0.
  size_t name_length(size_t p) const {
    char c = at(p);
    if (c == '`') {
      size_t q = p + 1;
      while (q < s_.size() && s_[q] != '`') {
        if (s_[q] == '\\') {
          if (q + 1 >= s_.size() || s_[q + 1] == '\n') return 0;
          q += 2;
        } else {
          ++q;
        }
      }
      return q < s_.size() && q > p + 1 ? q + 1 - p : 0;
    }
    if (!is_ascii_alpha(c) && c != '_') return 0;
    size_t q = p + 1;
    while (is_ascii_word(at(q))) ++q;
    return q - p;
  }

  // One step of a dotted path at `q`, ending after its dot, or npos. bigquery-etl's pattern
  // for a step is `(project|`name`\.)?name\.`, where `project` is a letter, then letters,
  // digits, `_` and `-`, not ending in `-`, with no dot of its own: so the project part and the
  // name after it are one run such as `moz-fx-data-shared-prod`, which must end in a piece
  // after its last `-` with a letter or `_` past that piece's first character (`p-ab.` is a
  // step, `p-1.` and `p-a.` are not). The steps are tried in the pattern's order.
  size_t step(size_t q, int option) const {
    if (option == 0) {  // project immediately followed by a name, then `.`
      if (!is_ascii_alpha(at(q))) return std::string_view::npos;
      size_t m = q, last_hyphen = std::string_view::npos;
      for (; is_ascii_word(at(m)) || at(m) == '-'; ++m)
        if (at(m) == '-') last_hyphen = m;
      if (at(m) == '.') {
        size_t piece = last_hyphen == std::string_view::npos ? q : last_hyphen + 1;
        for (size_t k = piece + 1; k < m; ++k)
          if (is_ascii_alpha(at(k)) || at(k) == '_') return m + 1;
        return std::string_view::npos;
      }
      if (at(m) == '`' && at(m - 1) != '-') {
        size_t n = name_length(m);
        if (n && at(m + n) == '.') return m + n + 1;
      }
      return std::string_view::npos;
    }
    if (option == 1) {  // `project`.name.
      if (at(q) != '`') return std::string_view::npos;
      size_t b = name_length(q);
      if (!b || at(q + b) != '.') return std::string_view::npos;
      size_t n = name_length(q + b + 1);
      if (!n || at(q + b + 1 + n) != '.') return std::string_view::npos;
      return q + b + 1 + n + 1;
    }
    size_t n = name_length(q);  // name.
    return n && at(q + n) == '.' ? q + n + 1 : std::string_view::npos;
  }

  // `(step)+name`: the end of the path the greedy pattern takes from the current position, or
  // npos. Each step option starts with a name, so what follows a step matches exactly when a
  // name follows it: the pattern's backtracking reduces to taking, at each position, the first
  // option after which a name follows, and ending with that name when none does. A loop, so a
  // path of any length needs no stack.
  size_t path_end() const {
    // Most names are not followed by a dot or a backquote: no path.
    size_t m = pos_;
    if (at(m) == '`') {
      m += name_length(m);
    } else {
      while (is_ascii_word(at(m)) || at(m) == '-') ++m;
    }
    if (at(m) != '.' && at(m) != '`') return std::string_view::npos;
    size_t p = pos_;
    for (bool first = true;; first = false) {
      size_t next = std::string_view::npos;
      for (int option = 0; option < 3 && next == std::string_view::npos; ++option) {
        size_t e = step(p, option);
        if (e != std::string_view::npos && name_length(e) > 0) next = e;
      }
      if (next == std::string_view::npos) return first ? next : p + name_length(p);
      p = next;
    }
  }

  Next identifier() const {
    char c = s_[pos_];
    if (c != '`') {
      // A built-in function: its name (with an optional SAFE. prefix) before `(`. bigquery-etl's
      // pattern wants the bracket right after the name; but its formatter writes `lower (x)` as
      // `lower(x)`, which its next run upper-cases. Allowing whitespace before the bracket makes
      // one run write what bqetl's formatter writes on its second.
      size_t q = pos_;
      while (is_ascii_word(at(q)) || at(q) == '.') ++q;
      if (at(skip_whitespace(s_, q)) == '(') {
        std::string name;
        for (size_t i = pos_; i < q; ++i) name += upper(s_[i]);
        std::string_view n = name;
        if (builtin_functions().count(n) ||
            (n.substr(0, 5) == "SAFE." && builtin_functions().count(n.substr(5))))
          return {Kind::kBuiltinFunction, q - pos_};
      }
      size_t w = pos_;
      while (is_ascii_word(at(w))) ++w;
      // The whole word, in any case, followed by a word boundary.
      auto word_is = [&](std::string_view upper_word) {
        return w - pos_ == upper_word.size() && word_at(s_, pos_, upper_word) && at_word_end(s_, w);
      };
      for (std::string_view f :
           {"CURRENT_DATE", "CURRENT_DATETIME", "CURRENT_TIME", "CURRENT_TIMESTAMP"})
        if (word_is(f)) return {Kind::kBuiltinFunction, w - pos_};
      if (size_t end = path_end(); end != std::string_view::npos)
        return {Kind::kQualifiedIdentifier, end - pos_};
      if (c == '_') {
        for (std::string_view p : kPseudocolumns)
          if (word_is(p)) return {Kind::kPseudocolumn, w - pos_};
      }
      if (size_t n = name_length(pos_)) return {Kind::kIdentifier, n};
      return unknown();
    }
    if (size_t end = path_end(); end != std::string_view::npos)
      return {Kind::kQualifiedIdentifier, end - pos_};
    if (size_t n = name_length(pos_)) return {Kind::kIdentifier, n};
    return unknown();
  }

  std::string_view s_;
  size_t pos_ = 0;
  Kind comment_kind_ = Kind::kLineComment;
  std::vector<bool> open_blocks_;  // per open block: whether it is a CASE
  int open_angles_ = 0;
  bool angle_is_operator_ = true;
  bool keyword_is_identifier_ = false;
};

// Searches `comment` for the word `format`, optional whitespace, an optional colon, optional
// whitespace and the word `state`.
bool format_switch(std::string_view comment, std::string_view state) {
  for (size_t p = comment.find("format"); p != std::string_view::npos;
       p = comment.find("format", p + 1)) {
    if (is_word_before(comment, p)) continue;
    size_t q = skip_whitespace(comment, p + 6);
    if (q < comment.size() && comment[q] == ':') q = skip_whitespace(comment, q + 1);
    if (comment.substr(q, state.size()) == state && !is_word_at(comment, q + state.size()))
      return true;
  }
  return false;
}

}  // namespace

size_t whitespace_length(std::string_view s, size_t pos) {
  if (pos >= s.size()) return 0;
  unsigned char c = static_cast<unsigned char>(s[pos]);
  if (c < 0x80) return (c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f));
  auto byte = [&](size_t i) {
    return pos + i < s.size() ? static_cast<unsigned char>(s[pos + i]) : 0;
  };
  if (c == 0xC2) return (byte(1) == 0x85 || byte(1) == 0xA0) ? 2 : 0;
  if (c == 0xE1) return (byte(1) == 0x9A && byte(2) == 0x80) ? 3 : 0;
  if (c == 0xE2) {
    unsigned char b1 = byte(1), b2 = byte(2);
    if (b1 == 0x80 && (b2 <= 0x8A || b2 == 0xA8 || b2 == 0xA9 || b2 == 0xAF) && b2 >= 0x80)
      return 3;
    if (b1 == 0x81 && b2 == 0x9F) return 3;
    return 0;
  }
  if (c == 0xE3) return (byte(1) == 0x80 && byte(2) == 0x80) ? 3 : 0;
  return 0;
}

bool turns_formatting_off(std::string_view comment) { return format_switch(comment, "off"); }
bool turns_formatting_on(std::string_view comment) { return format_switch(comment, "on"); }

std::vector<Token> tokenize(std::string_view sql) { return Tokenizer(sql).run(); }

}  // namespace shredmit::syntax::formatting
