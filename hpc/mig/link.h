#pragma once
// The migration link: one TCP connection (port 4660) between a process's deputy at home
// and its remote part on the node it runs on, for the whole stay away.
//
//   message = u8 type, u32 length, payload (little-endian, bounds-checked: bytes.h)
//
//   home (deputy)                         remote (omxd's remote part)
//   Hello{version, nonce_h, home id}  ->
//                                     <-  Challenge{nonce_r, mac("remote"|nonce_h|nonce_r)}
//   Proof{mac("home"|nonce_r|nonce_h)} ->
//   Request{pid, uid, gid, groups, comm} ->
//                                     <-  Accept{} | Refuse{reason}
//   image frames (image.h), raw        ->
//                                     <-  Arrived{remote pid} | Failed{reason}
//   then, until the process ends or comes home, in any order:
//                                     <-  Call{forwarded call}       -> Result{...}
//   Signal{sig}                       ->  (delivered to the process)
//   ComeHome{}                        ->  (calls already sent are still answered)
//                                     <-  ComeHome{}, then the image frames, raw;
//                                         home answers HomeOk{}
//                                         or HomeFailed{reason} (the process runs on there)
//                                     <-  WantHome{reason} (expel): home answers ComeHome
//                                     <-  Exit{wait status}
//                                     <-  Fork{exit signal, token}: the process forked;
//                                         its child's image waits on the remote node
//   ForkResult{child's home PID or -errno}->  (-ENOSYS: fork at home instead)
//
//                                     <-  Exec{files the exec needs, as found here}
//   ExecResult{"" or why not here}     ->  ("": the process execs where it runs)
//                                     <-  Execed{path, command line}: it did; the husk
//                                         closes its close-on-exec fds, resets handlers
//                                     <-  MapFile{fd}: may this node map its own copy?
//   MapFileResult{identity of fd's file, or none} ->
//                                     <-  Stopped{sig}: it stopped (job control); the
//                                         husk stops the same way for its parent
//
// A forked child comes with a link of its own: its deputy connects like any migration,
// with the Request's fork token naming the image the remote part already holds; no image
// frames follow the Accept.
//
// Both ends prove knowledge of the cluster key before anything else is read; frames after
// the handshake rely on the TCP connection (as openMosix did on its trusted network).
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/cluster_key.h"
#include "common/fd.h"
#include "forward.h"

namespace omx::mig {

inline constexpr uint32_t kLinkVersion = 1;
inline constexpr uint32_t kMaxMessage = 80u << 20;   // a forwarded call's buffers stay below this

enum class Msg : uint8_t {
    Hello = 1, Challenge, Proof, Request, Accept, Refuse, Arrived, Failed,
    Call, Result, Signal, ComeHome, HomeOk, HomeFailed, WantHome, Exit, Fork, ForkResult,
    Exec, ExecResult, Execed, MapFile, MapFileResult, Stopped,
};
const char* to_string(Msg m);

// The other end went away (EOF, reset, keepalive timeout).
struct LinkClosed : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct MigrationRequest {
    uint32_t pid = 0;        // the PID at home
    uint16_t home = 0;       // home node id
    uint32_t uid = 0, gid = 0;
    std::vector<uint32_t> groups;
    std::string comm;
    std::string fork_token;  // a forked child whose image is already on the node (else empty)
    std::string home_mfs;    // home's oMFS mount when DFSA is on there (else empty): DFSA
                             // applies only where both nodes mount it alike (HOWTO 4.3.3)
};

struct ForkRequest {
    uint32_t exit_signal = 0;   // what the parent gets when the child ends (SIGCHLD)
    std::string token;
};
std::vector<uint8_t> encode_fork(const ForkRequest& f);
ForkRequest decode_fork(std::span<const uint8_t> b);
std::vector<uint8_t> encode_i64(int64_t v);
struct ExecedNote {
    std::string path, command;
};
std::vector<uint8_t> encode_execed(const ExecedNote& e);
ExecedNote decode_execed(std::span<const uint8_t> b);
int64_t decode_i64(std::span<const uint8_t> b);

std::vector<uint8_t> encode_request(const MigrationRequest& r);
MigrationRequest decode_request(std::span<const uint8_t> b);
std::vector<uint8_t> encode_call(const ForwardedCall& c);
ForwardedCall decode_call(std::span<const uint8_t> b);
std::vector<uint8_t> encode_result(const ForwardedResult& r);
ForwardedResult decode_result(std::span<const uint8_t> b);
std::vector<uint8_t> encode_text(const std::string& s);
std::string decode_text(std::span<const uint8_t> b);
std::vector<uint8_t> encode_u32(uint32_t v);
uint32_t decode_u32(std::span<const uint8_t> b);

class Link {
public:
    explicit Link(omx::UniqueFd sock);
    int fd() const { return sock_.get(); }

    void send(Msg type, std::span<const uint8_t> payload = {});
    // One message whose payload is `first` then `second`, without joining them first (a
    // big data block and a few bytes of fields).
    void send(Msg type, std::span<const uint8_t> first, std::span<const uint8_t> second);
    // Waits up to `timeout_ms` (-1: forever). False on timeout; LinkClosed when the peer is gone.
    bool receive(Msg& type, std::vector<uint8_t>& payload, int timeout_ms = -1);
    // Watches the link without sleeping for up to `us` microseconds: true as soon as a
    // message is there. An answer expected within microseconds is met awake, without the
    // wake-up of a sleeping process (which on a virtual machine costs tens of µs).
    bool spin_until_readable(int us);
    // Receives the next message, which must be `want` (else a WireError naming both).
    std::vector<uint8_t> expect(Msg want, int timeout_ms);

    // Mutual proof of the cluster key. Throws on a wrong key or a garbled handshake.
    void handshake_as_home(const ClusterKey& key, uint16_t home_id, int timeout_ms);
    uint16_t handshake_as_remote(const ClusterKey& key, int timeout_ms);   // returns the home id

private:
    omx::UniqueFd sock_;
};

// TCP to `ipv4:port` (network byte order address) with a connect timeout; keepalive and
// TCP_USER_TIMEOUT so that a dead peer is noticed within `dead_after_ms`.
omx::UniqueFd connect_tcp(uint32_t ipv4, uint16_t port, int timeout_ms, int dead_after_ms);
void set_liveness(int fd, int dead_after_ms);

}  // namespace omx::mig
