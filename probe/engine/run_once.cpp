#include "probe/engine/run_once.h"

#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <functional>

#include "probe/engine/check_runner.h"
#include "probe/engine/curl_multi.h"

namespace synthprobe {

std::vector<RunResult> run_once(const std::vector<std::shared_ptr<const config::Check>>& checks,
                                std::size_t max_in_flight, const DnsResolver::Options& dns) {
  boost::asio::io_context io(1);
  std::vector<RunResult> results(checks.size());
  {
    CurlMulti multi(io);
    CheckRunner runner(multi, dns);
    std::size_t next = 0;
    // Starts runs until the cap is reached; each finished run starts the next waiting one.
    std::function<void()> fill = [&] {
      while (next < checks.size() && runner.in_flight() < std::max<std::size_t>(1, max_in_flight)) {
        const std::size_t index = next++;
        runner.run(checks[index], [&, index](RunResult&& r) {
          results[index] = std::move(r);
          fill();
        });
      }
    };
    fill();
    io.run();
  }
  return results;
}

DnsResolver::Options dns_options(const config::Probe& probe) {
  DnsResolver::Options o;
  o.servers = probe.dns_servers;
  return o;
}

}  // namespace synthprobe
