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

Request req(Op op, uint64_t inode = 0, const std::string& name = "", omx::FsCredentials who = {}) {
    Request q;
    q.op = op;
    q.inode = inode;
    q.name = name;
    q.who = who;
    return q;
}

// The server inode of an absolute path, looked up a component at a time as the client does.
uint64_t walk(LocalFiles& files, const fs::path& path, omx::FsCredentials who = {}) {
    Reply r = files.serve(req(Op::Root, 0, "", who));
    EXPECT_EQ(r.result, 0);
    uint64_t at = r.inode;
    for (const auto& part : path.relative_path()) {
        r = files.serve(req(Op::Lookup, at, part.string(), who));
        if (r.result < 0) return 0;
        at = r.inode;
    }
    return at;
}

}  // namespace

TEST(LocalFiles, CreateWriteReadStatRenameUnlinkByInode) {
    Dir d;
    LocalFiles files;
    uint64_t dir = walk(files, d.path);
    ASSERT_NE(dir, 0u);
    auto c = req(Op::Create, dir, "f");
    c.flags = O_RDWR;
    c.mode = 0640;
    Reply made = files.serve(c);
    ASSERT_EQ(made.result, 0);
    auto w = req(Op::Write);
    w.handle = made.handle;
    w.offset = 3;
    w.data = {'a', 'b', 'c'};
    EXPECT_EQ(files.serve(w).result, 3);
    auto r = req(Op::Read);
    r.handle = made.handle;
    r.size = 100;
    Reply got = files.serve(r);
    ASSERT_EQ(got.result, 6);
    EXPECT_EQ(got.data, (std::vector<uint8_t>{0, 0, 0, 'a', 'b', 'c'}));
    Reply st = files.serve(req(Op::Getattr, made.inode));
    EXPECT_EQ(st.attr.size, 6u);
    EXPECT_EQ(st.attr.mode & 07777, 0640u);
    // The same file by another lookup is the same inode of ours.
    EXPECT_EQ(files.serve(req(Op::Lookup, dir, "f")).inode, made.inode);
    auto mv = req(Op::Rename, dir, "f");
    mv.inode2 = dir;
    mv.name2 = "g";
    EXPECT_EQ(files.serve(mv).result, 0);
    EXPECT_EQ(files.serve(req(Op::Lookup, dir, "f")).result, -ENOENT);
    // Renamed, then unlinked: still the file the inode number stands for.
    EXPECT_EQ(files.serve(req(Op::Unlink, dir, "g")).result, 0);
    Reply gone = files.serve(req(Op::Getattr, made.inode));
    ASSERT_EQ(gone.result, 0);
    EXPECT_EQ(gone.attr.nlink, 0u);
    EXPECT_EQ(gone.attr.size, 6u);
    auto rel = req(Op::Release);
    rel.handle = made.handle;
    EXPECT_EQ(files.serve(rel).result, 0);
    EXPECT_EQ(files.open_handles(), 0u);
    EXPECT_EQ(files.serve(r).result, -EBADF);
    // Forgotten as often as it was looked up (create, lookup): the number is gone.
    auto forget = req(Op::Forget, made.inode);
    forget.offset = 2;
    files.serve(forget);
    EXPECT_EQ(files.serve(req(Op::Getattr, made.inode)).result, -ESTALE);
}

TEST(LocalFiles, SetattrChangesModeSizeAndTimesOfTheInode) {
    Dir d;
    LocalFiles files;
    std::ofstream(d.path / "f") << "0123456789";
    uint64_t f = walk(files, d.path / "f");
    auto s = req(Op::Setattr, f);
    s.flags = kSetMode | kSetSize | kSetMtime;
    s.mode = 0600;
    s.offset = 4;
    s.times[2] = 1000000000;
    s.times[3] = 5;
    Reply r = files.serve(s);
    ASSERT_EQ(r.result, 0);
    EXPECT_EQ(r.attr.mode & 07777, 0600u);
    EXPECT_EQ(r.attr.size, 4u);
    EXPECT_EQ(r.attr.mtime, 1000000000);
    EXPECT_EQ(r.attr.mtime_ns, 5);
    EXPECT_EQ(fs::file_size(d.path / "f"), 4u);
}

TEST(LocalFiles, ProcDevicesFifosAndTheMountAreNotShown) {
    Dir d;
    LocalFiles files;
    EXPECT_EQ(walk(files, "/proc/self/status"), 0u);
    EXPECT_EQ(walk(files, "/mfs"), 0u);
    EXPECT_EQ(walk(files, "/dev/null"), 0u);
    ASSERT_EQ(::mkfifo((d.path / "fifo").c_str(), 0600), 0);
    std::ofstream(d.path / "plain") << "x";
    uint64_t dir = walk(files, d.path);
    EXPECT_EQ(files.serve(req(Op::Lookup, dir, "fifo")).result, -ENOENT);
    EXPECT_EQ(files.serve(req(Op::Lookup, dir, "..")).result, -EINVAL);
    EXPECT_EQ(files.serve(req(Op::Lookup, dir, "a/b")).result, -ENOENT);
    Reply list = files.serve(req(Op::Readdir, dir));
    ASSERT_EQ(list.result, 0);
    ASSERT_EQ(list.entries.size(), 1u);
    EXPECT_EQ(list.entries[0].name, "plain");
    Reply root = files.serve(req(Op::Readdir, walk(files, "/")));
    for (const auto& e : root.entries) {
        EXPECT_NE(e.name, "proc");
        EXPECT_NE(e.name, "mfs");
    }
    EXPECT_EQ(files.serve(req(Op::Getattr, 12345)).result, -ESTALE);
}

TEST(LocalFiles, AccessIsCheckedAsTheCallingUser) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to act as another user";
    Dir d;
    LocalFiles files;
    std::ofstream(d.path / "secret") << "root only";
    fs::permissions(d.path / "secret", fs::perms::owner_read | fs::perms::owner_write);
    omx::FsCredentials nobody{65534, 65534, {}};
    uint64_t secret = walk(files, d.path / "secret", nobody);
    ASSERT_NE(secret, 0u);
    auto o = req(Op::Open, secret, "", nobody);
    o.flags = O_RDONLY;
    EXPECT_EQ(files.serve(o).result, -EACCES);
    auto ch = req(Op::Setattr, secret, "", nobody);
    ch.flags = kSetOwner;
    ch.owner = 65534;
    EXPECT_EQ(files.serve(ch).result, -EPERM);
    auto acc = req(Op::Access, secret, "", nobody);
    acc.flags = R_OK;
    EXPECT_EQ(files.serve(acc).result, -EACCES);
    auto mine = req(Op::Create, walk(files, d.path), "mine", nobody);
    mine.flags = O_WRONLY;
    mine.mode = 0600;
    Reply made = files.serve(mine);
    ASSERT_EQ(made.result, 0);
    EXPECT_EQ(made.attr.uid, 65534u);
    // The thread is root again afterwards.
    auto again = req(Op::Open, secret);
    again.flags = O_RDONLY;
    EXPECT_EQ(files.serve(again).result, 0);
}

TEST(LocalFiles, OnlyRecentInodesKeepADescriptorAndOlderOnesAreFoundAgainByName) {
    Dir d;
    LocalFiles files(kDefaultMount, 3);   // root, the directory, and one more
    for (int i = 0; i < 5; ++i) std::ofstream(d.path / ("f" + std::to_string(i))) << std::string(size_t(i), 'x');
    uint64_t dir = walk(files, d.path);
    std::vector<uint64_t> ino;
    for (int i = 0; i < 5; ++i) ino.push_back(files.serve(req(Op::Lookup, dir, "f" + std::to_string(i))).inode);
    for (int round = 0; round < 2; ++round)
        for (int i = 0; i < 5; ++i) {
            Reply r = files.serve(req(Op::Getattr, ino[size_t(i)]));
            ASSERT_EQ(r.result, 0) << i;
            EXPECT_EQ(r.attr.size, uint64_t(i));
        }
    // f0 has no descriptor now; its name leads to another file: never that one.
    files.serve(req(Op::Getattr, ino[4]));
    files.serve(req(Op::Getattr, ino[3]));
    fs::rename(d.path / "f0", d.path / "gone");
    std::ofstream(d.path / "f0") << "a newcomer";
    EXPECT_EQ(files.serve(req(Op::Getattr, ino[0])).result, -ESTALE);
    // One with its descriptor follows the file through a rename.
    fs::rename(d.path / "f3", d.path / "moved");
    Reply r = files.serve(req(Op::Getattr, ino[3]));
    ASSERT_EQ(r.result, 0);
    EXPECT_EQ(r.attr.size, 3u);
}
