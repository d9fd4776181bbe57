#pragma once
// A test CA and server certificates, made at run time with OpenSSL (no files, no network):
// what the HTTPS and rediss:// tests serve and verify against.

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <string>

namespace governed_test {

struct Pem {
  std::string cert, key;
};

struct Pki {
  Pem ca;
  Pem server;  // for localhost, llm.test and 127.0.0.1, signed by ca
  Pem other;   // for other.example only, signed by ca
};

namespace detail {

inline std::string pem_of(X509* x) {
  BIO* b = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(b, x);
  char* data = nullptr;
  const long n = BIO_get_mem_data(b, &data);
  std::string s(data, static_cast<std::size_t>(n));
  BIO_free(b);
  return s;
}

inline std::string pem_of(EVP_PKEY* k) {
  BIO* b = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(b, k, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long n = BIO_get_mem_data(b, &data);
  std::string s(data, static_cast<std::size_t>(n));
  BIO_free(b);
  return s;
}

inline void add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

/// A certificate for `cn` with `san`, signed by `issuer` (self-signed when null).
inline X509* make_cert(EVP_PKEY* key, const char* cn, const char* san, X509* issuer, EVP_PKEY* issuer_key,
                       long serial) {
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 24 * 3600);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
  X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
  X509* signer = issuer ? issuer : x;
  if (!issuer) {
    add_ext(x, signer, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(x, signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_ext(x, signer, NID_basic_constraints, "critical,CA:FALSE");
    add_ext(x, signer, NID_ext_key_usage, "serverAuth");
    add_ext(x, signer, NID_subject_alt_name, san);
  }
  add_ext(x, signer, NID_subject_key_identifier, "hash");
  X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256());
  return x;
}

}  // namespace detail

/// A CA and two server certificates, made once per test run.
inline const Pki& pki() {
  static const Pki p = [] {
    Pki out;
    EVP_PKEY* ca_key = EVP_EC_gen("P-256");
    EVP_PKEY* key = EVP_EC_gen("P-256");
    EVP_PKEY* other_key = EVP_EC_gen("P-256");
    X509* ca = detail::make_cert(ca_key, "governed test CA", nullptr, nullptr, nullptr, 1);
    X509* server = detail::make_cert(key, "localhost", "DNS:localhost,DNS:llm.test,IP:127.0.0.1", ca, ca_key, 2);
    X509* other = detail::make_cert(other_key, "other.example", "DNS:other.example", ca, ca_key, 3);
    out.ca = {detail::pem_of(ca), detail::pem_of(ca_key)};
    out.server = {detail::pem_of(server), detail::pem_of(key)};
    out.other = {detail::pem_of(other), detail::pem_of(other_key)};
    X509_free(ca);
    X509_free(server);
    X509_free(other);
    EVP_PKEY_free(ca_key);
    EVP_PKEY_free(key);
    EVP_PKEY_free(other_key);
    return out;
  }();
  return p;
}

}  // namespace governed_test
