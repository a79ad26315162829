// Template parameter binding: the first byte picks a ping-backfill template, each following
// line is the value of its next parameter (in the order of example_values). Every value is
// bound or refused as a usage error; a template that renders SQL that does not parse is a bug.
#include <map>
#include <vector>

#include "base/error.h"
#include "fuzz.h"
#include "templates/templates.h"

using namespace shredmit;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const auto& all = templates::all();
  const templates::Template& t = all[data[0] % all.size()];
  std::map<std::string, std::string> values = templates::example_values(t);
  std::string_view rest = fuzz::as_text(data + 1, size - 1);
  for (auto& [name, value] : values) {
    if (rest.empty()) break;
    size_t end = rest.find('\n');
    value = std::string(rest.substr(0, end));
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
  }
  try {
    templates::render(t, values);
  } catch (const base::Error& e) {
    if (e.kind != base::ErrorKind::kUsage) fuzz::fail("not a usage error: " + e.format());
  }
  return 0;
}
