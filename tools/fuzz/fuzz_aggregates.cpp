// pg_dump directory archives for `aggregates export`: the input is toc.dat, a 0xff 0x00 0xff
// separator, then COPY text written as the data files 3352.dat and 3353.dat (the names in the
// seed dumps' toc.dat). Everything is read or refused with a base::Error; decode_copy_field is
// run on each line of the data too.
#include "aggregates/aggregates.h"
#include "base/error.h"
#include "fuzz.h"

using namespace shredmit;
namespace fs = std::filesystem;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input = fuzz::as_text(data, size);
  size_t cut = input.find(std::string_view("\xff\x00\xff", 3));
  std::string_view toc = input.substr(0, cut);
  std::string_view copy =
      cut == std::string_view::npos ? std::string_view() : input.substr(cut + 3);
  fs::path dir = fuzz::scratch() / "dump";
  fs::remove_all(dir);
  fuzz::write(dir / "toc.dat", toc);
  fuzz::write(dir / "3352.dat", copy);
  fuzz::write(dir / "3353.dat", copy);
  for (size_t start = 0; start < copy.size();) {
    size_t end = std::min(copy.find('\n', start), copy.size());
    std::string error;
    aggregates::decode_copy_field(copy.substr(start, end - start), error);
    start = end + 1;
  }
  try {
    aggregates::Archive archive = aggregates::read_archive(dir);
    for (const auto& table : archive.tables) {
      if (table.data_file.parent_path() != dir) fuzz::fail("a data file outside the dump");
      try {
        aggregates::read_rows(table, [](const std::vector<aggregates::CopyField>&, size_t) {});
      } catch (const base::Error&) {
      }
    }
  } catch (const base::Error&) {
  }
  return 0;
}
