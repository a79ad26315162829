// The command line as a newcomer meets it: the forms a TABLE argument takes, "did you mean" for
// a misspelled name, and output that is never written half-way or after an error.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "base/error.h"
#include "base/text.h"
#include "project/project.h"
#include "run_cli.h"

namespace shredmit {
namespace {

namespace fs = std::filesystem;
using test_support::run_cli;

const std::string kTable =
    "moz-fx-data-shared-prod.firefox_desktop_derived.active_users_aggregates_v4";
const std::string kFolder =
    "fixtures/sql/moz-fx-data-shared-prod/firefox_desktop_derived/active_users_aggregates_v4";

TEST(TableArgument, TakesTheFormsBqetlTakes) {
  for (const std::string& argument :
       {kTable, std::string("firefox_desktop_derived.active_users_aggregates_v4")}) {
    project::TableArgument t = project::resolve_table_argument(argument, "fixtures/sql", true, {});
    EXPECT_EQ(t.id.qualified(), kTable) << argument;
    EXPECT_EQ(t.tree.sql_dir, "fixtures/sql");
  }
  // A path: the table folder, with or without a trailing slash, or a file in it; the tree is the
  // folder three levels up, so --sql-dir is not needed.
  for (const std::string& path : {kFolder, kFolder + "/", kFolder + "/query.sql"}) {
    project::TableArgument t = project::resolve_table_argument(path, "", false, {});
    EXPECT_EQ(t.id.qualified(), kTable) << path;
    EXPECT_EQ(t.tree.sql_dir, "fixtures/sql") << path;
    EXPECT_TRUE(fs::equivalent(t.tree.repo_root, "fixtures")) << path;
  }
  // A path outside the --sql-dir given is a mistake, not a silent switch of trees.
  try {
    project::resolve_table_argument(kFolder, "tests", true, {});
    FAIL() << "a path outside --sql-dir was accepted";
  } catch (const base::Error& e) {
    EXPECT_EQ(e.kind, base::ErrorKind::kUsage);
    EXPECT_NE(e.format().find("is not inside --sql-dir tests"), std::string::npos) << e.format();
  }
}

TEST(TableArgument, AMisspelledNameGetsTheNearestOne) {
  auto message = [](const std::string& argument) {
    try {
      project::resolve_table_argument(argument, "fixtures/sql", true, {});
    } catch (const base::Error& e) {
      EXPECT_EQ(e.kind, base::ErrorKind::kInput) << argument;
      return e.format();
    }
    return std::string("accepted");
  };
  EXPECT_NE(message("moz-fx-data-shared-prod.firefox_desktop_derived.active_user_aggregates_v4")
                .find("table folder not found (did you mean 'active_users_aggregates_v4'?)"),
            std::string::npos);
  EXPECT_NE(message("moz-fx-data-shared-prod.firefox_desktop_derivd.active_users_aggregates_v4")
                .find("(did you mean 'firefox_desktop_derived'?)"),
            std::string::npos);
  EXPECT_NE(message("moz-fx-data-shared-prd.firefox_desktop_derived.active_users_aggregates_v4")
                .find("(did you mean 'moz-fx-data-shared-prod'?)"),
            std::string::npos);
  // Nothing close: no suggestion, the plain message.
  std::string far = message("moz-fx-data-shared-prod.firefox_desktop_derived.clients_daily_v6");
  EXPECT_NE(far.find("table folder not found; check the table name"), std::string::npos) << far;
  // The command says the same, on one line, with exit status 1.
  std::string out, err;
  EXPECT_EQ(run_cli({"generate", "firefox_desktop_derived.active_user_aggregates_v4", "--sql-dir",
                     "fixtures/sql"},
                    &out, &err),
            1);
  EXPECT_EQ(out, "");
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  EXPECT_NE(err.find("did you mean 'active_users_aggregates_v4'"), std::string::npos) << err;
}

TEST(EditDistance, CountsEditsIgnoringCase) {
  EXPECT_EQ(base::edit_distance("shredder-mitigation", "shredder_mitigation"), 1u);
  EXPECT_EQ(base::edit_distance("Shreder_Mitigation", "shredder_mitigation"), 1u);
  EXPECT_EQ(base::edit_distance("", "abc"), 3u);
  EXPECT_EQ(base::edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(base::closest("clients_daly_v6", {"clients_daily_v6", "clients_last_seen_v1"}, 2),
            "clients_daily_v6");
  EXPECT_EQ(base::did_you_mean("events_v1", {"baseline_v1", "metrics_v1"}), "");
}

TEST(GenerateOutput, AFailedWriteSaysWhyAndPrintsNothingBefore) {
  fs::path dir = fs::temp_directory_path() / "shredmit_cli_write";
  fs::remove_all(dir);
  fs::create_directories(dir);
  fs::path file = dir / "a-file";
  std::ofstream(file) << "in the way\n";
  for (const fs::path& output : {file, file / "below"}) {
    std::string out, err;
    EXPECT_EQ(run_cli({"generate", kFolder.c_str(), "--output-dir", output.c_str()}, &out, &err),
              1);
    EXPECT_EQ(out, "");
    // One line: the folder, and the system's reason; no classification before it.
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
    EXPECT_EQ(err.find("COMMON"), std::string::npos) << err;
    EXPECT_TRUE(err.find("is not a folder") != std::string::npos ||
                err.find("Not a directory") != std::string::npos)
        << err;
  }
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace shredmit
