#include "keys.h"

#include <openssl/err.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <stdexcept>

namespace omx::stress {

namespace {

struct CtxFree {
    void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
struct MdCtxFree {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

std::string openssl_error() {
    unsigned long e = ERR_get_error();
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    return e ? buf : "unknown OpenSSL error";
}

}  // namespace

Pkey make_rsa_key(int bits) {
    Pkey key(EVP_RSA_gen(unsigned(bits)));
    if (!key) throw std::runtime_error("RSA key generation failed: " + openssl_error());
    return key;
}

std::string check_key_pair(EVP_PKEY* key) {
    if (!key) return "no key";
    std::unique_ptr<EVP_PKEY_CTX, CtxFree> ctx(EVP_PKEY_CTX_new(key, nullptr));
    if (!ctx || EVP_PKEY_check(ctx.get()) != 1) return "the key pair is inconsistent: " + openssl_error();
    const unsigned char message[] = "openMosix distkeygen";
    std::unique_ptr<EVP_MD_CTX, MdCtxFree> md(EVP_MD_CTX_new());
    size_t len = 0;
    if (EVP_DigestSignInit(md.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
        EVP_DigestSign(md.get(), nullptr, &len, message, sizeof message) != 1)
        return "cannot sign: " + openssl_error();
    std::string sig(len, '\0');
    if (EVP_DigestSign(md.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, message, sizeof message) != 1)
        return "cannot sign: " + openssl_error();
    md.reset(EVP_MD_CTX_new());
    if (EVP_DigestVerifyInit(md.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
        EVP_DigestVerify(md.get(), reinterpret_cast<const unsigned char*>(sig.data()), len, message, sizeof message) != 1)
        return "a signature does not verify with the public key";
    return "";
}

std::string to_der(EVP_PKEY* key) {
    unsigned char* out = nullptr;
    int n = i2d_PrivateKey(key, &out);
    if (n <= 0) throw std::runtime_error("cannot encode the key");
    std::string der(reinterpret_cast<char*>(out), size_t(n));
    OPENSSL_free(out);
    return der;
}

Pkey from_der(const std::string& der) {
    const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
    return Pkey(d2i_PrivateKey(EVP_PKEY_RSA, nullptr, &p, long(der.size())));
}

std::string make_and_check_keys(int count, int bits) {
    std::unique_ptr<EVP_MD_CTX, MdCtxFree> sha(EVP_MD_CTX_new());
    EVP_DigestInit_ex(sha.get(), EVP_sha256(), nullptr);
    for (int i = 0; i < count; ++i) {
        Pkey key = make_rsa_key(bits);
        if (auto why = check_key_pair(key.get()); !why.empty())
            throw std::runtime_error("key " + std::to_string(i) + ": " + why);
        unsigned char* pub = nullptr;
        int n = i2d_PUBKEY(key.get(), &pub);
        if (n > 0) EVP_DigestUpdate(sha.get(), pub, size_t(n));
        OPENSSL_free(pub);
    }
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    EVP_DigestFinal_ex(sha.get(), digest, &digest_len);
    static const char* hex = "0123456789abcdef";
    std::string out = std::to_string(count) + " ";
    for (unsigned i = 0; i < digest_len; ++i) out += hex[digest[i] >> 4], out += hex[digest[i] & 15];
    return out;
}

}  // namespace omx::stress
