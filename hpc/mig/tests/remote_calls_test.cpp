// The remote part's ways of letting a waiting call run on the node where the process is:
// exec watched by ptrace, and a file mapped from the node's own copy (seccomp ADDFD), each
// in a real child under the migrated-process filter; and the "same file" test they rest on.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>

#include "common/bytes.h"
#include "file_identity.h"
#include "remote_part.h"
#include "seccomp_filter.h"

using namespace omx::mig;
namespace fs = std::filesystem;

namespace {

// Runs `body` in a child under the filter and answers its notifications with `handle`
// (true: handled; false: let the call run). Returns the child's wait status.
int run_filtered(const std::function<int()>& body, const std::function<bool(pid_t, int, const seccomp_notif&)>& handle) {
    auto prog = migrated_process_filter();
    auto* shared = static_cast<volatile int*>(mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
    shared[0] = -1;
    pid_t child = fork();
    if (child == 0) {
        shared[0] = install_filter_with_listener(prog);
        _exit(body());
    }
    for (int i = 0; i < 5000 && shared[0] < 0; ++i) usleep(1000);
    int pidfd = int(syscall(SYS_pidfd_open, child, 0));
    int listener = int(syscall(SYS_pidfd_getfd, pidfd, shared[0], 0));
    for (;;) {
        pollfd p{listener, POLLIN, 0};
        if (poll(&p, 1, 5000) <= 0 || (p.revents & (POLLHUP | POLLERR))) break;
        seccomp_notif req{};
        if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) continue;
        if (handle(child, listener, req)) continue;
        seccomp_notif_resp resp{};
        resp.id = req.id;
        resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
        ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
    }
    int status = 0;
    waitpid(child, &status, 0);
    close(listener);
    close(pidfd);
    munmap((void*)shared, 4096);
    return status;
}

fs::path temp_file(const std::string& name, const std::string& content) {
    fs::path p = fs::temp_directory_path() / (name + "-" + std::to_string(getpid()));
    std::ofstream(p, std::ios::binary) << content;
    return p;
}

}  // namespace

TEST(RemoteCalls, ExecWatchedTellsAnExecFromAFailedOne) {
    // The program exec'd must be of our own architecture (the filter kills calls of
    // another one: /bin/true is x86_64 when this test is i386 on an x86_64 kernel), so it
    // is this test binary itself, listing none of its tests.
    const std::string self = fs::read_symlink("/proc/self/exe").string();
    for (const char* path : {self.c_str(), "/nonexistent/program"}) {
        std::vector<ExecOutcome> seen;
        int status = run_filtered(
            [path] {
                char* argv[] = {const_cast<char*>(path), const_cast<char*>("--gtest_list_tests"),
                                const_cast<char*>("--gtest_filter=-*"), nullptr};
                execv(path, argv);
                return errno == ENOENT ? 7 : 8;
            },
            [&](pid_t child, int listener, const seccomp_notif& req) {
                if (req.data.nr != SYS_execve) return false;
                seen.push_back(run_exec_watched(child, listener, req.id));
                return true;
            });
        bool exists = path == self;
        ASSERT_EQ(seen.size(), 1u) << path;
        EXPECT_EQ(seen[0], exists ? ExecOutcome::Execed : ExecOutcome::Failed) << path;
        ASSERT_TRUE(WIFEXITED(status)) << path;
        EXPECT_EQ(WEXITSTATUS(status), exists ? 0 : 7) << path;
    }
}

TEST(RemoteCalls, AFileMappingUsesTheLocalCopyPutAtTheHomeFdNumber) {
    std::string content(8192, 'x');
    content.replace(0, 11, "local copy!");
    fs::path file = temp_file("omx-map", content);
    constexpr int kHomeFd = 77;   // not open in the child: only the listener's fd makes it valid
    int status = run_filtered(
        [] {
            void* m = mmap(nullptr, 8192, PROT_READ, MAP_PRIVATE, kHomeFd, 0);
            if (m == MAP_FAILED) return 2;
            return std::memcmp(m, "local copy!", 11) == 0 ? 0 : 3;
        },
        [&](pid_t, int listener, const seccomp_notif& req) {
            if (req.data.nr != arch::kSysMmap) return false;
            int local = open(file.c_str(), O_RDONLY | O_CLOEXEC);
            bool ok = run_with_local_fd(listener, req.id, local, int(req.data.args[4]));
            close(local);
            return ok;
        });
    fs::remove(file);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(FileIdentity, SameContentIsTheSameFileAndAnyChangeIsNot) {
    fs::path a = temp_file("omx-ida", "hello world"), b = temp_file("omx-idb", "hello world");
    auto ia = identify_file(a, "/x"), ib = identify_file(b, "/x");
    ASSERT_TRUE(ia && ib);
    EXPECT_EQ(*ia, *ib);
    EXPECT_EQ(ia->size, 11u);
    std::ofstream(b, std::ios::binary) << "hello World";   // same size, new contents (and mtime)
    auto changed = identify_file(b, "/x");
    ASSERT_TRUE(changed);
    EXPECT_NE(*ia, *changed);
    EXPECT_FALSE(identify_file("/nonexistent", "/nonexistent"));
    EXPECT_FALSE(identify_file("/proc", "/proc"));   // not a regular file
    fs::remove(a);
    fs::remove(b);
}

TEST(FileIdentity, InterpretersOfElfFilesAndScripts) {
    std::ifstream sh("/bin/sh", std::ios::binary);
    std::vector<uint8_t> head(8192);
    sh.read(reinterpret_cast<char*>(head.data()), long(head.size()));
    head.resize(size_t(sh.gcount()));
    ASSERT_TRUE(interpreter_of(head));
    EXPECT_EQ(interpreter_of(head)->rfind("/lib", 0), 0u) << *interpreter_of(head);   // the dynamic loader
    std::string script = "#! /bin/sh -e\necho hi\n";
    EXPECT_EQ(interpreter_of({reinterpret_cast<const uint8_t*>(script.data()), script.size()}), "/bin/sh");
    std::string text = "just text";
    EXPECT_EQ(interpreter_of({reinterpret_cast<const uint8_t*>(text.data()), text.size()}), "");
    head.resize(40);   // an ELF header cut short: cannot tell
    EXPECT_FALSE(interpreter_of(head));
    EXPECT_TRUE(changes_privileges("/usr/bin/passwd") || !std::filesystem::exists("/usr/bin/passwd"));
    EXPECT_FALSE(changes_privileges("/bin/sh"));
}

TEST(FileIdentity, AScriptNeedsItsInterpreterAndItsLoaderToo) {
    fs::path script = temp_file("omx-script", "#!/bin/sh\necho hi\n");
    auto files = files_to_exec(script);
    ASSERT_TRUE(files);
    ASSERT_GE(files->size(), 2u);   // the script, /bin/sh, and /bin/sh's loader when dynamic
    EXPECT_EQ((*files)[0].path, script.string());
    EXPECT_EQ((*files)[1].path, "/bin/sh");
    fs::path bad = temp_file("omx-script-bad", "#!relative/interp\n");
    EXPECT_FALSE(files_to_exec(bad));
    EXPECT_FALSE(files_to_exec("relative/path"));
    fs::remove(script);
    fs::remove(bad);
}

TEST(FileIdentity, ListsRoundTripAndTruncationsAreRefused) {
    FileIdentity f{"/usr/bin/awk", 12345, {}};
    f.sha256[0] = 0xab;
    f.sha256[31] = 0xcd;
    auto b = encode_identities({f, f});
    EXPECT_EQ(decode_identities(b), (std::vector<FileIdentity>{f, f}));
    EXPECT_TRUE(decode_identities(encode_identities({})).empty());
    for (size_t n = 0; n < b.size(); ++n)
        EXPECT_THROW(decode_identities(std::span<const uint8_t>(b.data(), n)), omx::WireError) << n;
}
