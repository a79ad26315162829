// YAML documents read with libyaml (see yaml.h).
#include "yaml.h"

#include <yaml.h>

#include <memory>

#include "project.h"

namespace shredmit::project::yaml {
namespace {

constexpr size_t kMaxNodes = 1'000'000;

bool is_standard_tag(const char* tag) {
  return tag == nullptr || std::string_view(tag).rfind("tag:yaml.org,2002:", 0) == 0;
}

class Converter {
 public:
  Converter(yaml_document_t* doc, const std::filesystem::path& file) : doc_(doc), file_(file) {}

  Node convert(yaml_node_t* n) {
    Node out;
    out.line = static_cast<int>(n->start_mark.line) + 1;
    out.column = static_cast<int>(n->start_mark.column) + 1;
    if (++count_ > kMaxNodes) {
      throw UserError(file_.string(), out.line, out.column,
                      "YAML aliases expand to more than a million nodes; remove the aliases");
    }
    const char* tag = reinterpret_cast<const char*>(n->tag);
    if (!is_standard_tag(tag)) out.tag = tag;
    switch (n->type) {
      case YAML_SCALAR_NODE: {
        out.text.assign(reinterpret_cast<const char*>(n->data.scalar.value), n->data.scalar.length);
        out.plain = n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        bool null = out.plain && out.tag.empty() &&
                    (out.text.empty() || out.text == "~" || out.text == "null" ||
                     out.text == "Null" || out.text == "NULL");
        if (null) {
          out.text.clear();
        } else {
          out.kind = Node::Kind::kScalar;
        }
        break;
      }
      case YAML_SEQUENCE_NODE:
        out.kind = Node::Kind::kSequence;
        for (auto* it = n->data.sequence.items.start; it < n->data.sequence.items.top; ++it) {
          out.items.push_back(convert(yaml_document_get_node(doc_, *it)));
        }
        break;
      case YAML_MAPPING_NODE:
        out.kind = Node::Kind::kMapping;
        for (auto* p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; ++p) {
          Node key = convert(yaml_document_get_node(doc_, p->key));
          Node value = convert(yaml_document_get_node(doc_, p->value));
          out.pairs.emplace_back(std::move(key), std::move(value));
        }
        break;
      default:
        break;
    }
    return out;
  }

 private:
  yaml_document_t* doc_;
  const std::filesystem::path& file_;
  size_t count_ = 0;
};

}  // namespace

const std::pair<Node, Node>* Node::entry(std::string_view key) const {
  for (const auto& p : pairs) {
    if (p.first.kind == Kind::kScalar && p.first.text == key) return &p;
  }
  return nullptr;
}

const Node* Node::get(std::string_view key) const {
  const auto* e = entry(key);
  return e ? &e->second : nullptr;
}

const std::string& Node::scalar() const { return text; }

bool Node::is_true() const {
  if (kind != Kind::kScalar || !plain) return false;
  for (const char* s : {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"}) {
    if (text == s) return true;
  }
  return false;
}

bool Node::is_false() const {
  if (kind != Kind::kScalar || !plain) return false;
  for (const char* s : {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"}) {
    if (text == s) return true;
  }
  return false;
}

Node parse(const std::filesystem::path& file, std::string_view text) {
  yaml_parser_t parser;
  if (!yaml_parser_initialize(&parser)) {
    throw UserError(file.string(), 0, 0, "out of memory while reading YAML");
  }
  std::unique_ptr<yaml_parser_t, void (*)(yaml_parser_t*)> parser_guard(&parser,
                                                                        yaml_parser_delete);
  yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char*>(text.data()),
                               text.size());
  yaml_document_t doc;
  if (!yaml_parser_load(&parser, &doc)) {
    const yaml_mark_t& mark = parser.problem_mark;
    std::string problem = parser.problem ? parser.problem : "syntax error";
    if (parser.context) problem = std::string(parser.context) + ": " + problem;
    throw UserError(file.string(), static_cast<int>(mark.line) + 1,
                    static_cast<int>(mark.column) + 1,
                    "invalid YAML (" + problem + "); fix the YAML syntax");
  }
  std::unique_ptr<yaml_document_t, void (*)(yaml_document_t*)> doc_guard(&doc,
                                                                         yaml_document_delete);
  yaml_node_t* root = yaml_document_get_root_node(&doc);
  if (root == nullptr) return Node{};
  return Converter(&doc, file).convert(root);
}

Node load(const std::filesystem::path& file) { return parse(file, read_text_file(file)); }

}  // namespace shredmit::project::yaml
