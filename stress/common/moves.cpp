#include "moves.h"

#include <sys/wait.h>

#include "children.h"

namespace omx::stress {

namespace {

bool contains(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

// omxd's words (docs/control-protocol.md) for a move that is nobody's error.
bool refused_for_a_reason(const std::string& error) {
    return contains(error, "no process ") ||            // the command's process ended
           contains(error, " ended before it came home") || contains(error, " ended on its way") ||
           contains(error, "cannot migrate (") ||       // cantmove: threads, SysV shm, ...
           contains(error, "is locked (") ||             // the user's lock
           contains(error, "its cluster mask excludes") ||
           contains(error, "is already on its way") ||   // the balancer, or a user, moves it
           contains(error, "is blocked");                // the administrator's word
}

}  // namespace

MoveKind classify_move(bool ok, const std::string& note, const std::string& error) {
    if (ok) return note.empty() ? MoveKind::moved : MoveKind::refused;
    return refused_for_a_reason(error) ? MoveKind::refused : MoveKind::failed;
}

const char* move_kind_word(MoveKind k) {
    switch (k) {
    case MoveKind::moved: return "moved";
    case MoveKind::refused: return "refused";
    case MoveKind::failed: break;
    }
    return "failed";
}

Outcome judge_moving(int command_status, const std::vector<MoveRecord>& moves) {
    int count[3] = {0, 0, 0};
    const MoveRecord* first_failed = nullptr;
    for (const auto& m : moves) {
        ++count[int(m.kind)];
        if (m.kind == MoveKind::failed && !first_failed) first_failed = &m;
    }
    std::string tally = std::to_string(moves.size()) + " moves: " + std::to_string(count[0]) + " moved, " + std::to_string(count[1]) +
                        " refused, " + std::to_string(count[2]) + " failed";
    bool command_ok = WIFEXITED(command_status) && WEXITSTATUS(command_status) == 0;
    if (!command_ok) return Outcome::fail("the command ended with " + describe_status(command_status) + "; " + tally);
    if (2 * count[2] > int(moves.size()))
        return Outcome::fail("more than half of the moves failed: " + tally + " (first: node " + std::to_string(first_failed->from) +
                             " -> " + std::to_string(first_failed->to) + ": " + first_failed->text + ")");
    return Outcome::pass("the command exited 0; " + tally);
}

}  // namespace omx::stress
