// `synthprobe once` against a real nginx (Debian's package) started on 127.0.0.1 by the test.
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "tests/support/temp_dir.h"
#include "tests/support/test_server.h"

using namespace synthprobe::testing;
namespace json = boost::json;

namespace {

class Nginx {
 public:
  explicit Nginx(const TempDir& dir) : dir_(dir), port_(closed_port()) {
    REQUIRE_MESSAGE(std::filesystem::exists("/usr/sbin/nginx"), "nginx is installed by scripts/install-deps.sh");
    const std::string root = dir.path().string();
    dir.write("www/index.html", "<html><body>Add to cart</body></html>");
    dir.write("www/big.bin", std::string(256 * 1024, 'b'));
    conf_ = dir.write("nginx.conf", "worker_processes 1;\nuser root;\npid " + root + "/nginx.pid;\nerror_log " + root +
                                        "/error.log;\nevents { worker_connections 1024; }\nhttp {\n access_log off;\n"
                                        " client_body_temp_path " + root + "/tmp;\n proxy_temp_path " + root +
                                        "/tmp;\n fastcgi_temp_path " + root + "/tmp;\n uwsgi_temp_path " + root +
                                        "/tmp;\n scgi_temp_path " + root + "/tmp;\n server {\n  listen 127.0.0.1:" +
                                        std::to_string(port_) + ";\n  root " + root +
                                        "/www;\n  location = /api/health { default_type application/json; return 200 "
                                        "'{\"status\":\"UP\",\"items\":3}'; }\n  location = /down { return 503; }\n"
                                        "  location = /moved { return 301 /index.html; }\n }\n}\n");
    std::filesystem::create_directories(dir.path() / "tmp");
    std::string out;
    const int rc = run_command("/usr/sbin/nginx -c " + conf_ + " -p " + root, &out);
    REQUIRE_MESSAGE(rc == 0, "nginx failed to start: " << out);
    // nginx daemonizes after binding, so the port is ready when the command returns.
  }
  ~Nginx() { run_command("/usr/sbin/nginx -c " + conf_ + " -p " + dir_.path().string() + " -s stop"); }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }

 private:
  const TempDir& dir_;
  unsigned short port_;
  std::string conf_;
};

}  // namespace

TEST_CASE("once against nginx: correct results and phases") {
  TempDir dir;
  Nginx nginx(dir);
  const std::string path = dir.write("nginx-checks.toml", R"(
[probe]
name = "nginx-test"

[[site]]
name = "web"
vars = { base = ")" + nginx.url("") + R"(" }

[[check]]
name = "home"
site = "web"
url = "${base}/index.html"
expect = { body_contains = ["Add to cart"], headers = { "content-type" = "^text/html" } }

[[check]]
name = "health"
site = "web"
url = "${base}/api/health"
expect = { json = { "/status" = "UP", "/items" = 3 } }

[[check]]
name = "down"
site = "web"
url = "${base}/down"

[[check]]
name = "moved"
site = "web"
url = "${base}/moved"

[[check]]
name = "big"
site = "web"
url = "${base}/big.bin"
max_body_bytes = "64KiB"
)");
  std::string out;
  const char* bin = std::getenv("SYNTHPROBE_BIN");
  REQUIRE(bin);
  const int rc = run_command(std::string(bin) + " once --config " + path + " --format json 2>/dev/null", &out);
  CHECK(rc == 1);
  const json::array results = json::parse(out).at("results").as_array();
  REQUIRE(results.size() == 5);
  const auto& home = results[0];
  CHECK(home.at("success") == true);
  CHECK(home.at("status_code") == 200);
  CHECK(home.at("phases").at("connect").as_double() > 0.0);
  CHECK(home.at("phases").at("processing").as_double() > 0.0);
  CHECK(home.at("phases").at("tls").as_double() == 0.0);
  CHECK(home.at("duration_seconds").as_double() < 5.0);
  CHECK(results[1].at("success") == true);
  CHECK(results[2].at("reason") == "status");
  CHECK(results[2].at("status_code") == 503);
  CHECK(results[3].at("success") == true);
  CHECK(results[3].at("redirects") == 1);
  CHECK(results[4].at("reason") == "protocol");
}
