#pragma once
// `moving`'s account of its moves. A move that did not happen is either *refused* — for a
// reason that is nobody's error: the command ended meanwhile, it cannot move right now
// (threads, SysV shared memory: cantmove), its user locked it, the balancer was moving
// it, the target is blocked — or *failed*: anything else (a node down or lost, a transfer
// that broke, omxd not answering), which is what the test is there to find.
#include <string>
#include <vector>

#include "program.h"

namespace omx::stress {

enum class MoveKind { moved, refused, failed };

struct MoveRecord {
    double at_s = 0;        // seconds since the command started
    int from = 0, to = 0;   // node ids
    MoveKind kind = MoveKind::failed;
    std::string text;       // omxd's error or note, "" for a plain move
};

// How a migrate answer counts: ok (with no note) is moved, ok with a note ("already
// there") refused; an error refused or failed as above.
MoveKind classify_move(bool ok, const std::string& note, const std::string& error);

const char* move_kind_word(MoveKind k);   // moved, refused, failed

// The verdict: PASS when the command exited 0 and no more than half of the moves failed.
// `command_status` is the command's wait status.
Outcome judge_moving(int command_status, const std::vector<MoveRecord>& moves);

}  // namespace omx::stress
