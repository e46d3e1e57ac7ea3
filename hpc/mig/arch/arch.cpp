// The architecture-neutral part of arch/arch.h.
#include "arch/arch.h"

namespace omx::mig::arch {

const char* name(Id id) {
    switch (id) {
        case Id::X86_64: return "x86_64";
        case Id::I386: return "i386";
    }
    return "another architecture";
}

}  // namespace omx::mig::arch
