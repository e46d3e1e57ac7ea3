#pragma once
// distkeygen's work (HOWTO 13.3): RSA key pairs made with OpenSSL and each one checked
// (the private key's consistency, and a signature made with it verified with its public
// half), so a wrong key fails the test.
#include <openssl/evp.h>

#include <memory>
#include <string>

namespace omx::stress {

struct PkeyFree {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

Pkey make_rsa_key(int bits);
// "" when the pair is sound, else why not.
std::string check_key_pair(EVP_PKEY* key);

// The key as DER (private) and back: the unit test corrupts it in between.
std::string to_der(EVP_PKEY* key);
Pkey from_der(const std::string& der);

// Makes `count` keys of `bits`, checks each; "count sha256-of-public-keys" or throws with
// the first failure.
std::string make_and_check_keys(int count, int bits);

}  // namespace omx::stress
