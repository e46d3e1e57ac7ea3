#pragma once
// mfstest's work (HOWTO 13.3): a file of seeded pseudo-random bytes copied through oMFS
// from the home node to every node and back, its SHA-256 checked after each copy.
// oMFS shows node N's root at /mfs/N and the home node's at /mfs/home, so the same code
// runs against a tree of plain directories laid out that way (the unit tests' fake oMFS).
#include <functional>
#include <string>
#include <vector>

namespace omx::stress {

// Whether a filesystem is mounted exactly at `dir`, per `mountinfo` (the text of
// /proc/self/mountinfo; mount points there escape blanks as \040).
bool mounted_at(const std::string& mountinfo, const std::string& dir);

// Writes `bytes` seeded pseudo-random bytes to `path`; returns their SHA-256 (hex).
std::string write_random_file(const std::string& path, size_t bytes, unsigned long long seed);
// SHA-256 (hex) of a file's content.
std::string sha256_of_file(const std::string& path);
// Copies `from` to `to` (created or truncated); returns the bytes copied.
size_t copy_file(const std::string& from, const std::string& to);

struct MfsLeg {
    std::string node;        // "2"
    std::string direction;   // "there" or "back"
    size_t bytes = 0;
    double seconds = 0;
    std::string error;       // "" when the copy arrived intact
};

struct MfsPlan {
    std::string root = "/mfs";       // the oMFS mount (or a fake tree)
    std::string workdir;             // relative to every node's root, e.g. "tmp/mfstest.4242"
    std::vector<std::string> nodes;  // node directories under root to copy to: "1", "2", ...
    size_t bytes = 10 << 20;
    unsigned long long seed = 1;
    // Called with each copy's destination between the copy and its check (tests corrupt it).
    std::function<void(const std::string&)> after_copy;
};

// Makes root/home/workdir/file, then for each node copies it to root/N/workdir/file and
// back to root/home/workdir/file.back, checking the SHA-256 each time; removes what it
// made. One leg per copy, in order; it goes on after a bad copy, so every node is tried.
std::vector<MfsLeg> mfs_round_trips(const MfsPlan& plan);

}  // namespace omx::stress
