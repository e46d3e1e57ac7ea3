#include "fs_credentials.h"

#include <fmt/format.h>
#include <sys/fsuid.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace omx {

namespace {

std::vector<gid_t> thread_groups() {
    long n = ::syscall(SYS_getgroups, 0, nullptr);
    std::vector<gid_t> g(size_t(n > 0 ? n : 0));
    if (n > 0) ::syscall(SYS_getgroups, n, g.data());
    return g;
}

void set_thread_groups(const std::vector<gid_t>& g) { ::syscall(SYS_setgroups, g.size(), g.data()); }

}  // namespace

FsCredentials FsCredentials::of_process(pid_t pid) {
    std::ifstream in(fmt::format("/proc/{}/status", pid));
    if (!in) throw std::runtime_error(fmt::format("process {} is gone", pid));
    FsCredentials c;
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string key;
        fields >> key;
        unsigned long real, eff, saved, fs;
        if (key == "Uid:" && fields >> real >> eff >> saved >> fs) c.uid = uid_t(fs);
        else if (key == "Gid:" && fields >> real >> eff >> saved >> fs) c.gid = gid_t(fs);
        else if (key == "Groups:")
            for (unsigned long g; fields >> g;) c.groups.push_back(gid_t(g));
    }
    return c;
}

ActAs::ActAs(const FsCredentials& who)
    : old_uid_(uid_t(::syscall(SYS_setfsuid, -1))), old_gid_(gid_t(::syscall(SYS_setfsgid, -1))),
      old_groups_(thread_groups()) {
    // Groups first: they need the capability the fsuid switch drops.
    set_thread_groups(who.groups);
    ::syscall(SYS_setfsgid, who.gid);
    ::syscall(SYS_setfsuid, who.uid);
}

ActAs::~ActAs() {
    ::syscall(SYS_setfsuid, old_uid_);
    ::syscall(SYS_setfsgid, old_gid_);
    set_thread_groups(old_groups_);
}

}  // namespace omx
