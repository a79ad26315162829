// shredmit base: small text helpers several stages share (joining, splitting, trimming, ASCII
// case folding, BigQuery's case-insensitive names, ISO dates).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace shredmit::base {

// parts joined with `separator` between them ("" for no parts).
std::string join(const std::vector<std::string>& parts, std::string_view separator);
// `text` cut at every `separator` (which must not be empty); an empty text gives one empty part.
std::vector<std::string> split(std::string_view text, std::string_view separator);
// `text` without leading and trailing ASCII whitespace.
std::string trim(std::string_view text);
// The byte offset of the first byte of `text` that does not start a valid UTF-8 sequence
// (overlong forms, surrogates and code points past U+10FFFF are invalid, as in Python's and
// BigQuery's decoders), or std::string_view::npos when the whole text is valid.
size_t invalid_utf8_offset(std::string_view text);

// ASCII case folding; other bytes (UTF-8 included) are kept.
std::string to_lower(std::string_view text);
std::string to_upper(std::string_view text);

// BigQuery compares column names, table aliases and WITH query names case-insensitively (ASCII
// letters only; BigQuery documentation, "Lexical structure: Case sensitivity"). name_key gives
// the form such names are compared and looked up by; same_name compares two names.
inline std::string name_key(std::string_view name) { return to_lower(name); }
bool same_name(std::string_view a, std::string_view b);

// True for a real calendar date written YYYY-MM-DD (years 0001-9999, leap years included), the
// form of bigquery-etl's backfill dates, --date/--today options and template parameters.
bool is_iso_date(std::string_view text);

// The Levenshtein distance between `a` and `b` (insertions, deletions and substitutions of bytes,
// ASCII case ignored), for "did you mean" suggestions.
size_t edit_distance(std::string_view a, std::string_view b);
// The candidate nearest to `word` by edit_distance, when it is at most `max_distance` away (ties:
// the first in `candidates`); empty when none is. A candidate equal to `word` is not suggested.
std::string closest(std::string_view word, const std::vector<std::string>& candidates,
                    size_t max_distance);
// " (did you mean 'X'?)" for closest(word, candidates, max(2, |word| / 4)), or "" when nothing is
// that close.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace shredmit::base
