// shredmit backfill, internal: calendar dates shared by validation, planning and running.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace shredmit::backfill {

using Days = std::chrono::sys_days;

// A YYYY-MM-DD date (base::is_iso_date), or nullopt.
std::optional<Days> parse_date(std::string_view text);
// YYYY-MM-DD.
std::string format_date(Days d);
// Today's date in UTC.
Days today();

}  // namespace shredmit::backfill
