// YAML documents read with libyaml (see yaml.h).
#include "yaml.h"

#include <yaml.h>

#include <map>
#include <memory>
#include <vector>

#include "project.h"

namespace shredmit::project::yaml {
namespace {

constexpr size_t kMaxNodes = 1'000'000;
constexpr int kMaxDepth = 256;

bool is_standard_tag(const char* tag) {
  return tag == nullptr || std::string_view(tag).rfind("tag:yaml.org,2002:", 0) == 0;
}

size_t count_nodes(const Node& n) {
  size_t count = 1;
  for (const auto& item : n.items) count += count_nodes(item);
  for (const auto& [key, value] : n.pairs) count += count_nodes(key) + count_nodes(value);
  return count;
}

// Builds the first document's tree from libyaml's events. Events rather than libyaml's own
// document loader so that nesting is refused as soon as it passes kMaxDepth: libyaml's time
// grows with the square of the nesting depth (100,000 nested `[` took 67 s).
class Builder {
 public:
  explicit Builder(const std::filesystem::path& file) : file_(file) {}

  // Feeds one event; returns true once the first document is complete.
  bool add(const yaml_event_t& e) {
    int line = static_cast<int>(e.start_mark.line) + 1;
    int column = static_cast<int>(e.start_mark.column) + 1;
    switch (e.type) {
      case YAML_SCALAR_EVENT: {
        Node n = start(line, column, e.data.scalar.tag);
        n.text.assign(reinterpret_cast<const char*>(e.data.scalar.value), e.data.scalar.length);
        n.plain = e.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        bool null = n.plain && n.tag.empty() &&
                    (n.text.empty() || n.text == "~" || n.text == "null" || n.text == "Null" ||
                     n.text == "NULL");
        if (null) {
          n.text.clear();
        } else {
          n.kind = Node::Kind::kScalar;
        }
        remember(e.data.scalar.anchor, n);
        return finish(std::move(n));
      }
      case YAML_SEQUENCE_START_EVENT:
      case YAML_MAPPING_START_EVENT: {
        bool mapping = e.type == YAML_MAPPING_START_EVENT;
        if (stack_.size() >= kMaxDepth) {
          throw base::Error(file_.string(), line, column,
                            "YAML nested more than 256 levels deep; flatten the structure");
        }
        Frame f;
        f.node =
            start(line, column, mapping ? e.data.mapping_start.tag : e.data.sequence_start.tag);
        f.node.kind = mapping ? Node::Kind::kMapping : Node::Kind::kSequence;
        const yaml_char_t* anchor =
            mapping ? e.data.mapping_start.anchor : e.data.sequence_start.anchor;
        if (anchor) f.anchor = reinterpret_cast<const char*>(anchor);
        stack_.push_back(std::move(f));
        return false;
      }
      case YAML_SEQUENCE_END_EVENT:
      case YAML_MAPPING_END_EVENT: {
        Frame f = std::move(stack_.back());
        stack_.pop_back();
        if (!f.anchor.empty()) anchors_[f.anchor] = f.node;
        return finish(std::move(f.node));
      }
      case YAML_ALIAS_EVENT: {
        auto it = anchors_.find(reinterpret_cast<const char*>(e.data.alias.anchor));
        if (it == anchors_.end()) {
          throw base::Error(file_.string(), line, column,
                            "YAML alias to an unknown anchor; define the anchor first");
        }
        aliased_ = true;
        count(count_nodes(it->second), line, column);
        return finish(Node(it->second));
      }
      case YAML_DOCUMENT_END_EVENT:
      case YAML_STREAM_END_EVENT:
        return true;
      default:
        return false;
    }
  }

  Node take() { return std::move(root_); }

 private:
  struct Frame {
    Node node;
    bool have_key = false;
    Node key;
    std::string anchor;
  };

  Node start(int line, int column, const yaml_char_t* tag) {
    count(1, line, column);
    Node n;
    n.line = line;
    n.column = column;
    const char* t = reinterpret_cast<const char*>(tag);
    if (!is_standard_tag(t)) n.tag = t;
    return n;
  }

  void count(size_t n, int line, int column) {
    nodes_ += n;
    if (nodes_ > kMaxNodes) {
      throw base::Error(file_.string(), line, column,
                        aliased_ ? "YAML aliases expand to more than a million nodes; remove the "
                                   "aliases"
                                 : "the YAML document has more than a million nodes, more than "
                                   "any bigquery-etl file needs (BigQuery allows 10,000 columns "
                                   "in a table); split or shorten it");
    }
  }

  void remember(const yaml_char_t* anchor, const Node& n) {
    if (anchor) anchors_[reinterpret_cast<const char*>(anchor)] = n;
  }

  // Attaches a complete node to its parent; true when it was the document's root.
  bool finish(Node n) {
    if (stack_.empty()) {
      root_ = std::move(n);
      return true;
    }
    Frame& parent = stack_.back();
    if (parent.node.kind == Node::Kind::kSequence) {
      parent.node.items.push_back(std::move(n));
    } else if (!parent.have_key) {
      parent.key = std::move(n);
      parent.have_key = true;
    } else {
      parent.node.pairs.push_back(Entry{std::move(parent.key), std::move(n)});
      parent.key = Node{};
      parent.have_key = false;
    }
    return false;
  }

  const std::filesystem::path& file_;
  std::vector<Frame> stack_;
  std::map<std::string, Node> anchors_;
  Node root_;
  size_t nodes_ = 0;
  bool aliased_ = false;  // an alias was expanded, so the count may come from the aliases
};

}  // namespace

const Entry* Node::entry(std::string_view key) const {
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
    throw base::Error(file.string(), 0, 0, "out of memory while reading YAML");
  }
  std::unique_ptr<yaml_parser_t, void (*)(yaml_parser_t*)> parser_guard(&parser,
                                                                        yaml_parser_delete);
  yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char*>(text.data()),
                               text.size());
  Builder builder(file);
  while (true) {
    yaml_event_t event;
    if (!yaml_parser_parse(&parser, &event)) {
      std::string problem = parser.problem ? parser.problem : "syntax error";
      if (parser.context) problem = std::string(parser.context) + ": " + problem;
      if (parser.error == YAML_READER_ERROR) {
        // libyaml's reader (bad encoding, control characters such as NUL) leaves problem_mark
        // unset and gives the byte offset instead.
        base::Location at = base::location_of(text, parser.problem_offset);
        throw base::Error(file.string(), at.line, at.column,
                          "invalid YAML (" + problem +
                              "); remove the character or save the "
                              "file as UTF-8");
      }
      const yaml_mark_t& mark = parser.problem_mark;
      throw base::Error(file.string(), static_cast<int>(mark.line) + 1,
                        static_cast<int>(mark.column) + 1,
                        "invalid YAML (" + problem + "); fix the YAML syntax");
    }
    std::unique_ptr<yaml_event_t, void (*)(yaml_event_t*)> event_guard(&event, yaml_event_delete);
    if (builder.add(event)) break;
  }
  return builder.take();
}

Node load(const std::filesystem::path& file) { return parse(file, base::read_text_file(file)); }

}  // namespace shredmit::project::yaml
