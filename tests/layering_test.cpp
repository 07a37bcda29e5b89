// The layers of README's "Layout" only look down: every project include of every source file must name a
// header of its own layer or of one it may use. An include that points up fails here, so the picture in
// README stays true.
#include <doctest/doctest.h>

#include <cstdlib>
#include <unistd.h>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

// Folder -> the folders its files may include (besides their own). Keep in step with README and the
// DEPS of each synthprobe_layer() in CMakeLists.txt.
const std::map<std::string, std::set<std::string>>& allowed() {
  static const std::map<std::string, std::set<std::string>> rules = [] {
    std::map<std::string, std::set<std::string>> r;
    r["common"] = {};
    r["config"] = {"common"};
    r["probe/engine"] = {"config", "common"};
    r["probe/health"] = {"probe/engine", "config", "common"};
    r["probe/incidents"] = {"probe/health", "probe/engine", "config", "common"};
    r["exporters/store"] = {"probe/incidents", "probe/health", "probe/engine", "config", "common"};
    r["exporters/notify"] = {"exporters/store", "probe/incidents", "probe/health", "probe/engine", "config", "common"};
    r["exporters/metrics"] = {"probe/incidents", "probe/health", "probe/engine", "config", "common"};
    r["exporters/web"] = {"exporters/metrics", "exporters/store", "probe/incidents", "probe/health", "probe/engine",
                          "config", "common"};
    r["exporters/remote_write"] = {"exporters/metrics", "probe/incidents", "probe/health", "probe/engine", "config",
                                   "common"};
    const std::set<std::string> all = {"exporters/web", "exporters/remote_write", "exporters/metrics",
                                       "exporters/notify", "exporters/store",
                                       "probe/incidents", "probe/health", "probe/engine", "config", "common"};
    r["probe/daemon"] = all;
    r["probe/demo"] = all;
    r["probe/demo"].insert("probe/daemon");
    r["probe/cli"] = r["probe/demo"];
    r["probe/cli"].insert("probe/demo");
    return r;
  }();
  return rules;
}

std::string source_dir() {
  const char* d = std::getenv("SYNTHPROBE_SOURCE_DIR");
  REQUIRE(d);
  return d;
}

// The folder (layer) of a path relative to the source root: "probe/engine/x.h" -> "probe/engine".
std::string layer_of(const std::string& relative) {
  const auto slash = relative.rfind('/');
  return slash == std::string::npos ? "" : relative.substr(0, slash);
}

struct Violation {
  std::string file;
  int line;
  std::string include;
};

std::vector<Violation> scan(const fs::path& root) {
  static const std::regex include_re(R"re(^\s*#\s*include\s+"([^"]+)")re");
  std::vector<Violation> out;
  for (const auto& [layer, may_use] : allowed()) {
    const fs::path dir = root / layer;
    if (!fs::is_directory(dir)) continue;
    for (const auto& entry : fs::directory_iterator(dir)) {
      const auto ext = entry.path().extension().string();
      if (ext != ".h" && ext != ".cpp" && ext != ".in") continue;
      std::ifstream in(entry.path());
      std::string text;
      int line_no = 0;
      while (std::getline(in, text)) {
        ++line_no;
        std::smatch m;
        if (!std::regex_search(text, m, include_re)) continue;
        const std::string target = m[1];
        const std::string target_layer = layer_of(target);
        if (!allowed().contains(target_layer)) continue;  // generated headers, tests' own support files
        if (target_layer == layer || may_use.contains(target_layer)) continue;
        out.push_back({fs::relative(entry.path(), root).string(), line_no, target});
      }
    }
  }
  return out;
}

}  // namespace

TEST_CASE("no include points up a layer") {
  const auto violations = scan(source_dir());
  for (const auto& v : violations) FAIL_CHECK(v.file << ":" << v.line << ": includes " << v.include << ", a layer above");
  CHECK(violations.empty());
}

TEST_CASE("the check sees an upward include") {
  const fs::path root = fs::temp_directory_path() / ("layering_test_" + std::to_string(::getpid()));
  fs::create_directories(root / "probe/engine");
  fs::create_directories(root / "exporters/web");
  std::ofstream(root / "probe/engine/bad.cpp") << "#include \"exporters/web/status_page.h\"\n#include \"config/config_model.h\"\n";
  const auto violations = scan(root);
  fs::remove_all(root);
  REQUIRE(violations.size() == 1);
  CHECK(violations[0].file == "probe/engine/bad.cpp");
  CHECK(violations[0].line == 1);
}
