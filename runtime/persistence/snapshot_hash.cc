#include "runtime/persistence/snapshot_hash.h"

#include <openssl/evp.h>

#include <cassert>

namespace orbit::persistence {

std::string sha256_hex(ByteView data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  const int ok = EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  assert(ok == 1 && length == 32);
  (void)ok;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(2 * length, '0');
  for (unsigned int i = 0; i < length; ++i) {
    out[2 * i] = kHex[digest[i] >> 4];
    out[2 * i + 1] = kHex[digest[i] & 0xf];
  }
  return out;
}

bool hash_verifies(const Snapshot& snapshot) { return sha256_hex(snapshot.state) == snapshot.sha256; }

}  // namespace orbit::persistence
