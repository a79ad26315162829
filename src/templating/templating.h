// shredmit templating: renders the subset of Jinja that bigquery-etl's SQL files use, keeping a
// map from the rendered text back to the template so that SQL diagnostics point at the line and
// column of the file the user edits.
//
// Supported (the forms found in mozilla/bigquery-etl's sql/ tree and tests/checks/*.jinja):
// - `{{ expr }}`, `{% if %}/{% elif %}/{% else %}/{% endif %}`, `{% for x in seq %}` and
//   `{% for a, b in seq %}` with `loop.index`, `loop.index0`, `loop.first`, `loop.last`,
//   `loop.length`; `{% set name = expr %}`; `{% macro name(a, b=default) %}` ...
//   `{% endmacro %}`; `{% raw %}` ... `{% endraw %}`; `{# comments #}`; whitespace control with
//   `-` on either side of a tag.
// - Expressions: string, integer, float, boolean and none literals; lists, tuples and dicts;
//   names, `a.b`, `a[k]`, calls with positional and keyword arguments; `not`, `and`, `or`,
//   comparisons, `in`, `not in`, `~`, `+`, `-`, `*`, `/`, `//`, `%`, `x if c else y`;
//   filters `default`/`d`, `join`, `length`, `lower`, `upper`, `trim`, `replace`, `string`,
//   `int`; tests `is [not] defined|undefined|none|string|number|sequence|mapping`; dict methods
//   `items()`, `keys()`, `values()`.
// - Functions: `is_init()` (false unless RenderOptions::init, as in bigquery-etl) and `range()`.
//
// Semantics follow Jinja 3 with one deliberate difference: printing, iterating or computing
// with an undefined variable is an error (bigquery-etl's default Jinja environment prints it as
// an empty string, which hides typos). Testing it (`{% if x %}`, `x is defined`, `x|default`)
// is allowed, as macros rely on it for omitted arguments.
#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace shredmit::templating {

// 1-based line and column (in Unicode code points) in a text, and the byte offset when known.
using Position = base::Location;

// A template that cannot be rendered: an unknown tag, an unclosed block, an undefined variable,
// a type error. `file` is the template's name as given to render() (or the macro file's name);
// `pos` is where the offending tag or name starts in it.
class TemplateError : public std::runtime_error {
 public:
  TemplateError(const std::string& message, std::string file, Position pos,
                bool needs_network = false)
      : std::runtime_error(message),
        file(std::move(file)),
        pos(pos),
        needs_network(needs_network) {}
  std::string file;
  Position pos;
  // The template calls something bigquery-etl computes with a network call (metric-hub's
  // metrics.calculate); it is not wrong, only impossible to render offline.
  bool needs_network = false;
};

// A named template text: a file name for messages and its contents.
struct Source {
  std::string name;
  std::string text;
};

struct RenderOptions {
  // Value of is_init(): false by default (a daily run), true for `--init`.
  bool init = false;
  // Top-level variables, e.g. from `--param name=value` or project_id/dataset_id/table_name
  // derived from the file's path. A value made only of decimal digits becomes an integer, so
  // that arithmetic in the template works; anything else is a string.
  std::map<std::string, std::string> variables;
  // Files whose `{% macro %}` definitions are made available to the template, as bigquery-etl
  // does with tests/checks/*.jinja for checks.sql. Their text output is discarded.
  std::vector<Source> macro_files;
};

// The result of rendering: the text, and the map back to the template.
class Rendered {
 public:
  std::string text;

  // The template position of the rendered position `pos`. Text copied from the template maps
  // character for character; text produced by `{{ }}` or by a macro maps to the start of the
  // expression or call that produced it. Positions past the end map to the template's end.
  Position original(Position pos) const;

  // Used by render(): records that text[out_offset...] comes from template byte `src_offset`,
  // character for character when `exact`.
  void map(size_t out_offset, size_t src_offset, bool exact);
  // Used by render(): the template text, for converting offsets to positions.
  void set_template(std::string_view text) { template_text_ = std::string(text); }

 private:
  struct Segment {
    size_t out_offset;
    size_t src_offset;
    bool exact;
  };
  std::vector<Segment> segments_;
  std::string template_text_;
};

// True when `text` contains a Jinja tag, expression or comment opener ({%, {{ or {#).
bool is_template(std::string_view text);

// Limits that keep a hostile or runaway template from exhausting the stack, memory or time.
// Python's Jinja stops at the interpreter's recursion limit (about 1,000 frames) and otherwise
// runs until memory is gone. bigquery-etl's templates stay far below every one of these: the
// public tree (1c16343) nests tags 4 deep and expressions 15 deep (a chain of 15 `~`), never
// calls a macro from a macro, and renders every file in fewer than 1,000 steps.
// Nesting of tags ({% if %}, {% for %}, {% macro %}) inside one another.
inline constexpr int kMaxTagDepth = 100;
// Nesting of one expression: parentheses, brackets, operator chains (`a + b + ...` is one
// level per operator), filters and tests.
inline constexpr int kMaxExpressionDepth = 200;
// Macro calls active at once (a macro calling itself, directly or not).
inline constexpr int kMaxMacroDepth = 50;
// Items one range() call or one list concatenation may produce.
inline constexpr long long kMaxListItems = 1'000'000;
// Bytes of rendered output, and of any one string value built while rendering.
inline constexpr size_t kMaxRenderedBytes = 64u << 20;
// Tags rendered and expressions evaluated in one render, which bounds its time (0.5 s on this
// project's 2-core machine, Release build): loops nested inside loops are the way to reach it.
inline constexpr long long kMaxRenderSteps = 1'000'000;

// Renders `tmpl` with `options`. Throws TemplateError, with the offending position, for a
// template error and for a template that passes one of the limits above. Integer arithmetic is
// INT64, as in BigQuery: a result outside it is an "integer overflow" error, not a wrap-around
// (Python's integers would grow without bound; no bigquery-etl template relies on that).
Rendered render(const Source& tmpl, const RenderOptions& options);

// Byte offset of 1-based line:column (column in code points) in `text`; the end of the text
// when past it. The other way is base::location_of.
size_t offset_of(std::string_view text, Position pos);

}  // namespace shredmit::templating
