# `make install` (cmake --install, honouring --prefix / CMAKE_INSTALL_PREFIX and DESTDIR) and the .deb
# (`make package`, CPack). Included from the top-level CMakeLists.txt.
#   bin/synthprobe                                  the binary
#   share/man/man1/synthprobe.1.gz                  the man page (deploy/man/synthprobe.1)
#   share/doc/synthprobe/                           README and example configs
#   share/synthprobe/{prometheus,alertmanager,grafana}/   rules, their tests, examples, the dashboard
#   lib/systemd/system/synthprobe.service           the hardened unit (deploy/systemd/synthprobe.service)
#   <sysconfdir>/synthprobe/synthprobe.toml         the service's config: /etc with prefix /usr,
#                                                   /etc/opt/... under /opt, <prefix>/etc otherwise
include(GNUInstallDirs)

install(TARGETS synthprobe RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# The man page with the version filled in, compressed as Debian's policy wants.
configure_file(${PROJECT_SOURCE_DIR}/deploy/man/synthprobe.1 ${PROJECT_BINARY_DIR}/man/synthprobe.1 @ONLY)
add_custom_command(OUTPUT ${PROJECT_BINARY_DIR}/man/synthprobe.1.gz
                   COMMAND gzip -9nkf ${PROJECT_BINARY_DIR}/man/synthprobe.1
                   DEPENDS ${PROJECT_BINARY_DIR}/man/synthprobe.1
                   VERBATIM)
add_custom_target(synthprobe_man ALL DEPENDS ${PROJECT_BINARY_DIR}/man/synthprobe.1.gz)
install(FILES ${PROJECT_BINARY_DIR}/man/synthprobe.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES config/examples/minimal.toml config/examples/full.toml config/examples/demo.toml
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
install(FILES deploy/prometheus/synthprobe-rules.yml deploy/prometheus/synthprobe-slo-objectives.yml
              deploy/prometheus/synthprobe-rules.test.yml deploy/prometheus/synthprobe-slo.test.yml
              deploy/prometheus/scrape.example.yml
        DESTINATION ${CMAKE_INSTALL_DATADIR}/synthprobe/prometheus)
install(FILES deploy/alertmanager/alertmanager.example.yml DESTINATION ${CMAKE_INSTALL_DATADIR}/synthprobe/alertmanager)
install(FILES deploy/grafana/synthprobe-dashboard.json DESTINATION ${CMAKE_INSTALL_DATADIR}/synthprobe/grafana)

# The config and the unit depend on the prefix that is only known at install time (`cmake --install
# --prefix`, or /usr when CPack installs into its staging tree): the unit names the installed binary and
# config. An existing config is never overwritten by `make install` (dpkg handles it as a conffile).
file(CONFIGURE OUTPUT ${PROJECT_BINARY_DIR}/install_service.cmake CONTENT [==[
set(prefix "${CMAKE_INSTALL_PREFIX}")
if(prefix STREQUAL "/usr")
  set(etc "/etc")
elseif(prefix MATCHES "^/opt/")
  set(etc "/etc${prefix}")
else()
  set(etc "${prefix}/etc")
endif()
set(config "${etc}/synthprobe/synthprobe.toml")
if(EXISTS "$ENV{DESTDIR}${config}")
  message(STATUS "Keeping: $ENV{DESTDIR}${config}")
else()
  file(INSTALL DESTINATION "${etc}/synthprobe" TYPE FILE FILES "@PROJECT_SOURCE_DIR@/deploy/systemd/synthprobe.toml")
endif()
file(READ "@PROJECT_SOURCE_DIR@/deploy/systemd/synthprobe.service" unit)
string(REPLACE "/usr/bin/synthprobe" "${prefix}/@CMAKE_INSTALL_BINDIR@/synthprobe" unit "${unit}")
string(REPLACE "/etc/synthprobe/" "${etc}/synthprobe/" unit "${unit}")
set(unit_file "${prefix}/lib/systemd/system/synthprobe.service")
message(STATUS "Installing: $ENV{DESTDIR}${unit_file}")
file(WRITE "$ENV{DESTDIR}${unit_file}" "${unit}")
list(APPEND CMAKE_INSTALL_MANIFEST_FILES "${unit_file}")
]==] @ONLY)
install(SCRIPT ${PROJECT_BINARY_DIR}/install_service.cmake)

# The .deb: `make package` (or `cpack` in the build folder) writes synthprobe_<version>_<arch>.deb.
set(SYNTHPROBE_PACKAGE_MAINTAINER "synthprobe maintainers <synthprobe@example.com>"
    CACHE STRING "The Maintainer field of the .deb")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME synthprobe)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT ${SYNTHPROBE_PACKAGE_MAINTAINER})
set(CPACK_DEBIAN_PACKAGE_MAINTAINER ${SYNTHPROBE_PACKAGE_MAINTAINER})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "synthetic monitoring probe for websites and checkout flows")
# CPack puts the summary first and indents the rest.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "synthprobe fires HTTP checks and multi-step checkout flows against web shops
from one event loop, reports why each run failed and how long each phase took,
opens incidents per site, notifies PagerDuty, Opsgenie, Alertmanager, webhooks
or Slack, and exports Prometheus metrics. Ships a hardened systemd unit,
Prometheus rules (quorum across regions, SLO burn-rate alerts) and a Grafana
dashboard.")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
# Depends: dpkg-shlibdeps works out one package per shared library the packaged binary really links
# (tests/package_test.cpp checks each NEEDED entry against the result with dpkg -S); listed here is what
# the binary reads at run time without linking it: CA certificates and zone rules.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "ca-certificates, tzdata")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "prometheus, prometheus-alertmanager")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/deploy/debian/conffiles ${PROJECT_SOURCE_DIR}/deploy/debian/postinst
    ${PROJECT_SOURCE_DIR}/deploy/debian/prerm ${PROJECT_SOURCE_DIR}/deploy/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# DESTDIR staging, so the install script above sees the prefix /usr and puts the config in /etc.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
include(CPack)
