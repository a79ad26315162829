// shredmit project, internal: a YAML document as a tree of nodes with their positions and tags,
// read with libyaml. Only project.cpp includes this header; the rest of shredmit sees the
// models in project.h.
//
// libyaml rather than yaml-cpp: reading the ~5 MB of schema.yaml and metadata.yaml files in the
// public bigquery-etl tree took 1.45 s with yaml-cpp 0.7 and 0.19 s with libyaml 0.2.5 on this
// machine, and `shredmit lint` must check the whole tree in under 2 s (issue 4).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace shredmit::project::yaml {

struct Entry;

struct Node {
  enum class Kind { kNull, kScalar, kSequence, kMapping };
  Kind kind = Kind::kNull;
  // A local tag as written ("!include-field-description"); empty for untagged nodes and the
  // standard tags.
  std::string tag;
  std::string text;          // the scalar's value (empty for other kinds)
  bool plain = false;        // a plain (unquoted) scalar
  std::vector<Node> items;   // sequence items
  std::vector<Entry> pairs;  // mapping entries in file order
  int line = 0;              // 1-based position of the node's first character
  int column = 0;

  bool is_scalar() const { return kind == Kind::kScalar; }
  bool is_sequence() const { return kind == Kind::kSequence; }
  bool is_mapping() const { return kind == Kind::kMapping; }
  // The value of the mapping entry whose key is the scalar `key`, or null when this is not a
  // mapping or has no such key.
  const Node* get(std::string_view key) const;
  // The mapping entry (key node, value node) for `key`, or null.
  const Entry* entry(std::string_view key) const;
  // The scalar text, or "" for a null or a collection.
  const std::string& scalar() const;
  // A YAML 1.1 boolean as PyYAML reads it: true/True/TRUE/yes/Yes/YES/on/On/ON (plain only).
  bool is_true() const;
  // A plain false/no/off in any of PyYAML's spellings.
  bool is_false() const;
};

// A mapping entry. Its own type rather than std::pair<Node, Node>, which Node cannot hold
// while Node is still incomplete (clang rejects it; the standard does not allow it).
struct Entry {
  Node first;   // the key
  Node second;  // the value
};

// Parses `text` (the content of `file`) and returns the first document's root (a null node for
// an empty file). Aliases are expanded. Throws base::Error naming `file` and the line:column of a
// syntax error, of the node where expanding aliases passes one million nodes, or of a node
// nested more than 256 levels deep.
Node parse(const std::filesystem::path& file, std::string_view text);

// read_text_file(file), then parse.
Node load(const std::filesystem::path& file);

}  // namespace shredmit::project::yaml
