// The restorer stub for IA32 (restorer/x86_64.cpp says what it is for). If it ever runs,
// it only waits to be killed: pause() through int $0x80, the call every i386 kernel has.
extern "C" [[noreturn]] void _start() {
    for (;;) {
        long nr = 29;   // pause()
        asm volatile("int $0x80" : "+a"(nr) : : "memory");
    }
}
