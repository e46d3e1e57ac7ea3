#include "file_identity.h"

#include <elf.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>

#include "common/bytes.h"
#include "common/fd.h"

namespace omx::mig {

namespace {

using Key = std::tuple<dev_t, ino_t, off_t, int64_t, int64_t>;

std::mutex cache_lock;
std::map<Key, std::array<uint8_t, 32>>& cache() {
    static std::map<Key, std::array<uint8_t, 32>> c;
    return c;
}

struct MdDeleter {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

std::optional<std::array<uint8_t, 32>> sha256_of(int fd) {
    std::unique_ptr<EVP_MD_CTX, MdDeleter> ctx(EVP_MD_CTX_new());
    if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) return std::nullopt;
    std::vector<uint8_t> buf(1 << 20);
    for (off_t at = 0;;) {
        ssize_t n = ::pread(fd, buf.data(), buf.size(), at);
        if (n < 0) return std::nullopt;
        if (n == 0) break;
        EVP_DigestUpdate(ctx.get(), buf.data(), size_t(n));
        at += n;
    }
    std::array<uint8_t, 32> out{};
    unsigned len = 0;
    if (EVP_DigestFinal_ex(ctx.get(), out.data(), &len) != 1 || len != out.size()) return std::nullopt;
    return out;
}

constexpr int kMaxInterpreterDepth = 4;   // the kernel's limit on nested #! scripts

}  // namespace

std::optional<FileIdentity> identify_file(const std::string& open_path, const std::string& path) {
    omx::UniqueFd fd(::open(open_path.c_str(), O_RDONLY | O_CLOEXEC));
    struct stat st {};
    if (!fd || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
    Key key{st.st_dev, st.st_ino, st.st_size, st.st_mtim.tv_sec, st.st_mtim.tv_nsec};
    FileIdentity id;
    id.path = path;
    id.size = uint64_t(st.st_size);
    {
        std::lock_guard g(cache_lock);
        if (auto it = cache().find(key); it != cache().end()) {
            id.sha256 = it->second;
            return id;
        }
    }
    auto digest = sha256_of(fd.get());
    if (!digest) return std::nullopt;
    id.sha256 = *digest;
    std::lock_guard g(cache_lock);
    if (cache().size() > 4096) cache().clear();
    cache()[key] = *digest;
    return id;
}

namespace {

// PT_INTERP of an ELF file of either class (x86_64 programs are ELF64, i386 ones ELF32).
template <class Ehdr, class Phdr>
std::optional<std::string> elf_interpreter(std::span<const uint8_t> head) {
    if (head.size() < sizeof(Ehdr)) return std::nullopt;
    Ehdr eh;
    std::memcpy(&eh, head.data(), sizeof eh);
    if (eh.e_phentsize < sizeof(Phdr)) return std::nullopt;
    for (unsigned i = 0; i < eh.e_phnum; ++i) {
        uint64_t at = uint64_t(eh.e_phoff) + uint64_t(i) * eh.e_phentsize;
        if (at + sizeof(Phdr) > head.size()) return std::nullopt;
        Phdr ph;
        std::memcpy(&ph, head.data() + at, sizeof ph);
        if (ph.p_type != PT_INTERP) continue;
        if (ph.p_filesz == 0 || ph.p_filesz > 4096 || uint64_t(ph.p_offset) + ph.p_filesz > head.size())
            return std::nullopt;
        const char* s = reinterpret_cast<const char*>(head.data() + ph.p_offset);
        return std::string(s, strnlen(s, ph.p_filesz));
    }
    return "";
}

}  // namespace

std::optional<std::string> interpreter_of(std::span<const uint8_t> head) {
    if (head.size() >= 2 && head[0] == '#' && head[1] == '!') {
        size_t i = 2;
        while (i < head.size() && (head[i] == ' ' || head[i] == '\t')) ++i;
        size_t start = i;
        while (i < head.size() && head[i] != ' ' && head[i] != '\t' && head[i] != '\n' && head[i] != '\0') ++i;
        return std::string(head.begin() + long(start), head.begin() + long(i));
    }
    if (head.size() < SELFMAG || std::memcmp(head.data(), ELFMAG, SELFMAG) != 0) return "";   // the kernel's other formats
    if (head.size() <= EI_CLASS) return std::nullopt;
    if (head[EI_CLASS] == ELFCLASS64) return elf_interpreter<Elf64_Ehdr, Elf64_Phdr>(head);
    if (head[EI_CLASS] == ELFCLASS32) return elf_interpreter<Elf32_Ehdr, Elf32_Phdr>(head);
    return std::nullopt;
}

bool changes_privileges(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return false;
    if (st.st_mode & (S_ISUID | S_ISGID)) return true;
    return ::getxattr(path.c_str(), "security.capability", nullptr, 0) >= 0;
}

std::optional<std::vector<FileIdentity>> files_to_exec(const std::string& path) {
    std::vector<FileIdentity> files;
    std::string next = path;
    for (int depth = 0; depth <= kMaxInterpreterDepth && !next.empty(); ++depth) {
        if (next[0] != '/') return std::nullopt;   // relative to a directory we do not share
        auto id = identify_file(next, next);
        if (!id) return std::nullopt;
        files.push_back(*id);
        omx::UniqueFd fd(::open(next.c_str(), O_RDONLY | O_CLOEXEC));
        std::vector<uint8_t> head(8192);
        ssize_t n = fd ? ::pread(fd.get(), head.data(), head.size(), 0) : -1;
        head.resize(n > 0 ? size_t(n) : 0);
        auto interp = interpreter_of(head);
        if (!interp) return std::nullopt;   // cannot tell what else the kernel would open
        next = *interp;
    }
    return files;
}

std::vector<uint8_t> encode_identities(const std::vector<FileIdentity>& ids) {
    ByteWriter w;
    w.u16(uint16_t(ids.size()));
    for (const auto& id : ids) {
        w.str16(id.path);
        w.u64(id.size);
        for (uint8_t b : id.sha256) w.u8(b);
    }
    return std::move(w.data());
}

std::vector<FileIdentity> decode_identities(std::span<const uint8_t> b) {
    ByteReader r(b);
    size_t n = r.u16();
    if (n > 16) throw WireError("too many files in an identity list");
    std::vector<FileIdentity> ids(n);
    for (auto& id : ids) {
        id.path = r.str16();
        id.size = r.u64();
        auto d = r.bytes(32);
        std::copy(d.begin(), d.end(), id.sha256.begin());
    }
    r.expect_end();
    return ids;
}

}  // namespace omx::mig
