#include "probe/engine/run_result.h"

namespace synthprobe {

std::string_view to_string(Reason reason) {
  switch (reason) {
    case Reason::dns: return "dns";
    case Reason::connect: return "connect";
    case Reason::tls: return "tls";
    case Reason::timeout: return "timeout";
    case Reason::protocol: return "protocol";
    case Reason::status: return "status";
    case Reason::assertion: return "assertion";
    case Reason::latency: return "latency";
    case Reason::extraction: return "extraction";
  }
  return "unknown";  // unreachable for a valid enumerator; keeps -Wreturn-type quiet
}

}  // namespace synthprobe
