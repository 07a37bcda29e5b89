#include "tests/support/test_certificate.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <memory>
#include <stdexcept>

namespace synthprobe::testing {
namespace {

template <class T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using CertPtr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;

void require(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("make_certificate: ") + what);
}

void add_extension(X509* cert, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  require(ext != nullptr, "extension");
  require(X509_add_ext(cert, ext.get(), -1) == 1, "add extension");
}

void write_pem(const std::string& path, const auto& write) {
  FILE* f = std::fopen(path.c_str(), "w");
  require(f != nullptr, "open output file");
  const bool ok = write(f);
  std::fclose(f);
  require(ok, "write PEM");
}

}  // namespace

TlsFiles make_certificate(const std::string& dir, const CertificateSpec& spec, const std::string& stem) {
  KeyPtr key(EVP_EC_gen("P-256"));
  require(key != nullptr, "key");
  CertPtr cert(X509_new());
  require(cert != nullptr, "X509_new");
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), spec.valid_from_days * 86400L);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), spec.valid_until_days * 86400L);
  X509_set_pubkey(cert.get(), key.get());

  std::string common_name = "synthprobe test";
  std::string san;
  for (const std::string& name : spec.names) {
    if (common_name == "synthprobe test" && name.rfind("DNS:", 0) == 0) common_name = name.substr(4);
    san += (san.empty() ? "" : ",") + name;
  }
  X509_NAME* subject = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(common_name.c_str()),
                             -1, -1, 0);
  X509_set_issuer_name(cert.get(), subject);
  add_extension(cert.get(), NID_basic_constraints, "critical,CA:TRUE");
  add_extension(cert.get(), NID_subject_key_identifier, "hash");
  if (!san.empty()) add_extension(cert.get(), NID_subject_alt_name, san);
  require(X509_sign(cert.get(), key.get(), EVP_sha256()) > 0, "sign");

  TlsFiles files{dir + "/" + stem + ".pem", dir + "/" + stem + ".key"};
  write_pem(files.cert_file, [&](FILE* f) { return PEM_write_X509(f, cert.get()) == 1; });
  write_pem(files.key_file, [&](FILE* f) {
    return PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1;
  });
  return files;
}

}  // namespace synthprobe::testing
