// GoogleSQL's reference implementation behind analyze (see engine.h): the server process, the
// catalog and the requests. The only file of shredmit that speaks gRPC.
#include "engine.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <regex>
#include <set>
#include <thread>

#include "local_service.grpc.pb.h"
#include "resolve/resolve.h"
#include "syntax/syntax.h"

#ifndef SHREDMIT_ENGINE_SERVER
#define SHREDMIT_ENGINE_SERVER ""
#endif

#ifndef SHREDMIT_ENGINE_FOLDER
#define SHREDMIT_ENGINE_FOLDER "zetasql"
#endif

namespace {
// The folder of the engine's version under tools/install_engine.sh's cache ("zetasql-1.13.0").
constexpr const char* kEngineFolder = SHREDMIT_ENGINE_FOLDER;
}  // namespace

namespace shredmit::engine {
namespace {

namespace fs = std::filesystem;
namespace ls = zetasql::local_service;
using analysis::Type;

// ------------------------------------------------------------------ types

// shredmit's type kinds and the engine's, one to one.
constexpr std::pair<Type, zetasql::TypeKind> kKinds[] = {
    {Type::kString, zetasql::TYPE_STRING},       {Type::kBytes, zetasql::TYPE_BYTES},
    {Type::kInt64, zetasql::TYPE_INT64},         {Type::kFloat64, zetasql::TYPE_DOUBLE},
    {Type::kNumeric, zetasql::TYPE_NUMERIC},     {Type::kBigNumeric, zetasql::TYPE_BIGNUMERIC},
    {Type::kBool, zetasql::TYPE_BOOL},           {Type::kDate, zetasql::TYPE_DATE},
    {Type::kDatetime, zetasql::TYPE_DATETIME},   {Type::kTime, zetasql::TYPE_TIME},
    {Type::kTimestamp, zetasql::TYPE_TIMESTAMP}, {Type::kJson, zetasql::TYPE_JSON},
    {Type::kGeography, zetasql::TYPE_GEOGRAPHY}, {Type::kInterval, zetasql::TYPE_INTERVAL},
    {Type::kStruct, zetasql::TYPE_STRUCT},       {Type::kArray, zetasql::TYPE_ARRAY},
    {Type::kRange, zetasql::TYPE_RANGE},
};

zetasql::TypeKind type_kind(analysis::Type kind) {
  for (const auto& [ours, theirs] : kKinds) {
    if (ours == kind) return theirs;
  }
  return zetasql::TYPE_UNKNOWN;
}

// The kind of an engine type; its internal-mode integers and FLOAT are read as BigQuery's INT64
// and FLOAT64.
analysis::Type kind_of(zetasql::TypeKind kind) {
  switch (kind) {
    case zetasql::TYPE_INT32:
    case zetasql::TYPE_UINT32:
    case zetasql::TYPE_UINT64:
      return Type::kInt64;
    case zetasql::TYPE_FLOAT:
      return Type::kFloat64;
    default:
      break;
  }
  for (const auto& [ours, theirs] : kKinds) {
    if (theirs == kind) return ours;
  }
  return Type::kUnknown;
}

void to_proto(const engine::Type& t, zetasql::TypeProto& out) {
  out.set_type_kind(type_kind(t.kind));
  if (t.kind == Type::kStruct) {
    auto* s = out.mutable_struct_type();
    for (const auto& f : t.fields) {
      auto* field = s->add_field();
      field->set_field_name(f.name);
      to_proto(f.type, *field->mutable_field_type());
    }
  } else if (t.kind == Type::kArray && !t.element.empty()) {
    to_proto(t.element.front(), *out.mutable_array_type()->mutable_element_type());
  }
}

// A type the engine can hold: known scalars, STRUCTs with named fields that can all be held,
// ARRAYs of anything but ARRAY.
bool holdable(const engine::Type& t) {
  switch (t.kind) {
    case Type::kUnknown:
    case Type::kRange:
      return false;
    case Type::kStruct:
      if (t.fields.empty()) return false;
      for (const auto& f : t.fields) {
        if (f.name.empty() || !holdable(f.type)) return false;
      }
      return true;
    case Type::kArray:
      return t.element.size() == 1 && t.element.front().kind != Type::kArray &&
             holdable(t.element.front());
    default:
      return true;
  }
}

// A type as written in SQL (CREATE TEMP FUNCTION parameters and RETURNS); kUnknown kind when it
// is not one the engine can be given.
engine::Type from_syntax(const syntax::Type& t) {
  engine::Type out;
  switch (t.kind) {
    case syntax::Type::Kind::kNamed:
      out.kind = analysis::type_from_name(t.name.name);
      if (out.kind == Type::kStruct || out.kind == Type::kArray) out.kind = Type::kUnknown;
      break;
    case syntax::Type::Kind::kArray:
      out.kind = Type::kArray;
      if (t.element) out.element.push_back(from_syntax(*t.element));
      break;
    case syntax::Type::Kind::kStruct:
      out.kind = Type::kStruct;
      for (const auto& f : t.fields) {
        out.fields.push_back(Field{f.name ? f.name->name : std::string(),
                                   f.type ? from_syntax(*f.type) : engine::Type{}});
      }
      break;
    case syntax::Type::Kind::kInterval:
      out.kind = Type::kInterval;
      break;
    default:
      break;
  }
  return out;
}

// ------------------------------------------------------------------ the server

// What a signal handler needs, set before the handlers are installed.
std::atomic<pid_t> g_server_pid{-1};
// The process that started the server: a forked child (lint's workers) inherits the variables
// above but must neither use nor stop its parent's server.
std::atomic<pid_t> g_owner_pid{-1};
char g_socket_file[PATH_MAX];
char g_log_file[PATH_MAX];
char g_folder[PATH_MAX];

void remove_server_files() {
  if (g_socket_file[0] != '\0') unlink(g_socket_file);
  if (g_log_file[0] != '\0') unlink(g_log_file);
  if (g_folder[0] != '\0') rmdir(g_folder);
}

// Kills the server and removes its folder: async-signal-safe (kill, waitpid, unlink, rmdir).
void kill_server() {
  if (g_owner_pid.load() != getpid()) return;
  pid_t pid = g_server_pid.exchange(-1);
  if (pid <= 0) return;
  kill(pid, SIGKILL);
  while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
  remove_server_files();
}

struct sigaction g_previous[3];
constexpr int kSignals[3] = {SIGINT, SIGTERM, SIGHUP};

void on_signal(int sig) {
  kill_server();
  for (size_t i = 0; i < 3; ++i) {
    if (kSignals[i] == sig) sigaction(sig, &g_previous[i], nullptr);
  }
  raise(sig);
}

std::string copy_path(char* out, const std::string& path) {
  if (path.size() >= PATH_MAX) throw std::length_error("path too long: " + path);
  std::memcpy(out, path.c_str(), path.size() + 1);
  return path;
}

// The last line of the server's log, for a failure message.
std::string last_log_line() {
  std::error_code ec;
  std::string text;
  try {
    text = base::read_text_file(g_log_file);
  } catch (...) {
    return "";
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  size_t nl = text.rfind('\n');
  return nl == std::string::npos ? text : text.substr(nl + 1);
}

// How to install the engine: the installer the package puts beside the binary
// (<prefix>/libexec/shredmit/install_engine.sh), else the source tree's.
std::string installer_hint() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    fs::path installer = exe.parent_path().parent_path() / "libexec/shredmit/install_engine.sh";
    if (fs::exists(installer, ec)) {
      return fmt::format(
          "install it with {} (it downloads @fivetrandevelopers/zetasql with npm), "
          "or set SHREDMIT_ENGINE to its remote_server",
          installer.string());
    }
  }
  return "install it with tools/install_engine.sh from shredmit's source tree (it downloads "
         "@fivetrandevelopers/zetasql with npm), or set SHREDMIT_ENGINE to its remote_server";
}

class Server {
 public:
  static Server& get() {
    static Server* server = new Server();  // never destroyed: gRPC's statics outlive it
    return *server;
  }

  ls::ZetaSqlLocalService::Stub& stub() {
    std::lock_guard<std::mutex> lock(mutex_);
    pid_t owner = g_owner_pid.load();
    if (owner > 0 && owner != getpid()) {
      // gRPC does not survive fork(): its threads stay in the parent, and a channel made in the
      // child waits forever.
      throw base::Error::internal(
          "GoogleSQL's engine was started before this process was forked; a forked child cannot "
          "use it (start a new process with exec instead)");
    }
    if (!stub_ || g_server_pid.load() <= 0) start();
    return *stub_;
  }

  const zetasql::LanguageOptionsProto& language() {
    stub();
    return language_;
  }

  // The analyzer's default rewrites, with the inlining of SQL functions the evaluator needs to
  // run a function with a SQL body.
  const std::vector<zetasql::ResolvedASTRewrite>& rewrites() {
    stub();
    return rewrites_;
  }

 private:
  void start() {
    auto path = server_path();
    if (!path) {
      throw base::Error::usage(
          fmt::format("GoogleSQL's engine is not installed{}; {}",
                      std::getenv("SHREDMIT_ENGINE") != nullptr
                          ? fmt::format(" (SHREDMIT_ENGINE={} is not an executable)",
                                        std::getenv("SHREDMIT_ENGINE"))
                          : fmt::format(" (not in ~/.cache/shredmit/{} nor {})", kEngineFolder,
                                        SHREDMIT_ENGINE_SERVER),
                      installer_hint()));
    }
    // A private folder: only this user can reach the socket. Unix socket paths are limited to
    // 107 bytes, so a long $TMPDIR falls back to /tmp.
    std::string base = std::getenv("TMPDIR") != nullptr ? std::getenv("TMPDIR") : "/tmp";
    if (base.empty() || base.size() > 60) base = "/tmp";
    std::string templ = base + "/shredmit-engine.XXXXXX";
    std::vector<char> buffer(templ.begin(), templ.end());
    buffer.push_back('\0');
    if (mkdtemp(buffer.data()) == nullptr) {
      throw base::Error::usage(
          fmt::format("cannot create a folder for GoogleSQL's engine in {} "
                      "({}); set TMPDIR to a writable folder",
                      base, std::strerror(errno)));
    }
    std::string folder = copy_path(g_folder, buffer.data());
    std::string socket = folder + "/engine.sock";
    // The server listens on "<host>:<port>"; with host unix:<path> that is the socket
    // <path>:<port>.
    copy_path(g_socket_file, socket + ":0");
    copy_path(g_log_file, folder + "/server.log");
    std::string address = "unix:" + socket;

    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
      remove_server_files();
      throw base::Error::usage(
          fmt::format("cannot start GoogleSQL's engine: fork: {}", std::strerror(errno)));
    }
    if (pid == 0) {
      // The child: die with the parent, whatever kills it; only async-signal-safe calls.
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(127);
      int log = open(g_log_file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
      int null = open("/dev/null", O_RDONLY);
      if (log >= 0) {
        dup2(log, STDOUT_FILENO);
        dup2(log, STDERR_FILENO);
      }
      if (null >= 0) dup2(null, STDIN_FILENO);
      const char* argv[] = {path->c_str(), address.c_str(), "0", nullptr};
      execv(path->c_str(), const_cast<char* const*>(argv));
      _exit(127);
    }
    g_server_pid = pid;
    g_owner_pid = parent;
    install_handlers();

    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(512 * 1024 * 1024);
    args.SetMaxSendMessageSize(512 * 1024 * 1024);
    // gRPC waits a second before retrying a failed connection; the server listens within about
    // 10 ms, so the channel is made once its socket exists and retries quickly.
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 10);
    args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 10);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 100);
    auto started = std::chrono::steady_clock::now();
    std::shared_ptr<grpc::Channel> channel;
    while (true) {
      struct stat st {};
      if (!channel && stat(g_socket_file, &st) == 0) {
        channel = grpc::CreateCustomChannel("unix:" + std::string(g_socket_file),
                                            grpc::InsecureChannelCredentials(), args);
      }
      if (channel && channel->WaitForConnected(std::chrono::system_clock::now() +
                                               std::chrono::milliseconds(50))) {
        break;
      }
      if (!channel) std::this_thread::sleep_for(std::chrono::milliseconds(2));
      int status = 0;
      if (waitpid(pid, &status, WNOHANG) == pid) {
        g_server_pid = -1;
        std::string line = last_log_line();
        remove_server_files();
        throw base::Error::usage(
            fmt::format("GoogleSQL's engine ({}) exited at start ({}{}); {}", *path,
                        WIFEXITED(status) ? fmt::format("status {}", WEXITSTATUS(status))
                                          : fmt::format("signal {}", WTERMSIG(status)),
                        line.empty() ? "" : ": " + line, installer_hint()));
      }
      if (std::chrono::steady_clock::now() - started > std::chrono::seconds(60)) {
        kill_server();
        throw base::Error::usage(fmt::format(
            "GoogleSQL's engine ({}) did not answer within 60 s; {}", *path, installer_hint()));
      }
    }
    stub_ = ls::ZetaSqlLocalService::NewStub(channel);
    ls::LanguageOptionsRequest request;
    request.set_maximum_features(true);
    grpc::ClientContext context;
    grpc::Status status = stub_->GetLanguageOptions(&context, request, &language_);
    if (!status.ok()) {
      throw base::Error::internal("GoogleSQL's engine did not give its language options: " +
                                  status.error_message());
    }
    // BigQuery's mode: no PRODUCT_INTERNAL-only types (INT32, UINT64, PROTO, ENUM).
    language_.set_product_mode(zetasql::PRODUCT_EXTERNAL);
    // Every statement kind (CREATE TEMP FUNCTION as well as queries).
    language_.clear_supported_statement_kinds();
    zetasql::AnalyzerOptionsProto defaults;
    grpc::ClientContext defaults_context;
    status = stub_->GetAnalyzerOptions(&defaults_context, ls::AnalyzerOptionsRequest(), &defaults);
    if (!status.ok()) {
      throw base::Error::internal("GoogleSQL's engine did not give its analyzer options: " +
                                  status.error_message());
    }
    for (int r : defaults.enabled_rewrites()) {
      rewrites_.push_back(static_cast<zetasql::ResolvedASTRewrite>(r));
    }
    rewrites_.push_back(zetasql::REWRITE_INLINE_SQL_FUNCTIONS);
    rewrites_.push_back(zetasql::REWRITE_INLINE_SQL_UDAS);
  }

  void install_handlers() {
    static bool installed = false;
    if (installed) return;
    installed = true;
    std::atexit(kill_server);
    for (size_t i = 0; i < 3; ++i) {
      struct sigaction current {};
      sigaction(kSignals[i], nullptr, &current);
      // Only where nobody else handles the signal: the default action would kill shredmit and
      // leave the server to PR_SET_PDEATHSIG, and the socket folder behind.
      if (current.sa_handler != SIG_DFL) continue;
      struct sigaction action {};
      action.sa_handler = on_signal;
      sigemptyset(&action.sa_mask);
      sigaction(kSignals[i], &action, &g_previous[i]);
    }
  }

  std::mutex mutex_;
  std::unique_ptr<ls::ZetaSqlLocalService::Stub> stub_;
  zetasql::LanguageOptionsProto language_;
  std::vector<zetasql::ResolvedASTRewrite> rewrites_;
};

// ------------------------------------------------------------------ catalogs

zetasql::SimpleCatalogProto* child_catalog(zetasql::SimpleCatalogProto& parent,
                                           const std::string& name) {
  for (auto& c : *parent.mutable_catalog()) {
    if (syntax::to_lower(c.name()) == syntax::to_lower(name)) return &c;
  }
  auto* c = parent.add_catalog();
  c->set_name(name);
  return c;
}

void add_table(zetasql::SimpleCatalogProto& catalog, const std::string& name,
               const std::vector<Field>& columns) {
  for (const auto& t : catalog.table()) {
    if (syntax::to_lower(t.name()) == syntax::to_lower(name)) return;  // first one wins
  }
  auto* table = catalog.add_table();
  table->set_name(name);
  for (const auto& c : columns) {
    if (c.name.empty() || !holdable(c.type)) continue;
    auto* column = table->add_column();
    column->set_name(c.name);
    to_proto(c.type, *column->mutable_type());
  }
}

// Registers `t` under every spelling SQL reaches it by: the whole dotted path as one (backticked)
// name, the path through nested catalogs (`project`.dataset.table), and the last two parts alone
// (dataset.table, bigquery-etl's default project).
// With `nested` false only the root-level names are registered: the evaluator gives rows only
// to tables at the root of the catalog.
void register_table(zetasql::SimpleCatalogProto& root, const engine::Table& t, bool nested) {
  std::vector<std::string> parts = base::split(t.name, ".");
  add_table(root, t.name, t.columns);
  if (parts.size() == 3) add_table(root, parts[1] + "." + parts[2], t.columns);
  if (!nested) return;
  zetasql::SimpleCatalogProto* at = &root;
  for (size_t i = 0; i + 1 < parts.size(); ++i) at = child_catalog(*at, parts[i]);
  add_table(*at, parts.back(), t.columns);
  if (parts.size() == 3) add_table(*child_catalog(root, parts[1]), parts[2], t.columns);
}

// The root-level names register_table gives `name`.
std::vector<std::string> root_names(const std::string& name) {
  std::vector<std::string> parts = base::split(name, ".");
  std::vector<std::string> out = {name};
  if (parts.size() == 3) out.push_back(parts[1] + "." + parts[2]);
  return out;
}

// A CREATE FUNCTION as a catalog function named `path` (catalogs, then the function's name): a
// SQL body becomes a templated SQL function, which the analyzer resolves at each call with the
// argument types given; a JavaScript function keeps its declared signature. False when a type
// cannot be given to the engine.
bool add_function(zetasql::SimpleCatalogProto& root, const syntax::CreateFunction& f,
                  const std::vector<std::string>& path) {
  zetasql::SimpleCatalogProto* at = &root;
  for (size_t i = 0; i + 1 < path.size(); ++i) at = child_catalog(*at, path[i]);
  for (const auto& existing : at->custom_function()) {
    if (existing.name_path_size() == 1 &&
        syntax::to_lower(existing.name_path(0)) == syntax::to_lower(path.back())) {
      return true;  // first one wins
    }
  }
  zetasql::FunctionProto function;
  function.add_name_path(path.back());
  bool sql = !f.language && f.body;
  function.set_group(sql ? "Templated_SQL_Function" : "UDF");
  function.set_mode(f.aggregate ? zetasql::FunctionEnums::AGGREGATE
                                : zetasql::FunctionEnums::SCALAR);
  auto* signature = function.add_signature();
  for (const auto& p : f.params) {
    auto* argument = signature->add_argument();
    argument->mutable_options()->set_argument_name(p.name.name);
    argument->set_num_occurrences(1);
    if (!p.type) {
      if (!sql) return false;
      argument->set_kind(zetasql::ARG_TYPE_ARBITRARY);
      continue;
    }
    engine::Type type = from_syntax(*p.type);
    if (!holdable(type)) return false;
    argument->set_kind(zetasql::ARG_TYPE_FIXED);
    to_proto(type, *argument->mutable_type());
    if (p.not_aggregate) argument->mutable_options()->set_is_not_aggregate(true);
  }
  auto* result = signature->mutable_return_type();
  result->set_num_occurrences(1);
  if (f.returns) {
    engine::Type type = from_syntax(*f.returns);
    if (!holdable(type)) return false;
    result->set_kind(zetasql::ARG_TYPE_FIXED);
    to_proto(type, *result->mutable_type());
  } else {
    if (!sql) return false;
    result->set_kind(zetasql::ARG_TYPE_ARBITRARY);
  }
  if (sql) {
    function.mutable_parse_resume_location()->set_input(syntax::print(*f.body));
    for (const auto& p : f.params) function.add_templated_sql_function_argument_name(p.name.name);
  }
  *at->add_custom_function() = std::move(function);
  return true;
}

// The path of a temporary function's name as written.
std::vector<std::string> name_path(const syntax::CreateFunction& f) {
  std::vector<std::string> out;
  for (const auto& part : f.name) out.push_back(part.name);
  return out;
}

// Registers a function of the catalog under each of its names, whole and part by part; records
// the names of a JavaScript one in `javascript` (lower case).
void add_catalog_function(zetasql::SimpleCatalogProto& root, const Function& function,
                          std::set<std::string>* javascript) {
  if (function.names.empty()) return;
  syntax::Script script;
  try {
    script = syntax::parse_statements(function.definition);
  } catch (const syntax::SyntaxError&) {
    return;
  }
  std::string last = syntax::to_lower(base::split(function.names.front(), ".").back());
  for (const auto& s : script.statements) {
    if (s->kind != syntax::StatementKind::kCreateFunction) continue;
    const auto& f = s->as<syntax::CreateFunction>();
    if (syntax::to_lower(f.name.back().name) != last) continue;
    for (const auto& name : function.names) {
      std::vector<std::string> parts = base::split(name, ".");
      add_function(root, f, parts);
      if (parts.size() > 1) add_function(root, f, {name});
      if (f.language && javascript != nullptr) javascript->insert(syntax::to_lower(name));
    }
    return;
  }
}

// The byte offset of 1-based line `line`, column `column` (in code points) of `text`.
size_t byte_offset(std::string_view text, int line, int column) {
  size_t i = 0;
  for (int l = 1; l < line && i < text.size(); ++i) {
    if (text[i] == '\n') ++l;
  }
  for (int c = 1; c < column && i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++c;
    while (i + 1 < text.size() && (static_cast<unsigned char>(text[i + 1]) & 0xC0) == 0x80) ++i;
  }
  return i;
}

// The end (byte offset) of the identifier that starts at byte `i` of `text`: after its closing
// backtick, or after its last name character (dashes included, as in an unquoted project).
size_t identifier_end(std::string_view text, size_t i) {
  if (i < text.size() && text[i] == '`') {
    for (++i; i < text.size(); ++i) {
      if (text[i] == '\\') {
        ++i;
      } else if (text[i] == '`') {
        return i + 1;
      }
    }
    return text.size();
  }
  while (i < text.size() &&
         (std::isalnum(static_cast<unsigned char>(text[i])) || text[i] == '_' || text[i] == '-')) {
    ++i;
  }
  return i;
}

// A replacement of bytes [begin, end) of a text.
struct Edit {
  size_t begin = 0, end = 0;
  std::string text;
};

// The edits that write each table name of `script`'s queries that is in `catalog` as its whole
// backticked path, keeping the implicit alias of a name without one (`telemetry.main` is still
// `main`), in text order. BigQuery splits a backticked `dataset.table` into its parts and names
// the range variable after the last; ZetaSQL keeps it whole as the alias, and its evaluator
// gives rows only to tables at the root of the catalog: written this way, both read the query
// as BigQuery does.
std::vector<Edit> table_name_edits(std::string_view sql, const syntax::Script& script,
                                   const Catalog& catalog) {
  std::vector<Edit> edits;
  for (const auto& s : script.statements) {
    if (s->kind != syntax::StatementKind::kQuery) continue;
    resolve::Resolution resolution(*s->as<syntax::QueryStatement>().query);
    for (const syntax::TableFrom* t : resolution.table_references()) {
      if (t->path.empty() || t->system_time) continue;
      std::string dotted = syntax::to_lower(t->dotted_path());
      const Table* found = nullptr;
      for (const auto& table : catalog.tables) {
        for (const auto& name : root_names(table.name)) {
          if (syntax::to_lower(name) == dotted) found = &table;
        }
        if (found != nullptr) break;
      }
      if (found == nullptr) continue;
      size_t begin = byte_offset(sql, t->path.front().loc.line, t->path.front().loc.column);
      size_t last = byte_offset(sql, t->path.back().loc.line, t->path.back().loc.column);
      size_t end = identifier_end(sql, last);
      if (sql.substr(begin, end - begin).find('\n') != std::string_view::npos) continue;
      std::string text = "`" + found->name + "`";
      if (!t->alias) text += " AS `" + resolve::implicit_alias(t->dotted_path()) + "`";
      edits.push_back({begin, end, std::move(text)});
    }
  }
  std::sort(edits.begin(), edits.end(),
            [](const Edit& a, const Edit& b) { return a.begin < b.begin; });
  return edits;
}

// The 1-based line and column (in code points) of byte `at` of `text`.
base::Location location_at(std::string_view text, size_t at) {
  base::Location l{1, 1};
  for (size_t i = 0; i < at && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++l.line;
      l.column = 1;
    } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      ++l.column;
    }
  }
  return l;
}

// "message [at 3:7]" -> message and location.
Verdict refused(const std::string& text) {
  Verdict v;
  v.status = Verdict::Status::kRefused;
  static const std::regex kAt(R"(^([\s\S]*?) \[at (\d+):(\d+)\]$)");
  std::smatch m;
  if (std::regex_match(text, m, kAt)) {
    v.message = m[1];
    v.at.line = std::stoi(m[2]);
    v.at.column = std::stoi(m[3]);
  } else {
    v.message = text;
  }
  return v;
}

}  // namespace

std::string engine::Type::sql() const {
  switch (kind) {
    case analysis::Type::kStruct: {
      std::vector<std::string> parts;
      for (const auto& f : fields) parts.push_back(f.name + " " + f.type.sql());
      return "STRUCT<" + base::join(parts, ", ") + ">";
    }
    case analysis::Type::kArray:
      return "ARRAY<" + (element.empty() ? std::string("?") : element.front().sql()) + ">";
    default:
      return std::string(analysis::type_name(kind));
  }
}

engine::Type scalar(analysis::Type kind) {
  engine::Type t;
  t.kind = kind;
  return t;
}

namespace {

engine::Type schema_type(const project::SchemaField& f, std::vector<std::string>* dropped,
                         const std::string& path) {
  engine::Type t = scalar(analysis::type_from_name(f.type));
  if (t.kind == Type::kStruct) {
    for (const auto& child : f.fields) {
      std::string child_path = path + "." + child.name;
      engine::Type ct = schema_type(child, dropped, child_path);
      if (child.name.empty() || !holdable(ct)) {
        if (dropped != nullptr) dropped->push_back(child_path);
        continue;
      }
      t.fields.push_back(Field{child.name, std::move(ct)});
    }
  } else if (t.kind == Type::kArray) {
    t.kind = Type::kUnknown;
  }
  if (syntax::to_upper(f.mode) == "REPEATED" && holdable(t)) {
    engine::Type array = scalar(Type::kArray);
    array.element.push_back(std::move(t));
    return array;
  }
  return t;
}

}  // namespace

std::vector<Field> columns_from_schema(const project::Schema& schema,
                                       std::vector<std::string>* dropped) {
  std::vector<Field> out;
  for (const auto& f : schema.fields) {
    engine::Type t = schema_type(f, dropped, f.name);
    if (f.name.empty() || !holdable(t)) {
      if (dropped != nullptr) dropped->push_back(f.name);
      continue;
    }
    out.push_back(Field{f.name, std::move(t)});
  }
  return out;
}

std::optional<std::string> server_path() {
  auto usable = [](const std::string& path) {
    std::error_code ec;
    return !path.empty() && access(path.c_str(), X_OK) == 0 && fs::is_regular_file(path, ec);
  };
  if (const char* env = std::getenv("SHREDMIT_ENGINE")) {
    if (usable(env)) return std::string(env);
    return std::nullopt;  // set but wrong: say so rather than use another engine
  }
  // Where tools/install_engine.sh installs it for this user, then where the build found it.
  std::string cache;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg != '\0') {
    cache = xdg;
  } else if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    cache = std::string(home) + "/.cache";
  }
  for (const std::string& path :
       {cache.empty() ? std::string() : cache + "/shredmit/" + kEngineFolder + "/remote_server",
        std::string(SHREDMIT_ENGINE_SERVER)}) {
    if (usable(path)) return path;
  }
  return std::nullopt;
}

void stop() { kill_server(); }

std::string install_hint() { return installer_hint(); }

namespace {

// A request's common parts: the catalog, the analyzer options and the statements of the text.
struct Prepared {
  zetasql::SimpleCatalogProto root;
  zetasql::AnalyzerOptionsProto options;
  syntax::Script script;
  // Each statement's byte offset and AST (null when our parser could not split the text: then
  // the whole text is one statement).
  std::vector<std::pair<size_t, const syntax::Statement*>> statements;
  std::set<std::string> javascript;  // JavaScript functions by dotted lower-case name
  // The text sent to the engine: the given one with table_name_edits applied. Statement offsets
  // are in it; locations given back are mapped to the given text.
  std::string original;
  std::string text;
  std::vector<Edit> edits;

  // Byte `at` of the text sent as a byte of the given one (an edited name: its start).
  size_t to_original(size_t at) const {
    long shift = 0;
    for (const auto& e : edits) {
      size_t begin = static_cast<size_t>(static_cast<long>(e.begin) + shift);
      if (at < begin) break;
      if (at < begin + e.text.size()) return e.begin;
      shift += static_cast<long>(e.text.size()) - static_cast<long>(e.end - e.begin);
    }
    return static_cast<size_t>(static_cast<long>(at) - shift);
  }
  size_t to_text(size_t at) const {
    long shift = 0;
    for (const auto& e : edits) {
      if (at < e.end) break;
      shift += static_cast<long>(e.text.size()) - static_cast<long>(e.end - e.begin);
    }
    return static_cast<size_t>(static_cast<long>(at) + shift);
  }
  // A location in the text sent (statement_start: where the statement sent alone begins, for a
  // location relative to it) as one in the given text.
  base::Location located(base::Location at, size_t statement_start = 0) const {
    if (at.line <= 0) return at;
    base::Location start = location_at(text, statement_start);
    if (at.line == 1) at.column += start.column - 1;
    at.line += start.line - 1;
    return location_at(original, to_original(byte_offset(text, at.line, at.column)));
  }
};

Prepared prepare(Server& server, std::string_view sql, const Catalog& catalog,
                 const std::vector<Parameter>& parameters, bool nested) {
  const zetasql::LanguageOptionsProto& language = server.language();
  Prepared p;
  p.root.set_name("shredmit");
  *p.root.mutable_builtin_function_options()->mutable_language_options() = language;
  for (const auto& t : catalog.tables) register_table(p.root, t, nested);
  for (const auto& f : catalog.functions) add_catalog_function(p.root, f, &p.javascript);
  *p.options.mutable_language_options() = language;
  p.options.set_error_message_mode(zetasql::ERROR_MESSAGE_ONE_LINE);
  // BigQuery's default time zone; ZetaSQL's own is America/Los_Angeles, which would move
  // TIMESTAMP(date) and DATE(timestamp) by seven or eight hours.
  p.options.set_default_timezone("UTC");
  for (const auto& parameter : parameters) {
    auto* q = p.options.add_query_parameters();
    q->set_name(parameter.name);
    to_proto(parameter.type, *q->mutable_type());
  }
  p.original = std::string(sql);
  p.text = p.original;
  try {
    p.script = syntax::parse_statements(sql);
    p.edits = table_name_edits(sql, p.script, catalog);
    for (auto e = p.edits.rbegin(); e != p.edits.rend(); ++e) {
      p.text.replace(e->begin, e->end - e->begin, e->text);
    }
    for (const auto& s : p.script.statements) {
      p.statements.emplace_back(p.to_text(byte_offset(sql, s->loc.line, s->loc.column)), s.get());
    }
  } catch (const syntax::SyntaxError&) {
    p.statements = {{0, nullptr}};
  }
  return p;
}

// Analyzes `statements` of `p` in turn, defining the temporary functions for those after them.
Verdict analyze_prepared(
    Server& server, Prepared& p,
    const std::vector<std::pair<size_t, const syntax::Statement*>>& statements) {
  auto& stub = server.stub();
  const std::string& input = p.text;
  for (const auto& [offset, statement] : statements) {
    ls::AnalyzeRequest request;
    *request.mutable_options() = p.options;
    *request.mutable_simple_catalog() = p.root;
    auto* location = request.mutable_parse_resume_location();
    location->set_input(input);
    location->set_byte_position(static_cast<int>(offset));
    ls::AnalyzeResponse response;
    grpc::ClientContext context;
    grpc::Status status = stub.Analyze(&context, request, &response);
    if (!status.ok()) {
      if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
        throw base::Error::internal("GoogleSQL's engine stopped answering: " +
                                    status.error_message());
      }
      Verdict v = refused(status.error_message());
      v.at = p.located(v.at);
      return v;
    }
    if (statement != nullptr && statement->kind == syntax::StatementKind::kCreateFunction) {
      const auto& f = statement->as<syntax::CreateFunction>();
      add_function(p.root, f, name_path(f));
      if (f.language) p.javascript.insert(syntax::to_lower(base::join(name_path(f), ".")));
    }
  }
  return Verdict{};
}

// ------------------------------------------------------------------ values

using Days = std::chrono::sys_days;

std::optional<Days> parse_civil_date(std::string_view text, size_t* used) {
  int y = 0, m = 0, d = 0, n = 0;
  std::string s(text);
  if (std::sscanf(s.c_str(), "%5d-%2d-%2d%n", &y, &m, &d, &n) != 3) return std::nullopt;
  std::chrono::year_month_day ymd{std::chrono::year(y), std::chrono::month(m), std::chrono::day(d)};
  if (!ymd.ok()) return std::nullopt;
  if (used != nullptr) *used = static_cast<size_t>(n);
  return Days(ymd);
}

// "HH:MM:SS[.fffffffff]" at the start of `text`: seconds of the day and nanoseconds.
std::optional<std::pair<int64_t, int>> parse_clock(std::string_view text, size_t* used) {
  int h = 0, mi = 0, se = 0, n = 0;
  std::string s(text);
  if (std::sscanf(s.c_str(), "%2d:%2d:%2d%n", &h, &mi, &se, &n) != 3) return std::nullopt;
  if (h > 23 || mi > 59 || se > 59) return std::nullopt;
  size_t i = static_cast<size_t>(n);
  int nanos = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    int digits = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      if (digits < 9) nanos = nanos * 10 + (s[i] - '0');
      ++digits;
      ++i;
    }
    if (digits == 0) return std::nullopt;
    for (int k = digits; k < 9; ++k) nanos *= 10;
  }
  if (used != nullptr) *used = i;
  return std::pair<int64_t, int>{h * 3600 + mi * 60 + se, nanos};
}

std::string format_date(Days d) {
  std::chrono::year_month_day ymd(d);
  return fmt::format("{:04d}-{:02d}-{:02d}", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
}

// HH:MM:SS, and .ffffff (or .fffffffff) when there are fractional seconds, as BigQuery prints.
std::string format_clock(int64_t seconds, int nanos) {
  std::string out =
      fmt::format("{:02d}:{:02d}:{:02d}", seconds / 3600, seconds / 60 % 60, seconds % 60);
  if (nanos != 0) {
    std::string frac = fmt::format("{:09d}", nanos);
    if (nanos % 1000 == 0) frac = frac.substr(0, 6);
    while (frac.size() > 1 && frac.back() == '0') frac.pop_back();
    out += "." + frac;
  }
  return out;
}

[[noreturn]] void bad_value(const std::string& where, const engine::Type& type,
                            const std::string& text) {
  throw base::Error(where, 0, 0,
                    fmt::format("'{}' is not a valid {} value; write it as CAST(x AS STRING) would",
                                text, type.sql()));
}

// NUMERIC and BIGNUMERIC values travel as the little-endian two's complement bytes of the value
// times 10^scale, without redundant sign bytes (ZetaSQL's NumericValue and BigNumericValue
// encodings): NUMERIC has scale 9 and at most 29 integer digits in 16 bytes, BIGNUMERIC scale 38
// in 32 bytes.
struct Decimal {
  int scale;
  int integer_digits;  // at most this many digits before the point
  size_t bytes;        // the width of the two's complement integer
};
constexpr Decimal kNumericEncoding{9, 29, 16};
constexpr Decimal kBigNumericEncoding{38, 39, 32};

// magnitude = magnitude * 10 + digit, little-endian bytes.
void times_ten_plus(std::vector<uint8_t>& magnitude, int digit) {
  unsigned carry = static_cast<unsigned>(digit);
  for (auto& b : magnitude) {
    unsigned v = b * 10u + carry;
    b = static_cast<uint8_t>(v & 0xFF);
    carry = v >> 8;
  }
  if (carry) magnitude.push_back(static_cast<uint8_t>(carry));
}

// Two's complement negation in place.
void negate(std::vector<uint8_t>& bytes) {
  unsigned carry = 1;
  for (auto& b : bytes) {
    unsigned v = static_cast<uint8_t>(~b) + carry;
    b = static_cast<uint8_t>(v & 0xFF);
    carry = v >> 8;
  }
}

std::optional<std::string> decimal_bytes(std::string_view text, const Decimal& d) {
  size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) negative = text[i++] == '-';
  std::vector<uint8_t> magnitude;
  int digits = 0, integer = 0, fraction = -1;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (c == '.' && fraction < 0) {
      fraction = 0;
      continue;
    }
    if (c < '0' || c > '9') return std::nullopt;
    ++digits;
    if (fraction >= 0 && ++fraction > d.scale) return std::nullopt;
    if (fraction < 0 && (integer > 0 || c != '0') && ++integer > d.integer_digits) {
      return std::nullopt;
    }
    times_ten_plus(magnitude, c - '0');
  }
  if (digits == 0) return std::nullopt;
  for (int f = std::max(fraction, 0); f < d.scale; ++f) times_ten_plus(magnitude, 0);
  magnitude.push_back(0);  // room for the sign bit
  if (magnitude.size() > d.bytes) {
    while (magnitude.size() > d.bytes && magnitude.back() == 0) magnitude.pop_back();
    if (magnitude.size() > d.bytes || (magnitude.back() & 0x80)) return std::nullopt;
  }
  if (negative) negate(magnitude);
  while (magnitude.size() > 1) {
    uint8_t top = magnitude.back(), next = magnitude[magnitude.size() - 2];
    if ((top == 0x00 && !(next & 0x80)) || (top == 0xFF && (next & 0x80))) {
      magnitude.pop_back();
    } else {
      break;
    }
  }
  return std::string(magnitude.begin(), magnitude.end());
}

std::string decimal_text(const std::string& encoded, const Decimal& d) {
  std::vector<uint8_t> bytes(encoded.begin(), encoded.end());
  bool negative = !bytes.empty() && (bytes.back() & 0x80);
  if (negative) negate(bytes);
  std::string digits;
  // Repeated division by 10 from the most significant byte.
  while (std::any_of(bytes.begin(), bytes.end(), [](uint8_t b) { return b != 0; })) {
    unsigned remainder = 0;
    for (size_t b = bytes.size(); b-- > 0;) {
      unsigned v = (remainder << 8) | bytes[b];
      bytes[b] = static_cast<uint8_t>(v / 10);
      remainder = v % 10;
    }
    digits.insert(digits.begin(), static_cast<char>('0' + remainder));
  }
  while (digits.size() <= static_cast<size_t>(d.scale)) digits.insert(digits.begin(), '0');
  std::string whole = digits.substr(0, digits.size() - static_cast<size_t>(d.scale));
  std::string fraction = digits.substr(digits.size() - static_cast<size_t>(d.scale));
  while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
  return (negative ? "-" : "") + whole + (fraction.empty() ? "" : "." + fraction);
}

void value_to_proto(const engine::Type& type, const Value& v, zetasql::ValueProto& out,
                    const std::string& where) {
  if (v.null) return;
  const std::string& t = v.text;
  switch (type.kind) {
    case Type::kString:
      out.set_string_value(t);
      return;
    case Type::kBytes:
      out.set_bytes_value(t);
      return;
    case Type::kJson:
      out.set_json_value(t);
      return;
    case Type::kInt64: {
      int64_t x = 0;
      auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), x);
      if (ec != std::errc() || end != t.data() + t.size()) bad_value(where, type, t);
      out.set_int64_value(x);
      return;
    }
    case Type::kNumeric: {
      auto bytes = decimal_bytes(t, kNumericEncoding);
      if (!bytes) bad_value(where, type, t);
      out.set_numeric_value(*bytes);
      return;
    }
    case Type::kBigNumeric: {
      auto bytes = decimal_bytes(t, kBigNumericEncoding);
      if (!bytes) bad_value(where, type, t);
      out.set_bignumeric_value(*bytes);
      return;
    }
    case Type::kFloat64: {
      std::string lower = syntax::to_lower(t);
      if (lower == "nan") {
        out.set_double_value(std::numeric_limits<double>::quiet_NaN());
        return;
      }
      if (lower == "inf" || lower == "+inf" || lower == "-inf") {
        double inf = std::numeric_limits<double>::infinity();
        out.set_double_value(lower[0] == '-' ? -inf : inf);
        return;
      }
      char* end = nullptr;
      double x = std::strtod(t.c_str(), &end);
      if (t.empty() || end != t.c_str() + t.size()) bad_value(where, type, t);
      out.set_double_value(x);
      return;
    }
    case Type::kBool: {
      std::string lower = syntax::to_lower(t);
      if (lower != "true" && lower != "false") bad_value(where, type, t);
      out.set_bool_value(lower == "true");
      return;
    }
    case Type::kDate: {
      size_t used = 0;
      auto d = parse_civil_date(t, &used);
      if (!d || used != t.size()) bad_value(where, type, t);
      out.set_date_value(static_cast<int32_t>(d->time_since_epoch().count()));
      return;
    }
    case Type::kTimestamp:
    case Type::kDatetime: {
      size_t used = 0;
      auto d = parse_civil_date(t, &used);
      if (!d) bad_value(where, type, t);
      int64_t seconds = 0;
      int nanos = 0;
      if (used < t.size()) {
        if (t[used] != ' ' && t[used] != 'T') bad_value(where, type, t);
        size_t clock_used = 0;
        auto clock = parse_clock(std::string_view(t).substr(used + 1), &clock_used);
        if (!clock) bad_value(where, type, t);
        seconds = clock->first;
        nanos = clock->second;
        used += 1 + clock_used;
      }
      std::string zone = base::trim(std::string_view(t).substr(used));
      int64_t offset = 0;
      if (type.kind == Type::kTimestamp && !zone.empty() && zone != "Z" && zone != "UTC") {
        int hh = 0, mm = 0;
        char sign = zone[0];
        if ((sign != '+' && sign != '-') ||
            std::sscanf(zone.c_str() + 1, "%2d:%2d", &hh, &mm) < 1) {
          bad_value(where, type, t);
        }
        offset = (sign == '-' ? -1 : 1) * (hh * 3600 + mm * 60);
      } else if (type.kind == Type::kDatetime && !zone.empty()) {
        bad_value(where, type, t);
      }
      if (type.kind == Type::kTimestamp) {
        auto* ts = out.mutable_timestamp_value();
        ts->set_seconds(d->time_since_epoch().count() * 86400 + seconds - offset);
        ts->set_nanos(nanos);
      } else {
        std::chrono::year_month_day ymd(*d);
        int64_t packed = (static_cast<int64_t>(static_cast<int>(ymd.year())) << 26) |
                         (static_cast<int64_t>(static_cast<unsigned>(ymd.month())) << 22) |
                         (static_cast<int64_t>(static_cast<unsigned>(ymd.day())) << 17) |
                         ((seconds / 3600) << 12) | ((seconds / 60 % 60) << 6) | (seconds % 60);
        out.mutable_datetime_value()->set_bit_field_datetime_seconds(packed);
        out.mutable_datetime_value()->set_nanos(nanos);
      }
      return;
    }
    case Type::kTime: {
      size_t used = 0;
      auto clock = parse_clock(t, &used);
      if (!clock || used != t.size()) bad_value(where, type, t);
      int64_t s = clock->first;
      out.set_time_value(((s / 3600) << 42) | ((s / 60 % 60) << 36) | ((s % 60) << 30) |
                         clock->second);
      return;
    }
    case Type::kArray: {
      auto* a = out.mutable_array_value();
      for (const auto& item : v.items) {
        value_to_proto(type.element.front(), item, *a->add_element(), where);
      }
      return;
    }
    case Type::kStruct: {
      if (v.items.size() != type.fields.size()) {
        throw base::Error(where, 0, 0,
                          fmt::format("a {} value needs {} fields, got {}", type.sql(),
                                      type.fields.size(), v.items.size()));
      }
      auto* st = out.mutable_struct_value();
      for (size_t i = 0; i < v.items.size(); ++i) {
        value_to_proto(type.fields[i].type, v.items[i], *st->add_field(), where);
      }
      return;
    }
    default:
      throw base::Error(
          where, 0, 0,
          fmt::format("values of type {} cannot be given to the engine yet", type.sql()));
  }
}

engine::Type type_from_proto(const zetasql::TypeProto& t) {
  engine::Type out = scalar(kind_of(t.type_kind()));
  if (out.kind == Type::kArray) {
    out.element.push_back(type_from_proto(t.array_type().element_type()));
  } else if (out.kind == Type::kStruct) {
    for (const auto& f : t.struct_type().field()) {
      out.fields.push_back(Field{f.field_name(), type_from_proto(f.field_type())});
    }
  }
  return out;
}

std::string format_double(double x) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x < 0 ? "-inf" : "inf";
  return fmt::format("{}", x);
}

Value value_from_proto(const engine::Type& type, const zetasql::ValueProto& v) {
  if (v.value_case() == zetasql::ValueProto::VALUE_NOT_SET) return Value{};
  switch (v.value_case()) {
    case zetasql::ValueProto::kStringValue:
      return Value::of(v.string_value());
    case zetasql::ValueProto::kBytesValue:
      return Value::of(v.bytes_value());
    case zetasql::ValueProto::kJsonValue:
      return Value::of(v.json_value());
    case zetasql::ValueProto::kInt64Value:
      return Value::of(std::to_string(v.int64_value()));
    case zetasql::ValueProto::kInt32Value:
      return Value::of(std::to_string(v.int32_value()));
    case zetasql::ValueProto::kNumericValue:
      return Value::of(decimal_text(v.numeric_value(), kNumericEncoding));
    case zetasql::ValueProto::kBignumericValue:
      return Value::of(decimal_text(v.bignumeric_value(), kBigNumericEncoding));
    case zetasql::ValueProto::kDoubleValue:
      return Value::of(format_double(v.double_value()));
    case zetasql::ValueProto::kBoolValue:
      return Value::of(v.bool_value() ? "true" : "false");
    case zetasql::ValueProto::kDateValue:
      return Value::of(format_date(Days(std::chrono::days(v.date_value()))));
    case zetasql::ValueProto::kTimestampValue: {
      int64_t s = v.timestamp_value().seconds();
      int64_t day = s >= 0 ? s / 86400 : -((-s + 86399) / 86400);
      return Value::of(format_date(Days(std::chrono::days(day))) + " " +
                       format_clock(s - day * 86400, v.timestamp_value().nanos()) + "+00");
    }
    case zetasql::ValueProto::kDatetimeValue: {
      int64_t p = v.datetime_value().bit_field_datetime_seconds();
      std::chrono::year_month_day ymd{std::chrono::year(static_cast<int>(p >> 26)),
                                      std::chrono::month(static_cast<unsigned>((p >> 22) & 0xF)),
                                      std::chrono::day(static_cast<unsigned>((p >> 17) & 0x1F))};
      int64_t seconds = ((p >> 12) & 0x1F) * 3600 + ((p >> 6) & 0x3F) * 60 + (p & 0x3F);
      return Value::of(format_date(Days(ymd)) + " " +
                       format_clock(seconds, v.datetime_value().nanos()));
    }
    case zetasql::ValueProto::kTimeValue: {
      int64_t p = v.time_value();
      int64_t seconds = ((p >> 42) & 0x1F) * 3600 + ((p >> 36) & 0x3F) * 60 + ((p >> 30) & 0x3F);
      return Value::of(format_clock(seconds, static_cast<int>(p & 0x3FFFFFFF)));
    }
    case zetasql::ValueProto::kArrayValue: {
      std::vector<Value> items;
      const engine::Type& element = type.element.empty() ? type : type.element.front();
      for (const auto& e : v.array_value().element()) items.push_back(value_from_proto(element, e));
      return Value::list(std::move(items));
    }
    case zetasql::ValueProto::kStructValue: {
      std::vector<Value> items;
      for (int i = 0; i < v.struct_value().field_size(); ++i) {
        engine::Type field =
            i < static_cast<int>(type.fields.size()) ? type.fields[i].type : scalar(Type::kUnknown);
        items.push_back(value_from_proto(field, v.struct_value().field(i)));
      }
      return Value::list(std::move(items));
    }
    default:
      throw base::Error::internal(fmt::format(
          "GoogleSQL's engine returned a {} value, which shredmit cannot read yet", type.sql()));
  }
}

}  // namespace

std::optional<std::string> value_error(const engine::Type& type, const Value& value) {
  zetasql::ValueProto scratch;
  try {
    value_to_proto(type, value, scratch, "");
  } catch (const base::Error& e) {
    return std::string(e.what());
  }
  return std::nullopt;
}

Value Value::of(std::string text) {
  Value v;
  v.null = false;
  v.text = std::move(text);
  return v;
}

Value Value::list(std::vector<Value> items) {
  Value v;
  v.null = false;
  v.items = std::move(items);
  return v;
}

Verdict analyze(std::string_view sql, const Catalog& catalog,
                const std::vector<Parameter>& parameters) {
  Server& server = Server::get();
  Prepared p = prepare(server, sql, catalog, parameters, true);
  return analyze_prepared(server, p, p.statements);
}

std::vector<Verdict> analyze_each(std::string_view sql, const Catalog& catalog,
                                  const std::vector<Parameter>& parameters) {
  Server& server = Server::get();
  Prepared p = prepare(server, sql, catalog, parameters, true);
  zetasql::SimpleCatalogProto root = p.root;
  std::vector<Verdict> out;
  for (const auto& statement : p.statements) {
    p.root = root;  // what one statement defines is not defined for the next
    out.push_back(analyze_prepared(server, p, {statement}));
  }
  return out;
}

namespace {

// "User-defined function NAME has no evaluator": the evaluator's words for a JavaScript call.
std::optional<std::string> javascript_call(const std::string& message) {
  static const std::regex kNoEvaluator(R"(function (\S+) has no evaluator)");
  std::smatch m;
  if (std::regex_search(message, m, kNoEvaluator)) return m[1].str();
  return std::nullopt;
}

}  // namespace

Evaluation evaluate(std::string_view sql, const Catalog& catalog,
                    const std::map<std::string, std::vector<std::vector<Value>>>& contents,
                    const std::vector<Binding>& parameters) {
  Server& server = Server::get();
  std::vector<Parameter> declared;
  for (const auto& b : parameters) declared.push_back(b.parameter);
  Prepared p = prepare(server, sql, catalog, declared, true);
  Evaluation result;
  // Analyzed first, statement by statement, so that refusals are located in the whole text and
  // the temporary functions are in the catalog.
  result.verdict = analyze_prepared(server, p, p.statements);
  if (!result.verdict.accepted()) return result;

  ls::EvaluateQueryRequest request;
  size_t offset = p.statements.back().first;
  request.set_sql(p.text.substr(offset));
  *request.mutable_options() = p.options;
  for (auto r : server.rewrites()) request.mutable_options()->add_enabled_rewrites(r);
  *request.mutable_simple_catalog() = p.root;
  for (const auto& table : catalog.tables) {
    auto rows = contents.find(table.name);
    ls::TableContent content;
    auto* data = content.mutable_table_data();
    if (rows != contents.end()) {
      for (size_t r = 0; r < rows->second.size(); ++r) {
        const auto& row = rows->second[r];
        std::vector<const Field*> columns;
        for (const auto& c : table.columns) {
          if (!c.name.empty() && holdable(c.type)) columns.push_back(&c);
        }
        if (row.size() != columns.size()) {
          throw base::Error(table.name, 0, 0,
                            fmt::format("row {} has {} values but the table has {} columns", r + 1,
                                        row.size(), columns.size()));
        }
        auto* out = data->add_row();
        for (size_t i = 0; i < columns.size(); ++i) {
          value_to_proto(columns[i]->type, row[i], *out->add_cell(),
                         fmt::format("{}, row {}, column {}", table.name, r + 1, columns[i]->name));
        }
      }
    }
    for (const auto& name : root_names(table.name)) {
      (*request.mutable_table_content())[name] = content;
    }
  }
  for (const auto& b : parameters) {
    auto* param = request.add_params();
    param->set_name(b.parameter.name);
    value_to_proto(b.parameter.type, b.value, *param->mutable_value(),
                   "parameter @" + b.parameter.name);
  }
  ls::EvaluateQueryResponse response;
  grpc::ClientContext context;
  grpc::Status status = server.stub().EvaluateQuery(&context, request, &response);
  if (!status.ok()) {
    if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
      throw base::Error::internal("GoogleSQL's engine stopped answering: " +
                                  status.error_message());
    }
    result.verdict = refused(status.error_message());
    result.failed_while_running = true;
    if (auto name = javascript_call(result.verdict.message)) {
      // The evaluator names the function by its last part; the query's spelling is clearer.
      std::string last = syntax::to_lower(*name);
      std::optional<std::string> spelled;
      for (const auto& dotted : p.javascript) {
        if ((dotted == last || dotted.ends_with("." + last)) &&
            (!spelled || dotted.size() < spelled->size())) {
          spelled = dotted;
        }
      }
      if (spelled) *name = *spelled;
      result.verdict.message = fmt::format(
          "{} is a JavaScript function: GoogleSQL's reference evaluator runs SQL functions only, "
          "so a query calling it cannot run offline",
          *name);
    }
    // Locations are relative to the statement evaluated.
    result.verdict.at = p.located(result.verdict.at, offset);
    return result;
  }
  for (const auto& c : response.prepared().columns()) {
    result.result.columns.push_back(Field{c.name(), type_from_proto(c.type())});
  }
  for (const auto& row : response.content().table_data().row()) {
    std::vector<Value> values;
    for (int i = 0; i < row.cell_size(); ++i) {
      engine::Type t = i < static_cast<int>(result.result.columns.size())
                           ? result.result.columns[i].type
                           : scalar(analysis::Type::kUnknown);
      values.push_back(value_from_proto(t, row.cell(i)));
    }
    result.result.rows.push_back(std::move(values));
  }
  return result;
}

}  // namespace shredmit::engine
