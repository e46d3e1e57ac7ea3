// The restorer stub: the process a migrated image is rebuilt in. It is started under
// ptrace and stopped at exec before its first instruction; the remote part then replaces
// its whole address space. Freestanding and static so it brings no loader, no libc and no
// mappings of its own beyond its few pages. If it ever runs (its tracer died before taking
// it over), it only waits to be killed.
extern "C" [[noreturn]] void _start() {
    for (;;) {
        long nr = 34;   // pause()
        asm volatile("syscall" : "+a"(nr) : : "rcx", "r11", "memory");
    }
}
