#include "runtime/persistence/snapshot_hash.h"

#include <openssl/evp.h>

#include <cassert>
#include <memory>

namespace orbit::persistence {
namespace {

// The SHA-256 implementation, fetched from OpenSSL's default provider once per process:
// EVP_sha256() with EVP_Digest() looks the algorithm up again on every call (OpenSSL 3's
// implicit fetch), which cost more than hashing a small state. Never freed: it lives as
// long as the process.
const EVP_MD* sha256_algorithm() {
  static const EVP_MD* const md = [] {
    EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
    assert(fetched != nullptr && "OpenSSL has no SHA2-256");
    return fetched;
  }();
  return md;
}

struct ContextFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

// One digest context per thread, reused: a hash allocates nothing once warm.
EVP_MD_CTX* digest_context() {
  thread_local const std::unique_ptr<EVP_MD_CTX, ContextFree> ctx(EVP_MD_CTX_new());
  assert(ctx != nullptr);
  return ctx.get();
}

}  // namespace

Digest sha256_digest(ByteView data) {
  Digest digest{};
  unsigned int length = 0;
  EVP_MD_CTX* ctx = digest_context();
  const bool ok = EVP_DigestInit_ex2(ctx, sha256_algorithm(), nullptr) == 1 &&
                  EVP_DigestUpdate(ctx, data.data(), data.size()) == 1 &&
                  EVP_DigestFinal_ex(ctx, digest.data(), &length) == 1;
  assert(ok && length == 32);
  (void)ok;
  return digest;
}

std::string to_hex(const Digest& digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(2 * digest.size(), '0');
  for (size_t i = 0; i < digest.size(); ++i) {
    out[2 * i] = kHex[digest[i] >> 4];
    out[2 * i + 1] = kHex[digest[i] & 0xf];
  }
  return out;
}

std::string sha256_hex(ByteView data) { return to_hex(sha256_digest(data)); }

bool hash_verifies(const Snapshot& snapshot) { return sha256_hex(snapshot.state) == snapshot.sha256; }

}  // namespace orbit::persistence
