# Cross build of the product for IA32 (i686) on an x86_64 Debian host, with Debian's cross
# compiler and the :i386 libraries of the multiarch dirs (ci/install-deps-i386 installs
# both). Used by `make build-i386`:
#   cmake -S . -B build-i386 -G Ninja -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-i686.cmake
# The binaries run on an i386 kernel, on an x86_64 kernel with IA32 emulation, or under
# qemu-user: -DOMX_I386_EMULATOR=qemu-i386 makes CTest (and gtest's test discovery) run
# them through it.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR i686)

set(CMAKE_C_COMPILER i686-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER i686-linux-gnu-g++)

# find_library, find_package and pkg-config look in the i386 multiarch dirs of this host.
set(CMAKE_LIBRARY_ARCHITECTURE i386-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/i386-linux-gnu/pkgconfig:/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")

set(OMX_I386_EMULATOR "" CACHE STRING "run i386 binaries through this (qemu-i386) at build and test time")
if(OMX_I386_EMULATOR)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${OMX_I386_EMULATOR})
endif()
