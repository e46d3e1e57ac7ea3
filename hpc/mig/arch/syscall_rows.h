#pragma once
// Shorthands for the rows of the per-architecture system call tables
// (arch/<arch>/syscall_table.cpp): one row per call, `LOCAL(name, note)`,
// `FWD(name, note, what each argument carries...)`, `HOME(name, note)`. Included by
// those two files only.
#include <sys/syscall.h>

#include "syscall_table.h"

namespace omx::mig::rows {

constexpr ArgSpec V{.kind = Arg::Value};
constexpr ArgSpec STR{.kind = Arg::Str};
constexpr ArgSpec SP{.kind = Arg::Special};
constexpr ArgSpec IN(uint8_t a) { return {.kind = Arg::In, .size_arg = a}; }
constexpr ArgSpec OUT(uint8_t a) { return {.kind = Arg::Out, .size_arg = a}; }
constexpr ArgSpec INF(uint32_t n) { return {.kind = Arg::InFixed, .size = n}; }
constexpr ArgSpec OUTF(uint32_t n) { return {.kind = Arg::OutFixed, .size = n}; }
constexpr ArgSpec IOF(uint32_t n) { return {.kind = Arg::InOutFixed, .size = n}; }
constexpr ArgSpec INA(uint8_t a, uint32_t n) { return {.kind = Arg::InArray, .size_arg = a, .size = n}; }
constexpr ArgSpec IOA(uint8_t a, uint32_t n) { return {.kind = Arg::InOutArray, .size_arg = a, .size = n}; }
constexpr ArgSpec OUTA(uint8_t a, uint32_t n) { return {.kind = Arg::OutArray, .size_arg = a, .size = n}; }

}  // namespace omx::mig::rows

#define LOCAL(name, note) SyscallInfo{SYS_##name, #name, SyscallClass::Local, {}, note, -1, 0, 0}
#define LOCAL_IF(name, arg, mask, value, note) \
    SyscallInfo{SYS_##name, #name, SyscallClass::Local, {}, note, arg, mask, value}
#define FWD(name, note, ...) SyscallInfo{SYS_##name, #name, SyscallClass::Forwarded, {{__VA_ARGS__}}, note, -1, 0, 0}
#define HOME(name, note) SyscallInfo{SYS_##name, #name, SyscallClass::BringHome, {}, note, -1, 0, 0}
