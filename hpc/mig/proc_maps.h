#pragma once
// /proc/<pid>/maps and /proc/<pid>/stat, read the way checkpoint and restore need them.
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace omx::mig {

struct Mapping {
    uint64_t start = 0, end = 0;
    int prot = 0;          // PROT_READ | PROT_WRITE | PROT_EXEC
    bool shared = false;   // 's' in the flags column
    uint64_t offset = 0;
    uint64_t inode = 0;
    std::string path;      // "" (anonymous), a file, or [heap] [stack] [vdso] [vvar] ...
    uint64_t size() const { return end - start; }
    static Mapping range(uint64_t s, uint64_t e) {
        Mapping m;
        m.start = s;
        m.end = e;
        return m;
    }
    bool is(const char* name) const { return path == name; }
    // [vdso], [vvar], [vvar_vclock], [vsyscall]: provided by the kernel, never copied.
    bool kernel_special() const;
};

std::vector<Mapping> parse_maps(const std::string& text);
std::vector<Mapping> read_maps(pid_t pid);

// The memory layout fields of /proc/<pid>/stat that prctl(PR_SET_MM_MAP) restores.
struct MmLayout {
    uint64_t start_code = 0, end_code = 0, start_data = 0, end_data = 0, start_brk = 0, brk = 0,
             start_stack = 0, arg_start = 0, arg_end = 0, env_start = 0, env_end = 0;
};
MmLayout parse_stat_layout(const std::string& stat_line);
MmLayout read_stat_layout(pid_t pid);

// A free, page-aligned range of `size` bytes at or above `from` that overlaps none of the
// given mappings; throws when there is none below the top of user space.
uint64_t find_hole(const std::vector<std::vector<Mapping>*>& layouts, uint64_t size, uint64_t from);

}  // namespace omx::mig
