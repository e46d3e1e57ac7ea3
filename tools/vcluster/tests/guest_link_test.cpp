// The host ↔ VM node link: frames, the handshake proof, and vcluster-guestd's requests
// served over loopback (exec with streams and exit status, spawn, pids, refusals).
#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "common/cluster_key.h"
#include "guest_link.h"
#include "guestd/guestd.h"

using namespace vcluster::guest;
using json = nlohmann::json;

namespace {

const omx::ClusterKey kKey = omx::ClusterKey::from_hex(std::string(64, 'a'));
const omx::ClusterKey kOtherKey = omx::ClusterKey::from_hex(std::string(64, 'b'));

TEST(GuestFrames, RoundTripInPiecesOfAnySize) {
    std::string wire = encode_frame(FrameType::Stdout, "hello") + encode_frame(FrameType::Stderr, "") +
                       encode_frame(FrameType::Stdin, std::string(70000, 'x')) + encode_exit(143);
    for (size_t piece : {size_t(1), size_t(3), size_t(4096), wire.size()}) {
        FrameReader r;
        std::vector<Frame> got;
        for (size_t at = 0; at < wire.size(); at += piece) {
            r.append(std::string_view(wire).substr(at, piece));
            while (auto f = r.next()) got.push_back(*f);
        }
        ASSERT_EQ(got.size(), 4u) << piece;
        EXPECT_EQ(got[0].data, "hello");
        EXPECT_EQ(got[1].type, FrameType::Stderr);
        EXPECT_EQ(got[2].data.size(), 70000u);
        EXPECT_EQ(decode_exit(got[3]), 143);
    }
}

TEST(GuestFrames, UnknownTypesOversizedFramesAndBadExitsAreRefused) {
    FrameReader bad_type;
    bad_type.append(std::string("z\0\0\0\0", 5));
    EXPECT_THROW(bad_type.next(), std::runtime_error);
    FrameReader too_big;
    too_big.append(std::string("o\x7f\xff\xff\xff", 5));
    EXPECT_THROW(too_big.next(), std::runtime_error);
    EXPECT_THROW(decode_exit(Frame{FrameType::Exit, "12a"}), std::runtime_error);
    EXPECT_THROW(decode_exit(Frame{FrameType::Exit, ""}), std::runtime_error);
    EXPECT_THROW(decode_exit(Frame{FrameType::Stdout, "0"}), std::runtime_error);
}

// Random bytes from the network never crash the reader: they are frames or an error.
TEST(GuestFrames, RandomBytesAreFramesOrAnErrorNeverACrash) {
    std::mt19937 rng(7);
    for (int round = 0; round < 2000; ++round) {
        std::string bytes(rng() % 64, '\0');
        for (auto& c : bytes) c = char(rng());
        if (!bytes.empty() && round % 2) bytes[0] = "ioex"[rng() % 4];
        FrameReader r;
        r.append(bytes);
        try {
            while (r.next()) {
            }
        } catch (const std::runtime_error&) {
        }
    }
}

TEST(GuestProof, OnlyTheClusterKeyAnswersTheChallenge) {
    std::string challenge = random_hex(16);
    EXPECT_EQ(challenge.size(), 32u);
    EXPECT_TRUE(proof_matches(kKey, challenge, proof(kKey, challenge)));
    EXPECT_FALSE(proof_matches(kKey, challenge, proof(kOtherKey, challenge)));
    EXPECT_FALSE(proof_matches(kKey, random_hex(16), proof(kKey, challenge)));
    EXPECT_FALSE(proof_matches(kKey, challenge, ""));
}

// One guestd connection served in a child process, as guestd's accept loop does.
class Served {
public:
    explicit Served(const omx::ClusterKey& key) {
        int sv[2];
        EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        pid_ = ::fork();
        if (pid_ == 0) {
            ::close(sv[0]);
            ::signal(SIGPIPE, SIG_IGN);
            handle_connection(sv[1], key);
            _exit(0);
        }
        ::close(sv[1]);
        fd_ = sv[0];
    }
    ~Served() {
        ::close(fd_);
        ::waitpid(pid_, nullptr, 0);
    }
    // Handshake with `key`, then the request; returns the first reply line.
    json open(const omx::ClusterKey& key, const json& request) {
        std::string greeting = read_line(fd_);
        EXPECT_EQ(greeting.rfind("vcluster-guestd 1 ", 0), 0u) << greeting;
        write_all(fd_, proof(key, greeting.substr(18)) + "\n" + request.dump() + "\n");
        return json::parse(read_line(fd_));
    }
    int fd() const { return fd_; }

private:
    pid_t pid_ = -1;
    int fd_ = -1;
};

struct ExecResult {
    std::string out, err;
    int status = -1;
};

ExecResult run_exec(Served& s, const std::vector<std::string>& argv, const std::string& input) {
    json reply = s.open(kKey, {{"op", "exec"}, {"argv", argv}, {"env", {{"PATH", "/usr/bin:/bin"}}}, {"cwd", "/"}});
    EXPECT_TRUE(reply.value("ok", false)) << reply.dump();
    write_all(s.fd(), encode_frame(FrameType::Stdin, input) + encode_frame(FrameType::Stdin, ""));
    FrameReader r;
    ExecResult res;
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(s.fd(), buf, sizeof buf);
        if (n <= 0) break;
        r.append({buf, size_t(n)});
        while (auto f = r.next()) {
            if (f->type == FrameType::Exit) return res.status = decode_exit(*f), res;
            (f->type == FrameType::Stdout ? res.out : res.err) += f->data;
        }
    }
    return res;
}

TEST(Guestd, ExecGivesStreamsInputAndExitStatus) {
    Served s(kKey);
    auto r = run_exec(s, {"sh", "-c", "tr a-z A-Z; echo oops >&2; exit 3"}, "shout\n");
    EXPECT_EQ(r.out, "SHOUT\n");
    EXPECT_EQ(r.err, "oops\n");
    EXPECT_EQ(r.status, 3);
}

TEST(Guestd, ExecReportsDeathBySignalAndUnknownPrograms) {
    {
        Served s(kKey);
        EXPECT_EQ(run_exec(s, {"sh", "-c", "kill -TERM $$"}, "").status, 128 + SIGTERM);
    }
    Served s(kKey);
    auto r = run_exec(s, {"/no/such/program"}, "");
    EXPECT_EQ(r.status, 127);
    EXPECT_NE(r.err.find("cannot run /no/such/program"), std::string::npos) << r.err;
}

TEST(Guestd, SpawnStartsADaemonWithItsOutputInTheLog) {
    char dir[] = "/tmp/guestd-test-XXXXXX";
    ASSERT_TRUE(::mkdtemp(dir));
    std::string log = std::string(dir) + "/log";
    Served s(kKey);
    json reply = s.open(kKey, {{"op", "spawn"}, {"argv", {"sh", "-c", "echo started; echo $$ > " + std::string(dir) + "/pid"}},
                               {"env", {{"PATH", "/usr/bin:/bin"}}}, {"log", log}});
    ASSERT_TRUE(reply.value("ok", false)) << reply.dump();
    EXPECT_GT(reply.value("pid", 0), 0);
    for (int i = 0; i < 200 && ::access((std::string(dir) + "/pid").c_str(), F_OK) != 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    FILE* f = std::fopen(log.c_str(), "r");
    ASSERT_TRUE(f);
    char line[64] = {};
    EXPECT_TRUE(std::fgets(line, sizeof line, f));
    std::fclose(f);
    EXPECT_STREQ(line, "started\n");
    std::system(("rm -rf " + std::string(dir)).c_str());
}

TEST(Guestd, SpawnOfAMissingProgramSaysWhy) {
    Served s(kKey);
    json reply = s.open(kKey, {{"op", "spawn"}, {"argv", {"/no/such/daemon"}}, {"log", "/dev/null"}});
    EXPECT_FALSE(reply.value("ok", true));
    EXPECT_NE(reply.value("error", "").find("cannot run /no/such/daemon"), std::string::npos) << reply.dump();
}

TEST(Guestd, PidsFindsProcessesByName) {
    Served s(kKey);
    json reply = s.open(kKey, {{"op", "pids"}, {"comms", {"guest_link_test", "vcluster_test"}}});
    ASSERT_TRUE(reply.value("ok", false)) << reply.dump();
    auto pids = reply.at("pids").get<std::vector<int>>();
    EXPECT_NE(std::find(pids.begin(), pids.end(), int(::getpid())), pids.end());
}

TEST(Guestd, WrongKeyAndBadRequestsAreOneLineRefusals) {
    {
        Served s(kKey);
        json reply = s.open(kOtherKey, {{"op", "pids"}, {"comms", json::array()}});
        EXPECT_EQ(reply.value("error", ""), "wrong cluster key");
    }
    {
        Served s(kKey);
        json reply = s.open(kKey, {{"op", "reboot"}});
        EXPECT_EQ(reply.value("error", ""), "unknown op reboot");
    }
    Served s(kKey);
    json reply = s.open(kKey, {{"op", "exec"}, {"argv", json::array()}});
    EXPECT_FALSE(reply.value("ok", true));
    EXPECT_EQ(reply.value("error", ""), "empty command");
}

}  // namespace
