#pragma once
// Certificates made in-process with OpenSSL for TLS tests: valid, expired or issued for another name,
// without an openssl child process per certificate (EC P-256 keys are quick to make).

#include <string>
#include <vector>

#include "tests/support/test_server.h"

namespace synthprobe::testing {

struct CertificateSpec {
  // Subject alternative names: "DNS:localhost", "IP:127.0.0.1", ...; the first DNS name is also the CN.
  std::vector<std::string> names{"DNS:localhost", "IP:127.0.0.1", "IP:::1"};
  long valid_from_days = -1;  // notBefore, days from now
  long valid_until_days = 30; // notAfter, days from now (negative: already expired)
};

// A self-signed certificate (its own CA: give its cert_file as ca_file to trust it) and its key, written
// into `dir` as `<stem>.pem` and `<stem>.key`.
TlsFiles make_certificate(const std::string& dir, const CertificateSpec& spec, const std::string& stem = "cert");

}  // namespace synthprobe::testing
