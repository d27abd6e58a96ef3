// The library's trees/tokens.toml declares the trio's tree: parsed, it
// equals core::tokens::reference_tree(TrioConfig()) node by node (the
// reference is core/tokens/trio_tree.cpp).
#include <gtest/gtest.h>

#include <string>

#include "core/tokens/trio_system.hpp"
#include "core/tokens/trio_tree.hpp"
#include "scenarios/library.hpp"
#include "scenarios/tree_file.hpp"

namespace otpsim::scenarios {
namespace {

namespace tree = core::tree;

std::string tokens_file_text() {
  for (const EmbeddedScenario& f : embedded_trees()) {
    if (std::string_view(f.file) == "trees/tokens.toml") return std::string(f.text);
  }
  ADD_FAILURE() << "trees/tokens.toml is not embedded (scenarios/meson.build's library_tree_files)";
  return std::string();
}

tree::TreeSpec parse_tokens_file() {
  core::tokens::register_trio_natives();  // the file names the trio's native workers
  auto parsed = parse_tree_file(tokens_file_text(), "builtin:trees/tokens.toml");
  if (const auto* e = std::get_if<ParseError>(&parsed)) {
    ADD_FAILURE() << e->file << ":" << e->line << ":" << e->column << ": " << e->message;
    return tree::TreeSpec();
  }
  return std::get<tree::TreeSpec>(std::move(parsed));
}

std::string shutdown_text(const std::optional<core::otp::Shutdown>& s) {
  if (!s) return "default";
  if (s->is_brutal_kill()) return "brutal_kill";
  if (s->is_infinity()) return "infinity";
  return std::to_string(s->timeout_us()) + "us";
}

/// Every field of a node but its label (the tree language has no label:
/// the trio's historical labels are set by trio_tree.cpp alone), then its
/// children, in order.
void expect_same_node(const tree::Node& file, const tree::Node& ref, const std::string& path) {
  SCOPED_TRACE(path);
  EXPECT_EQ(file.id, ref.id);
  EXPECT_EQ(file.kind, ref.kind);
  EXPECT_EQ(file.restart, ref.restart);
  EXPECT_EQ(shutdown_text(file.shutdown), shutdown_text(ref.shutdown));
  EXPECT_EQ(file.name, ref.name);
  EXPECT_EQ(file.via_registry, ref.via_registry);
  EXPECT_EQ(file.via_key, ref.via_key);
  EXPECT_EQ(file.strategy, ref.strategy);
  EXPECT_EQ(file.intensity, ref.intensity);
  EXPECT_EQ(file.period_s, ref.period_s);
  EXPECT_EQ(file.max_children, ref.max_children);
  EXPECT_EQ(file.partitions, ref.partitions);
  EXPECT_EQ(file.behaviour, ref.behaviour);
  EXPECT_EQ(file.native, ref.native);
  EXPECT_EQ(file.arg, ref.arg);
  ASSERT_EQ(file.children.size(), ref.children.size());
  for (std::size_t i = 0; i < ref.children.size(); ++i) {
    expect_same_node(file.children[i], ref.children[i], path + "/" + ref.children[i].id);
  }
}

TEST(TrioTreeFile, DeclaresTheReferenceTreeNodeByNode) {
  const tree::TreeSpec file = parse_tokens_file();
  const tree::TreeSpec ref = core::tokens::reference_tree(core::tokens::TrioConfig());
  expect_same_node(file.root, ref.root, ref.root.id);
  ASSERT_EQ(file.templates.size(), ref.templates.size());
  for (const auto& [id, t] : ref.templates) {
    auto it = file.templates.find(id);
    ASSERT_NE(it, file.templates.end()) << "no template " << id;
    expect_same_node(it->second, t, "templates." + id);
  }
  EXPECT_TRUE(file.behaviours.empty()) << "the trio's workers are native";
}

TEST(TrioTreeFile, HasTheReferencePathsAndNatives) {
  const tree::TreeSpec file = parse_tokens_file();
  const tree::TreeSpec ref = core::tokens::reference_tree(core::tokens::TrioConfig());
  EXPECT_EQ(file.paths(), ref.paths());
  ASSERT_NE(file.find("top/ets_owner"), nullptr);
  EXPECT_EQ(file.find("top/ets_owner")->native, core::tokens::ets_owner_native);
  ASSERT_NE(file.find("top/dyn_sup/app_server:a"), nullptr);
  EXPECT_EQ(file.find("top/dyn_sup/app_server:a")->native, core::tokens::app_server_native);
}

}  // namespace
}  // namespace otpsim::scenarios
