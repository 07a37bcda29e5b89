// What `make package` and `make install` give a user. CPack runs on this build tree (as `make package`
// does, into a temporary folder), dpkg-deb unpacks the .deb into a temporary root, and there: the control
// fields (every shared library the binary links comes from a package it depends on, as dpkg -S says), the
// files, the binary's --version and check-config on the packaged configs, the man page, the systemd unit
// (its paths, its hardening, `systemd-analyze verify` and `security` when systemd-analyze exists), and the
// example Prometheus and Alertmanager configs checked by promtool and amtool against the packaged rules.
// Then `cmake --install` with DESTDIR and two prefixes: the config lands where the unit looks for it, and
// an edited config survives a second install.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/deploy_files.h"
#include "tests/support/temp_dir.h"

using namespace synthprobe::testing;
namespace fs = std::filesystem;

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  REQUIRE_MESSAGE(v, name << " is set by ctest (tests/CMakeLists.txt)");
  return v;
}

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\n") - b + 1);
}

std::string run(const std::string& command, int expected_status = 0) {
  std::string out;
  const int status = run_command(command, &out);
  CHECK_MESSAGE(status == expected_status, command << " exited " << status << "\n" << out);
  return out;
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, separator);)
    if (!trim(item).empty()) out.push_back(trim(item));
  return out;
}

// "Key=value" lines of a unit, every value of each key in order.
std::map<std::string, std::vector<std::string>> unit_settings(const std::string& text) {
  std::map<std::string, std::vector<std::string>> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#' || line[0] == '[') continue;
    const auto eq = line.find('=');
    if (eq != std::string::npos) out[line.substr(0, eq)].push_back(line.substr(eq + 1));
  }
  return out;
}

std::string first(const std::map<std::string, std::vector<std::string>>& settings, const std::string& key) {
  auto it = settings.find(key);
  return it == settings.end() || it->second.empty() ? "<unset>" : it->second.front();
}

// The .deb built once per run of this test, and unpacked.
struct Package {
  TempDir dir;
  std::string deb;
  fs::path root;
  fs::path control_dir;                        // the control archive: control, conffiles, maintainer scripts
  std::map<std::string, std::string> control;  // field -> value
  std::string conffiles;
};

const Package& package() {
  static std::unique_ptr<Package> made;
  if (made) return *made;
  auto p = std::make_unique<Package>();
  const fs::path out = p->dir.path() / "out";
  std::string log;
  const std::string cpack = quote(env("SYNTHPROBE_CPACK")) + " --config " +
                            quote(env("SYNTHPROBE_BUILD_DIR") + "/CPackConfig.cmake") + " -G DEB -B " + quote(out.string());
  REQUIRE_MESSAGE(run_command(cpack, &log) == 0, cpack << "\n" << log);
  for (const auto& entry : fs::directory_iterator(out))
    if (entry.path().extension() == ".deb") {
      REQUIRE_MESSAGE(p->deb.empty(), "more than one .deb: " << p->deb << ", " << entry.path());
      p->deb = entry.path().string();
    }
  REQUIRE_MESSAGE(!p->deb.empty(), log);
  p->root = p->dir.path() / "root";
  REQUIRE_MESSAGE(run_command("dpkg-deb -x " + quote(p->deb) + " " + quote(p->root.string()), &log) == 0, log);
  const fs::path control_dir = p->control_dir = p->dir.path() / "control";
  REQUIRE_MESSAGE(run_command("dpkg-deb -e " + quote(p->deb) + " " + quote(control_dir.string()), &log) == 0, log);
  // The control file: "Field: value" lines, continuation lines start with a space.
  std::istringstream in(read_text_file((control_dir / "control").string()));
  std::string field;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] == ' ') {
      p->control[field] += "\n" + line;
    } else if (const auto colon = line.find(':'); colon != std::string::npos) {
      field = line.substr(0, colon);
      p->control[field] = trim(line.substr(colon + 1));
    }
  }
  if (fs::exists(control_dir / "conffiles")) p->conffiles = read_text_file((control_dir / "conffiles").string());
  made = std::move(p);
  return *made;
}

std::string version_of_build() {
  std::string out;
  REQUIRE(run_command(quote(env("SYNTHPROBE_BIN")) + " --version", &out) == 0);
  std::smatch m;
  REQUIRE_MESSAGE(std::regex_match(out, m, std::regex(R"(synthprobe (\S+)\n)")), out);
  return m[1];
}

}  // namespace

TEST_CASE("the .deb: control fields, and a dependency for every shared library the binary links") {
  const Package& p = package();
  INFO(p.deb);
  CHECK(p.control.at("Package") == "synthprobe");
  CHECK(p.control.at("Version") == version_of_build());
  CHECK(p.control.at("Architecture") == trim(run("dpkg --print-architecture")));
  CHECK(std::regex_match(p.control.at("Maintainer"), std::regex(R"(.+ <[^@ ]+@[^@ ]+>)")));
  CHECK(p.control.at("Description").find("synthetic monitoring probe") == 0);
  CHECK(fs::path(p.deb).filename() ==
        "synthprobe_" + p.control.at("Version") + "_" + p.control.at("Architecture") + ".deb");
  CHECK(trim(p.conffiles) == "/etc/synthprobe/synthprobe.toml");
  for (const char* script : {"postinst", "prerm", "postrm"}) {
    CAPTURE(script);
    CHECK((fs::status(p.control_dir / script).permissions() & fs::perms::owner_exec) != fs::perms::none);
    CHECK(run("sh -n " + quote((p.control_dir / script).string())) == "");
  }

  std::set<std::string> depends;
  for (const std::string& d : split(p.control.at("Depends"), ','))
    depends.insert(d.substr(0, d.find_first_of(" (")));
  // Each is a real package name: installed here, since the build and the tests need them all.
  for (const std::string& d : depends) {
    CAPTURE(d);
    CHECK(run("dpkg-query -W -f='${Status}' " + quote(d)) == "install ok installed");
  }
  CHECK(depends.contains("ca-certificates"));  // HTTPS checks trust the system's CA bundle
  CHECK(depends.contains("tzdata"));           // maintenance windows read zone rules

  // Each NEEDED entry of the packaged binary, resolved as the loader resolves it, belongs to a package in
  // Depends. (Under SANITIZE=1 the sanitizer runtimes are linked too: those are not for users.)
  const std::string binary = (p.root / "usr/bin/synthprobe").string();
  const std::string dynamic = run("readelf -d " + quote(binary));
  const std::string ldd = run("ldd " + quote(binary));
  std::size_t needed = 0;
  static const std::regex needed_line(R"(\(NEEDED\)\s+Shared library: \[([^\]]+)\])");
  for (auto it = std::sregex_iterator(dynamic.begin(), dynamic.end(), needed_line); it != std::sregex_iterator(); ++it) {
    const std::string soname = (*it)[1];
    if (std::regex_search(soname, std::regex("^lib(asan|ubsan|tsan|lsan)\\."))) continue;
    ++needed;
    CAPTURE(soname);
    std::smatch m;
    REQUIRE_MESSAGE(std::regex_search(ldd, m, std::regex("\\s" + std::regex_replace(soname, std::regex(R"([.+])"), R"(\$&)") +
                                                         R"( => (\S+))")),
                    ldd);
    // dpkg knows each file by the path its package ships (/lib or /usr/lib, before and after merged /usr).
    const std::string path = fs::canonical(m[1].str()).string();
    std::string owner;
    for (const std::string& candidate : {path, path.starts_with("/usr/") ? path.substr(4) : "/usr" + path, m[1].str()}) {
      std::string out;
      if (run_command("dpkg -S " + quote(candidate), &out) == 0) {
        owner = out.substr(0, out.find_first_of(":,"));
        break;
      }
    }
    REQUIRE_MESSAGE(!owner.empty(), "no package owns " << path);
    CHECK_MESSAGE(depends.contains(owner), soname << " comes from " << owner << ", which Depends (" << p.control.at("Depends")
                                                  << ") lacks");
  }
  CHECK(needed >= 10);
}

TEST_CASE("the .deb: its files, and the packaged binary runs on the packaged configs") {
  const Package& p = package();
  for (const char* file : {"usr/bin/synthprobe", "usr/share/man/man1/synthprobe.1.gz", "usr/lib/systemd/system/synthprobe.service",
                           "etc/synthprobe/synthprobe.toml", "usr/share/doc/synthprobe/README.md",
                           "usr/share/doc/synthprobe/examples/minimal.toml", "usr/share/doc/synthprobe/examples/full.toml",
                           "usr/share/synthprobe/prometheus/synthprobe-rules.yml",
                           "usr/share/synthprobe/prometheus/synthprobe-slo-objectives.yml",
                           "usr/share/synthprobe/prometheus/synthprobe-rules.test.yml",
                           "usr/share/synthprobe/prometheus/synthprobe-slo.test.yml",
                           "usr/share/synthprobe/prometheus/scrape.example.yml",
                           "usr/share/synthprobe/alertmanager/alertmanager.example.yml",
                           "usr/share/synthprobe/grafana/synthprobe-dashboard.json"})
    CHECK_MESSAGE(fs::is_regular_file(p.root / file), std::string(file));
  // Every rule file under deploy/prometheus ships.
  for (const std::string& rules : shipped_rule_files())
    CHECK_MESSAGE(fs::exists(p.root / "usr/share/synthprobe/prometheus" / fs::path(rules).filename()), rules);
  CHECK((fs::status(p.root / "usr/bin/synthprobe").permissions() & fs::perms::owner_exec) != fs::perms::none);

  const std::string bin = quote((p.root / "usr/bin/synthprobe").string());
  CHECK(run(bin + " --version") == "synthprobe " + p.control.at("Version") + "\n");
  CHECK(run(bin + " --help").find("check-config FILE") != std::string::npos);
  CHECK(run(bin + " check-config " + quote((p.root / "etc/synthprobe/synthprobe.toml").string())) == "ok: 1 checks, 0 flows\n");
  const fs::path examples = p.root / "usr/share/doc/synthprobe/examples";
  CHECK(run(bin + " check-config " + quote((examples / "minimal.toml").string())).find("ok: 2 checks") != std::string::npos);
  // full.toml takes its secrets from the environment.
  CHECK(run("SHOP_PW=pw API_TOKEN=t PD_ROUTING_KEY=k OPSGENIE_API_KEY=o WEBHOOK_TOKEN=w "
            "SLACK_WEBHOOK_URL=https://hooks.example.com/x " +
            bin + " check-config " + quote((examples / "full.toml").string()))
            .find("ok: ") != std::string::npos);
  // A broken config is refused with the contract's exit status.
  TempDir scratch;
  const std::string broken = scratch.write("broken.toml", "[probe]\nnmae = \"x\"\n");
  CHECK(run(bin + " check-config " + quote(broken), 2).find("broken.toml:2:1:") != std::string::npos);
}

TEST_CASE("the .deb: the man page renders without warnings and covers every command") {
  const Package& p = package();
  const std::string page = quote((p.root / "usr/share/man/man1/synthprobe.1.gz").string());
  CHECK(run("zcat " + page + " | groff -man -Tutf8 -ww -z") == "");
  const std::string text = run("zcat " + page + " | groff -man -Tutf8 -P-c -P-b -P-u 2>&1");
  for (const char* command : {"run --config FILE", "once --config FILE", "check-config FILE", "demo [--listen ADDR]", "comms --config FILE", "drill --config FILE", "report --config FILE",
                              "--version", "EXIT STATUS", "SIGHUP", "/etc/synthprobe/synthprobe.toml", "/var/lib/synthprobe"})
    CHECK_MESSAGE(text.find(command) != std::string::npos, std::string(command) << " missing in\n" << text);
  CHECK(text.find("synthprobe " + p.control.at("Version")) != std::string::npos);
  CHECK(text.find("@PROJECT_VERSION@") == std::string::npos);
}

TEST_CASE("the .deb: the systemd unit runs the packaged binary on the packaged config, hardened") {
  const Package& p = package();
  const std::string unit = read_text_file((p.root / "usr/lib/systemd/system/synthprobe.service").string());
  const auto s = unit_settings(unit);
  CHECK(first(s, "ExecStart") == "/usr/bin/synthprobe run --config /etc/synthprobe/synthprobe.toml");
  CHECK(first(s, "ExecReload") == "/bin/kill -HUP $MAINPID");
  CHECK(first(s, "Restart") == "on-failure");
  CHECK(first(s, "DynamicUser") == "yes");
  CHECK(first(s, "StateDirectory") == "synthprobe");
  CHECK(first(s, "ProtectSystem") == "strict");
  CHECK(first(s, "NoNewPrivileges") == "yes");
  CHECK(first(s, "CapabilityBoundingSet").empty());
  CHECK(std::stoi(first(s, "LimitNOFILE")) >= 3 * 1000 + 64);  // max_in_flight's default, README "Open files"
  CHECK(first(s, "WantedBy") == "multi-user.target");
  // The config the unit names says state_dir is the unit's StateDirectory.
  const std::string config = read_text_file((p.root / "etc/synthprobe/synthprobe.toml").string());
  CHECK(std::regex_search(config, std::regex("\\nstate_dir = \"/var/lib/" + first(s, "StateDirectory") + "\"")));

  if (!fs::exists("/usr/bin/systemd-analyze")) {
    MESSAGE("skipped systemd-analyze verify: /usr/bin/systemd-analyze is missing (Debian package systemd)");
    return;
  }
  // verify checks that ExecStart's binary exists and that `man synthprobe` works: point both at the
  // unpacked package.
  TempDir scratch;
  const std::string copy = scratch.write(
      "synthprobe.service", std::regex_replace(unit, std::regex("/usr/bin/synthprobe"), (p.root / "usr/bin/synthprobe").string()));
  CHECK(run("MANPATH=" + quote((p.root / "usr/share/man").string()) + " systemd-analyze verify " + quote(copy)) == "");
  // The exposure score systemd computes from the sandboxing settings (0 best, 10 worst): 2 or less.
  CHECK(run("systemd-analyze security --offline=yes --threshold=20 " + quote(copy)).find("Overall exposure level") !=
        std::string::npos);
}

TEST_CASE("the .deb: the example scrape and Alertmanager configs pass promtool and amtool with the packaged rules") {
  const Package& p = package();
  const fs::path share = p.root / "usr/share/synthprobe";
  // The example loads the rules where the package puts them, and the objectives where README says to copy
  // them: both rewritten into the unpacked root, so promtool checks the paths and the rules behind them.
  std::string scrape = read_text_file((share / "prometheus/scrape.example.yml").string());
  CHECK(scrape.find("- /usr/share/synthprobe/prometheus/synthprobe-rules.yml\n") != std::string::npos);
  CHECK(scrape.find("- /etc/prometheus/synthprobe-slo-objectives.yml\n") != std::string::npos);
  scrape = std::regex_replace(scrape, std::regex("/usr/share/synthprobe/"), share.string() + "/");
  scrape = std::regex_replace(scrape, std::regex("/etc/prometheus/synthprobe-slo-objectives.yml"),
                              (share / "prometheus/synthprobe-slo-objectives.yml").string());
  TempDir scratch;
  const std::string out = run("promtool check config " + quote(scratch.write("prometheus.yml", scrape)));
  CHECK_MESSAGE(out.find("SUCCESS: 2 rule files found") != std::string::npos, out);
  const std::string am = run("amtool check-config " + quote((share / "alertmanager/alertmanager.example.yml").string()));
  CHECK_MESSAGE(am.find("SUCCESS") != std::string::npos, am);
  // The route merges by site, as the contract says of Alertmanager.
  CHECK(std::regex_search(read_text_file((share / "alertmanager/alertmanager.example.yml").string()),
                          std::regex(R"(\n  group_by: \[site\]\n)")));
  // The packaged rule tests pass next to the packaged rules.
  for (const char* test : {"synthprobe-rules.test.yml", "synthprobe-slo.test.yml"})
    run("cd " + quote((share / "prometheus").string()) + " && promtool test rules " + test);
}

TEST_CASE("make install: DESTDIR and the prefix decide every path; the unit names them; an edited config stays") {
  const std::string cmake = quote(env("SYNTHPROBE_CMAKE"));
  const std::string build = quote(env("SYNTHPROBE_BUILD_DIR"));
  struct Layout {
    std::string prefix, etc;
  };
  for (const Layout& l : {Layout{"/usr/local", "/usr/local/etc"}, Layout{"/usr", "/etc"}, Layout{"/opt/synthprobe", "/etc/opt/synthprobe"}}) {
    CAPTURE(l.prefix);
    TempDir dest;
    const std::string install = "DESTDIR=" + quote(dest.path().string()) + " " + cmake + " --install " + build + " --prefix " + l.prefix;
    const std::string log = run(install);
    const fs::path root = dest.path();
    auto in_root = [&](const std::string& path) { return root / path.substr(1); };
    CHECK(fs::is_regular_file(in_root(l.prefix + "/bin/synthprobe")));
    CHECK(fs::is_regular_file(in_root(l.prefix + "/share/man/man1/synthprobe.1.gz")));
    CHECK(fs::is_regular_file(in_root(l.prefix + "/share/synthprobe/prometheus/synthprobe-rules.yml")));
    CHECK(fs::is_regular_file(in_root(l.prefix + "/share/doc/synthprobe/examples/full.toml")));
    const fs::path config = in_root(l.etc + "/synthprobe/synthprobe.toml");
    REQUIRE_MESSAGE(fs::is_regular_file(config), log);
    const auto unit = unit_settings(read_text_file(in_root(l.prefix + "/lib/systemd/system/synthprobe.service").string()));
    CHECK(first(unit, "ExecStart") == l.prefix + "/bin/synthprobe run --config " + l.etc + "/synthprobe/synthprobe.toml");
    // The manifest lists each file with its final path (what a package or an uninstall would use).
    const std::vector<std::string> manifest = split(read_text_file(env("SYNTHPROBE_BUILD_DIR") + "/install_manifest.txt"), '\n');
    for (const std::string& file : {l.prefix + "/bin/synthprobe", l.prefix + "/lib/systemd/system/synthprobe.service",
                                    l.etc + "/synthprobe/synthprobe.toml"})
      CHECK_MESSAGE(std::find(manifest.begin(), manifest.end(), file) != manifest.end(), file);

    // A second install keeps the config the user edited.
    std::ofstream(config, std::ios::app) << "# edited\n";
    const std::string again = run(install);
    CHECK(read_text_file(config.string()).ends_with("# edited\n"));
    CHECK(again.find("Keeping: ") != std::string::npos);
  }
}
