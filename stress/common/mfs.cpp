#include "mfs.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>
#include <random>
#include <sstream>
#include <stdexcept>

#include "common/fd.h"

namespace omx::stress {

namespace fs = std::filesystem;

namespace {

constexpr size_t kChunk = 1 << 20;

[[noreturn]] void fail_errno(const std::string& what) {
    throw std::runtime_error(what + ": " + std::strerror(errno));
}

class Sha256 {
public:
    Sha256() : ctx_(EVP_MD_CTX_new()) {
        if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1) throw std::runtime_error("SHA-256 init failed");
    }
    void add(const char* data, size_t n) { EVP_DigestUpdate(ctx_.get(), data, n); }
    std::string hex() {
        unsigned char digest[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        EVP_DigestFinal_ex(ctx_.get(), digest, &len);
        static const char* digits = "0123456789abcdef";
        std::string out;
        for (unsigned i = 0; i < len; ++i) out += digits[digest[i] >> 4], out += digits[digest[i] & 15];
        return out;
    }

private:
    struct Free {
        void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
    };
    std::unique_ptr<EVP_MD_CTX, Free> ctx_;
};

UniqueFd open_or_fail(const std::string& path, int flags, mode_t mode = 0) {
    UniqueFd fd(::open(path.c_str(), flags | O_CLOEXEC, mode));
    if (!fd) fail_errno("open " + path);
    return fd;
}

void write_all(int fd, const char* data, size_t n, const std::string& path) {
    for (size_t at = 0; at < n;) {
        ssize_t w = ::write(fd, data + at, n - at);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) fail_errno("write " + path);
        at += size_t(w);
    }
}

// A network filesystem may report a lost write only when the file is closed.
void close_or_fail(UniqueFd fd, const std::string& path) {
    if (::close(fd.release()) != 0) fail_errno("close " + path);
}

std::string unescape_mount_point(const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 3 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1]))) {
            out += char(std::stoi(s.substr(i + 1, 3), nullptr, 8));
            i += 3;
        } else {
            out += s[i];
        }
    }
    return out;
}

std::string normal_dir(const std::string& dir) {
    std::string s = fs::path(dir).lexically_normal().string();
    while (s.size() > 1 && s.back() == '/') s.pop_back();
    return s;
}

// Copies `from` to `to`, lets the test corrupt `to`, checks its SHA-256.
MfsLeg one_leg(const MfsPlan& plan, const std::string& node, const char* direction, const std::string& from, const std::string& to,
               const std::string& sha) {
    MfsLeg leg{node, direction, 0, 0, ""};
    auto t0 = std::chrono::steady_clock::now();
    try {
        leg.bytes = copy_file(from, to);
        leg.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (plan.after_copy) plan.after_copy(to);
        std::string got = sha256_of_file(to);
        if (got != sha) leg.error = "SHA-256 of " + to + " is " + got.substr(0, 16) + "..., expected " + sha.substr(0, 16) + "...";
    } catch (const std::exception& e) {
        leg.error = e.what();
    }
    return leg;
}

}  // namespace

bool mounted_at(const std::string& mountinfo, const std::string& dir) {
    std::string want = normal_dir(dir);
    std::istringstream lines(mountinfo);
    for (std::string line; std::getline(lines, line);) {
        std::istringstream fields(line);
        std::string id, parent, devno, root, mount_point;
        if (fields >> id >> parent >> devno >> root >> mount_point && normal_dir(unescape_mount_point(mount_point)) == want) return true;
    }
    return false;
}

std::string write_random_file(const std::string& path, size_t bytes, unsigned long long seed) {
    std::mt19937_64 rng(seed);
    Sha256 sha;
    UniqueFd fd = open_or_fail(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    std::string buf;
    for (size_t left = bytes; left > 0;) {
        size_t n = std::min(left, kChunk);
        buf.resize((n + 7) / 8 * 8);
        for (size_t i = 0; i < buf.size(); i += 8) {
            unsigned long long x = rng();
            std::memcpy(buf.data() + i, &x, 8);
        }
        sha.add(buf.data(), n);
        write_all(fd.get(), buf.data(), n, path);
        left -= n;
    }
    close_or_fail(std::move(fd), path);
    return sha.hex();
}

std::string sha256_of_file(const std::string& path) {
    UniqueFd fd = open_or_fail(path, O_RDONLY);
    Sha256 sha;
    std::string buf(kChunk, '\0');
    for (;;) {
        ssize_t n = ::read(fd.get(), buf.data(), buf.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail_errno("read " + path);
        if (n == 0) return sha.hex();
        sha.add(buf.data(), size_t(n));
    }
}

size_t copy_file(const std::string& from, const std::string& to) {
    UniqueFd in = open_or_fail(from, O_RDONLY);
    UniqueFd out = open_or_fail(to, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    std::string buf(kChunk, '\0');
    size_t total = 0;
    for (;;) {
        ssize_t n = ::read(in.get(), buf.data(), buf.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail_errno("read " + from);
        if (n == 0) break;
        write_all(out.get(), buf.data(), size_t(n), to);
        total += size_t(n);
    }
    close_or_fail(std::move(out), to);
    return total;
}

std::vector<MfsLeg> mfs_round_trips(const MfsPlan& plan) {
    fs::path home = fs::path(plan.root) / "home" / plan.workdir;
    fs::create_directories(home);
    // Everything made under home goes on every exit path (node copies are removed per node).
    struct RemoveAll {
        fs::path p;
        ~RemoveAll() {
            std::error_code ignored;
            fs::remove_all(p, ignored);
        }
    } cleanup{home};
    std::string source = (home / "file").string(), back = (home / "file.back").string();
    std::string sha = write_random_file(source, plan.bytes, plan.seed);
    std::vector<MfsLeg> legs;
    for (const auto& node : plan.nodes) {
        fs::path dir = fs::path(plan.root) / node / plan.workdir;
        // On the home node, dir is home's own: the copy has a name of its own there.
        std::string there = (dir / ("file.on-" + node)).string();
        std::error_code ec;
        fs::create_directories(dir, ec);
        legs.push_back(one_leg(plan, node, "there", source, there, sha));
        if (legs.back().error.empty()) legs.push_back(one_leg(plan, node, "back", there, back, sha));
        fs::remove(there, ec);
        fs::remove(dir, ec);   // only when empty: never home's directory with the source in it
    }
    return legs;
}

}  // namespace omx::stress
