#pragma once
// dpdk-lag-bench internals: the shared input (feed), the port set-ups of the
// scenarios, the measuring loop and the report. Not a library: one program.

#include <cstdint>
#include <string>
#include <vector>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "traffic.hpp"

namespace lag::bench {

inline constexpr uint16_t burst_size = 32;   // the io/bond loops' burst (testpmd's default)

// The input every scenario of a cell gets, identical across them.
//
// Egress (access -> LAG): the access port is a net_ring port whose RX ring the
// feeder fills with `round` pre-built frames before each measured round. The
// frames live in `egress_pool` (mbufs written once per cell); net_null
// members free what they transmit back to that pool, and the feeder takes
// the next round from it, so the frames cycle through the pool's ring.
//
// Ingress (LAG -> access): members are net_null ports whose RX allocates
// from `ingress_pool` (net_null writes only the length). Every ingress mbuf
// carries a pre-built frame; the feeder releases `round` of them into the
// pool before each round, so each member's RX returns them and then runs
// dry. What the access port transmits lands in `access_tx`, where the feeder
// takes the next round from.
//
// A round ends when both directions are empty: access RX ring drained and
// no ingress mbuf left in the pool. Only the forwarding is timed.
//
// The rings and the access port last the whole run; the pools and frames
// are a cell's (one frame size, MACsec on or off: load_cell/unload_cell).
// In a MACsec cell protect and verify rewrite frames in place (SecTAG, ICV,
// ciphertext), so before each round the feeder writes every frame of the
// round again from egress_src/ingress_src (`rewrite`; not timed). Each
// mbuf's private area holds the index of its frame.
struct feed {
    rte_mempool* egress_pool = nullptr;
    rte_mempool* ingress_pool = nullptr;
    rte_mempool* access_rxq_pool = nullptr;   // the access port's RX queue (net_ring allocates nothing)
    rte_ring* access_rx = nullptr;
    rte_ring* access_tx = nullptr;
    uint16_t access_port = 0;
    uint32_t round = 1024;             // frames per direction per round
    bool egress_on = true;             // feed the access port
    bool ingress_on = true;            // feed the members
    uint32_t per_round() const noexcept { return round * (egress_on + ingress_on); }
    uint32_t egress_frames = 0;
    uint32_t ingress_frames = 0;
    std::vector<void*> scratch;        // `round` pointers
    bool rewrite = false;
    std::vector<frame> egress_src, ingress_src;

    // Moves one round of frames to the ports. False if a pool or ring does
    // not hold what it should (a leak or a loss in the scenario).
    bool load_round() noexcept;
    bool round_done() const noexcept {
        return (rte_ring_count(access_rx) | rte_mempool_avail_count(ingress_pool)) == 0;
    }
    // Every frame back where it started: egress in its pool, ingress in
    // access_tx, and nothing queued on the access RX ring.
    bool all_home() const noexcept;
    // After a failed round: puts back what is still queued on the access RX
    // ring or in the ingress pool, so the next scenario starts clean.
    void reset() noexcept;
};

// Builds the rings and the access port (started) for `frames` frames per
// direction. Exits with a message on failure (start-up).
feed make_feed(uint32_t frames, uint32_t round, int socket);
// A cell's pools, frames written: egress from t, ingress as given (all of
// one length). `rewrite`: see feed. `cell` makes the pool names unique.
void load_cell(feed& f, const traffic& t, const std::vector<frame>& ingress, bool rewrite, unsigned cell,
               int socket);
// Frees the cell's pools; every frame must be home and no port may still
// receive from them (the cell's ports are gone).
void unload_cell(feed& f);

// A net_null port (size = ingress frame length, copy=0) receiving from the
// ingress pool. `start` false for bonding members (the bond starts them).
uint16_t make_null_port(const std::string& name, uint16_t size, rte_mempool* rx_pool, bool start,
                        int socket);

// DPDK's bonding PMD in 802.3ad mode, l34, over `members`, started, every
// member collecting and distributing. Returns the bond's port id.
uint16_t make_bond(const std::string& name, const std::vector<uint16_t>& members,
                   rte_mempool* rx_pool, int socket);
extern const char* const bond_distribution_method;
// Removes a vdev made by make_null_port or make_bond (stopped, closed,
// uninitialised), so that its port id and name can be used again.
void remove_vdev(const std::string& name) noexcept;

// Configures one RX and one TX queue and starts the port.
void start_port(uint16_t port, rte_mempool* rx_pool, int socket);

// Prints the reason, stops every port and EAL, exits with status 2.
[[noreturn]] void die(const std::string& what);
// EAL is up (after rte_eal_init), and the orderly way down: every port
// stopped, then rte_eal_cleanup(). Idempotent.
void mark_eal_up() noexcept;
void shutdown_dpdk() noexcept;

// ---- results ---------------------------------------------------------------

struct trial_result {
    double cycles_per_packet = 0;       // median round
    double mean_cycles_per_packet = 0;  // all rounds
    uint64_t rounds = 0;
    uint64_t packets = 0;
};

struct scenario_result {
    std::string name;        // e.g. worker_l34_2
    std::string kind;        // io_fwd, bond_8023ad, worker, worker_nichash, worker_macsec
    std::string direction;   // both, egress, ingress
    std::string frame_size;  // "64", "512", "1518" or "imix" (egress wire size)
    bool macsec = false;     // the cell's (ingress frames protected; the worker_macsec scenarios protect and verify)
    double mean_wire_size = 0;          // egress, with FCS
    uint32_t ingress_wire_size = 0;
    std::string what;        // one line for the table
    uint32_t members = 0;
    std::vector<trial_result> trials;
    double cycles_per_packet = 0;       // median over trials of the median round
    double mean_cycles_per_packet = 0;
    double mpps = 0;
    uint64_t egress_packets = 0, ingress_packets = 0;   // counted by the ports, all trials
    uint64_t fed_egress = 0, fed_ingress = 0;           // what the feeder gave
    std::vector<uint64_t> member_egress;                // per member, all trials
    std::string error;                                  // empty when it ran
};

struct report_info {
    std::string memory;          // hugepages or --no-huge, and why
    bool hugepages = false;
    unsigned lcore = 0;
    uint64_t tsc_hz = 0;
    double seconds = 0;
    unsigned trials = 0;
    uint32_t round = 0;
    std::vector<std::string> directions;   // both, egress, ingress: in run order
    std::vector<std::string> frame_sizes;
    std::vector<uint32_t> members;
    std::vector<bool> macsec;
    std::vector<std::string> cell_traffic;   // one line per cell: "<size> macsec <on|off>: <traffic>"
    std::string macsec_setup;
    std::string input;
    std::string bond_method;
    std::vector<std::string> eal_args;
    traffic_config tcfg;
};

void print_table(const report_info& info, const std::vector<scenario_result>& rs);
void print_json(const report_info& info, const std::vector<scenario_result>& rs);

} // namespace lag::bench
