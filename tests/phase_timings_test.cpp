#include "probe/engine/phase_timings.h"

#include <doctest/doctest.h>

using synthprobe::compute_phases;
using synthprobe::CurlTimes;
using synthprobe::Phases;

namespace {

void check_not_negative(const Phases& p) {
  CHECK(p.resolve >= 0);
  CHECK(p.connect >= 0);
  CHECK(p.tls >= 0);
  CHECK(p.processing >= 0);
  CHECK(p.transfer >= 0);
}

}  // namespace

TEST_CASE("plain HTTP: no TLS phase, processing counts from CONNECT") {
  CurlTimes t;
  t.namelookup_us = 1'000;
  t.connect_us = 3'000;
  t.appconnect_us = 0;  // curl reports 0 without TLS
  t.starttransfer_us = 10'000;
  t.total_us = 12'500;
  const Phases p = compute_phases(t);
  CHECK(p.resolve == doctest::Approx(0.001));
  CHECK(p.connect == doctest::Approx(0.002));
  CHECK(p.tls == 0.0);
  CHECK(p.processing == doctest::Approx(0.007));
  CHECK(p.transfer == doctest::Approx(0.0025));
  CHECK(p.resolve + p.connect + p.tls + p.processing + p.transfer == doctest::Approx(0.0125));
}

TEST_CASE("our own lookup before curl: it is the resolve phase, curl's later phases are unchanged") {
  // curl was handed the address (CONNECT_TO): its NAMELOOKUP is a few microseconds.
  CurlTimes t;
  t.lookup_us = 4'000;
  t.namelookup_us = 20;
  t.connect_us = 2'020;
  t.starttransfer_us = 9'020;
  t.total_us = 10'020;
  const Phases p = compute_phases(t);
  CHECK(p.resolve == doctest::Approx(0.00402));
  CHECK(p.connect == doctest::Approx(0.002));
  CHECK(p.tls == 0.0);
  CHECK(p.processing == doctest::Approx(0.007));
  CHECK(p.transfer == doctest::Approx(0.001));
  // Together they are the step's whole time: curl's total plus the lookup.
  CHECK(p.resolve + p.connect + p.tls + p.processing + p.transfer == doctest::Approx((t.total_us + t.lookup_us) / 1e6));
}

TEST_CASE("HTTPS: TLS from CONNECT to APPCONNECT, processing from APPCONNECT") {
  CurlTimes t;
  t.namelookup_us = 2'000;
  t.connect_us = 5'000;
  t.appconnect_us = 20'000;
  t.starttransfer_us = 50'000;
  t.total_us = 51'000;
  const Phases p = compute_phases(t);
  CHECK(p.resolve == doctest::Approx(0.002));
  CHECK(p.connect == doctest::Approx(0.003));
  CHECK(p.tls == doctest::Approx(0.015));
  CHECK(p.processing == doctest::Approx(0.030));
  CHECK(p.transfer == doctest::Approx(0.001));
  CHECK(p.resolve + p.connect + p.tls + p.processing + p.transfer == doctest::Approx(0.051));
}

TEST_CASE("a reused connection: CONNECT and APPCONNECT at 0 give no connect or TLS time") {
  CurlTimes t;
  t.namelookup_us = 0;
  t.connect_us = 0;
  t.appconnect_us = 0;
  t.starttransfer_us = 4'000;
  t.total_us = 4'200;
  const Phases p = compute_phases(t);
  check_not_negative(p);
  CHECK(p.connect == 0.0);
  CHECK(p.tls == 0.0);
  CHECK(p.processing == doctest::Approx(0.004));
  CHECK(p.transfer == doctest::Approx(0.0002));
}

TEST_CASE("a failed transfer leaves later stamps at 0 and no phase goes negative") {
  SUBCASE("connection refused after DNS") {
    CurlTimes t;
    t.namelookup_us = 1'500;
    t.total_us = 2'000;
    const Phases p = compute_phases(t);
    check_not_negative(p);
    CHECK(p.resolve == doctest::Approx(0.0015));
    CHECK(p.connect == 0.0);
    CHECK(p.tls == 0.0);
    CHECK(p.processing == 0.0);
    CHECK(p.transfer == 0.0);
  }
  SUBCASE("TLS handshake failed after connect") {
    CurlTimes t;
    t.namelookup_us = 1'000;
    t.connect_us = 2'000;
    t.total_us = 9'000;
    const Phases p = compute_phases(t);
    check_not_negative(p);
    CHECK(p.connect == doctest::Approx(0.001));
    CHECK(p.tls == 0.0);
    CHECK(p.processing == 0.0);
    CHECK(p.transfer == 0.0);
  }
  SUBCASE("timed out waiting for the first byte") {
    CurlTimes t;
    t.namelookup_us = 1'000;
    t.connect_us = 2'000;
    t.appconnect_us = 6'000;
    t.total_us = 10'000'000;
    const Phases p = compute_phases(t);
    check_not_negative(p);
    CHECK(p.tls == doctest::Approx(0.004));
    CHECK(p.processing == 0.0);
    CHECK(p.transfer == 0.0);
  }
  SUBCASE("DNS failure: everything 0") {
    const Phases p = compute_phases(CurlTimes{});
    check_not_negative(p);
    CHECK(p.resolve == 0.0);
    CHECK(p.transfer == 0.0);
  }
}

TEST_CASE("Phases add up over redirects and steps") {
  Phases a{0.001, 0.002, 0.003, 0.004, 0.005};
  const Phases b{0.010, 0.020, 0.030, 0.040, 0.050};
  a += b;
  CHECK(a.resolve == doctest::Approx(0.011));
  CHECK(a.connect == doctest::Approx(0.022));
  CHECK(a.tls == doctest::Approx(0.033));
  CHECK(a.processing == doctest::Approx(0.044));
  CHECK(a.transfer == doctest::Approx(0.055));
}
