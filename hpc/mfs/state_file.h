#pragma once
// What a node's oMFS is doing, for the other parts on the node: omxd (its `version` and
// status), and the remote part of each migrated process (whether DFSA applies). Written
// by omx-mfs to <run dir>/mfs.json; a file whose writer is gone means no oMFS.
//   {"pid": 123, "mount": "/mfs", "dfsa": true, "port": 4661, "self": 2}
// `dfsa` is already off when the node refuses oMFS (mosctl nomfs).
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

namespace omx::mfs {

inline constexpr const char* kDefaultStateFile = "/run/omxd/mfs.json";

struct MfsState {
    pid_t pid = 0;
    std::string mount;
    bool dfsa = false;
    unsigned port = 0;
    uint16_t self = 0;   // this node's id as omx-mfs last heard it
};

void write_state(const std::string& path, const MfsState& s);
// nullopt when there is no file or its writer is no longer running.
std::optional<MfsState> read_state(const std::string& path = kDefaultStateFile);

}  // namespace omx::mfs
