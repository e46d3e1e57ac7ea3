#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "local_files.h"

using namespace omx::mfs;
namespace fs = std::filesystem;

namespace {

struct Dir {
    fs::path path;
    Dir() {
        char t[] = "/tmp/mfs-test-XXXXXX";
        path = ::mkdtemp(t);
        fs::permissions(path, fs::perms::all);
    }
    ~Dir() { fs::remove_all(path); }
};

Request req(Op op, const std::string& path, omx::FsCredentials who = {}) {
    Request q;
    q.op = op;
    q.path = path;
    q.who = who;
    return q;
}

}  // namespace

TEST(LocalFiles, CreateWriteReadStatRenameUnlink) {
    Dir d;
    LocalFiles files;
    auto c = req(Op::Create, d.path / "f");
    c.flags = O_RDWR;
    c.mode = 0640;
    Reply made = files.serve(c);
    ASSERT_EQ(made.result, 0);
    auto w = req(Op::Write, "");
    w.handle = made.handle;
    w.offset = 3;
    w.data = {'a', 'b', 'c'};
    EXPECT_EQ(files.serve(w).result, 3);
    auto r = req(Op::Read, "");
    r.handle = made.handle;
    r.size = 100;
    Reply got = files.serve(r);
    ASSERT_EQ(got.result, 6);
    EXPECT_EQ(got.data, (std::vector<uint8_t>{0, 0, 0, 'a', 'b', 'c'}));
    Reply st = files.serve(req(Op::Getattr, d.path / "f"));
    EXPECT_EQ(st.attr.size, 6u);
    EXPECT_EQ(st.attr.mode & 07777, 0640u);
    auto mv = req(Op::Rename, d.path / "f");
    mv.path2 = d.path / "g";
    EXPECT_EQ(files.serve(mv).result, 0);
    EXPECT_EQ(files.serve(req(Op::Getattr, d.path / "f")).result, -ENOENT);
    auto rel = req(Op::Release, "");
    rel.handle = made.handle;
    EXPECT_EQ(files.serve(rel).result, 0);
    EXPECT_EQ(files.open_handles(), 0u);
    EXPECT_EQ(files.serve(req(Op::Unlink, d.path / "g")).result, 0);
    EXPECT_EQ(files.serve(r).result, -EBADF);
}

TEST(LocalFiles, ProcDevicesFifosAndTheMountAreNotShown) {
    Dir d;
    LocalFiles files;
    EXPECT_EQ(files.serve(req(Op::Getattr, "/proc/self/status")).result, -ENOENT);
    EXPECT_EQ(files.serve(req(Op::Getattr, "/mfs/1/usr")).result, -ENOENT);
    EXPECT_EQ(files.serve(req(Op::Getattr, "/dev/null")).result, -ENOENT);
    auto o = req(Op::Open, "/dev/null");
    o.flags = O_RDONLY;
    EXPECT_EQ(files.serve(o).result, -ENOENT);
    ASSERT_EQ(::mkfifo((d.path / "fifo").c_str(), 0600), 0);
    std::ofstream(d.path / "plain") << "x";
    auto of = req(Op::Open, d.path / "fifo");
    EXPECT_EQ(files.serve(of).result, -ENOENT);   // and it did not block
    Reply list = files.serve(req(Op::Readdir, d.path));
    ASSERT_EQ(list.result, 0);
    ASSERT_EQ(list.entries.size(), 1u);
    EXPECT_EQ(list.entries[0].name, "plain");
    Reply root = files.serve(req(Op::Readdir, "/"));
    for (const auto& e : root.entries) {
        EXPECT_NE(e.name, "proc");
        EXPECT_NE(e.name, "mfs");
    }
    EXPECT_EQ(files.serve(req(Op::Getattr, "/tmp/../etc")).result, -EINVAL);
}

TEST(LocalFiles, AccessIsCheckedAsTheCallingUser) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to act as another user";
    Dir d;
    LocalFiles files;
    std::ofstream(d.path / "secret") << "root only";
    fs::permissions(d.path / "secret", fs::perms::owner_read | fs::perms::owner_write);
    omx::FsCredentials nobody{65534, 65534, {}};
    auto o = req(Op::Open, d.path / "secret", nobody);
    o.flags = O_RDONLY;
    EXPECT_EQ(files.serve(o).result, -EACCES);
    auto ch = req(Op::Chown, d.path / "secret", nobody);
    ch.owner = 65534;
    EXPECT_EQ(files.serve(ch).result, -EPERM);
    auto acc = req(Op::Access, d.path / "secret", nobody);
    acc.flags = R_OK;
    EXPECT_EQ(files.serve(acc).result, -EACCES);
    auto mine = req(Op::Create, d.path / "mine", nobody);
    mine.flags = O_WRONLY;
    mine.mode = 0600;
    Reply made = files.serve(mine);
    ASSERT_EQ(made.result, 0);
    EXPECT_EQ(made.attr.uid, 65534u);
    // The thread is root again afterwards.
    auto again = req(Op::Open, d.path / "secret");
    again.flags = O_RDONLY;
    EXPECT_EQ(files.serve(again).result, 0);
}
