// `shredmit template list|show|render`: the ping-backfill SQL templates.

#include <CLI/CLI.hpp>
#include <filesystem>
#include <memory>
#include <vector>

#include "cli/command.h"
#include "templates/templates.h"

namespace shredmit::cli {
namespace {

namespace fs = std::filesystem;

struct TemplateOptions {
  std::string format = "text";
  std::string name;
  std::vector<std::string> params;
  std::string output;
};

constexpr const char* kTemplateExitStatusHelp =
    "Exit status:\n"
    "  0  success\n"
    "  2  usage error: an unknown template, or a parameter that is unknown, missing or\n"
    "     invalid (the message names it)\n"
    "  3  internal error (a template that renders invalid SQL is a shredmit bug)\n";

int list_templates(const TemplateOptions& o, std::ostream& out) {
  out << (o.format == "json" ? templates::list_json() : templates::list_text());
  return kExitOk;
}

int show_template(const TemplateOptions& o, std::ostream& out) {
  out << templates::show(templates::find(o.name));
  return kExitOk;
}

int render_template(const TemplateOptions& o, std::ostream& out) {
  const auto& t = templates::find(o.name);
  std::string text = templates::render(t, parse_params(o.params, true));
  if (o.output.empty()) {
    out << text;
  } else {
    base::write_file_atomically(o.output, text);
    out << "wrote " << o.output << "\n";
  }
  return kExitOk;
}

}  // namespace

// See command.h.
void add_template(CLI::App& app, std::vector<Command>& commands) {
  auto tmpl_ptr = std::make_shared<TemplateOptions>();
  TemplateOptions& tmpl = *tmpl_ptr;
  auto* template_cmd = app.add_subcommand(
      "template", "The ping-backfill SQL and shell templates: list, show and render them");
  template_cmd->footer(kTemplateExitStatusHelp);
  template_cmd->require_subcommand(1);
  auto* template_list =
      template_cmd->add_subcommand("list", "Each template with its description and parameters");
  template_list
      ->add_option("--format", tmpl.format,
                   "text, or json: [{name, description, output, parameters: [{name, type, "
                   "required, default, example, description}]}]")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  auto* template_show = template_cmd->add_subcommand("show", "A template's documentation");
  template_show->add_option("name", tmpl.name, "the template")->required();
  auto* template_render = template_cmd->add_subcommand(
      "render", "Render a template with validated parameters; SQL is parsed before it is printed");
  template_render->add_option("name", tmpl.name, "the template")->required();
  template_render->add_option("--param", tmpl.params, "name=value (repeatable)");
  template_render->add_option("--output,-o", tmpl.output,
                              "write to this file (atomically) instead of standard output");
  commands.push_back({template_list, [tmpl_ptr](std::ostream& out, std::ostream&) {
                        return list_templates(*tmpl_ptr, out);
                      }});
  commands.push_back({template_show, [tmpl_ptr](std::ostream& out, std::ostream&) {
                        return show_template(*tmpl_ptr, out);
                      }});
  commands.push_back({template_render, [tmpl_ptr](std::ostream& out, std::ostream&) {
                        return render_template(*tmpl_ptr, out);
                      }});
}

}  // namespace shredmit::cli
