#pragma once
// One of dpdk-lagd's LAGs as a unit that can start and stop while the daemon
// runs (`create lag` / `delete lag`): its ports (access and members, probed
// and configured with one RX/TX queue per worker, plus LACP's TX queue), the
// control object and its workers (polled by the shared worker lcores through
// an lcore_loop slot), LACP, static MACsec or MKA and run-time membership
// (topology.hpp). lag_host is what the control socket's service drives: any
// number of LAGs (one lag_runtime each) and the operations that start, stop
// and change them, moving a member from one LAG to another included.
// `delete lag NAME` stops only that LAG: its slot is cleared (the lcores
// keep polling the others), then its workers, control and ports go.

#include "config.hpp"
#include "control/control.hpp"
#include "control/macsec_driver.hpp"
#include "dataplane/lcore_loop.hpp"
#include "engine/port_io.hpp"
#include "lacp_setup.hpp"
#include "mka_setup.hpp"
#include "service.hpp"
#include "topology.hpp"

#include <atomic>
#include <memory>
#include <string>
#include <vector>

struct rte_mempool;

namespace lag::lagd {

struct runtime_env {
    daemon_config* cfg = nullptr;
    model::lag_model* model = nullptr;
    rte_mempool* pool = nullptr;
    unsigned workers = 0; // worker lcores (0: the main lcore polls the workers)
    unsigned queues = 1;  // RX/TX queues per port for the workers
    dp::lcore_loop* loop = nullptr; // the worker lcores' loop (lag_host's)
    // Every device operation (probe, queues, start/stop, MTU, link, MAC):
    // lag_host's ethdev one unless given.
    engine::port_io* io = nullptr;
    dpdk::socket_pools* pools = nullptr; // RX mbufs on each port's NUMA socket (null: `pool` everywhere)
};

class lag_runtime {
public:
    // Starts the [[lag]] `name` (already in cfg and the model): ports,
    // control, LACP, MACsec, its workers in lcore_loop slot `slot`.
    static result<std::unique_ptr<lag_runtime>> start(const runtime_env& env, const std::string& name,
                                                      unsigned slot, unsigned generation, time_point now);
    ~lag_runtime() { stop(false, 0); }
    lag_runtime(const lag_runtime&) = delete;
    lag_runtime& operator=(const lag_runtime&) = delete;

    const std::string& name() const noexcept { return _name; }
    const lag_config& config() const { return *_env.cfg->lag(_name); }
    // One control iteration (and the worker's poll without worker lcores).
    unsigned poll(time_point now);
    // Polls until `port`, removed from this LAG, is stopped (no worker of
    // this LAG uses it) and drops it from this LAG's ports. Bounded.
    result<void> let_go(const std::string& port, time_point now);
    // Stops the workers, drains, optionally prints the counters (as at
    // exit), frees the control side and closes the ports. Idempotent.
    void stop(bool print, double seconds);
    void print(double seconds) const;

    ctl::control& control() noexcept { return *_ctl; }
    // Static keys' driver, or MKA's.
    const ctl::macsec_driver* macsec() const noexcept { return _msd ? _msd.get() : _mka ? &_mka->macsec() : nullptr; }
    mka_runtime* mka() noexcept { return _mka.get(); }
    bool static_macsec() const noexcept { return _msd != nullptr; }
    // MKA at run time on a LAG started without it: its runtime (MKA off until
    // set_key); MKPDUs leave on each member's spare TX queue or its ring.
    result<void> prepare_mka();
    runtime_topology& topology() noexcept { return *_topo; }
    // `set lag NAME mtu N` on this LAG's access port and members.
    result<void> set_mtu(unsigned mtu, time_point now);
    const std::vector<port_row>& rows() const noexcept { return _rows; }
    member_view view(std::string_view port) const;

private:
    lag_runtime(const runtime_env& env, std::string name, unsigned slot)
        : _env(env), _name(std::move(name)), _slot(slot) {}
    bool open_port(const std::string& name, engine::port_role role);
    // A port's queues: one RX/TX pair per worker, a member one TX queue
    // more for LACPDUs and MKPDUs where the device has it (MKA may start at
    // run time); a member without it sends them through its ring.
    engine::port_setup setup(bool member, bool control_queue) const;
    // The access port at `mtu`, members at `mtu` + `overhead`: every port
    // checked first, those changed put back if a device refuses after.
    result<void> apply_mtu(unsigned mtu, unsigned overhead);

    runtime_env _env;
    std::string _name;
    unsigned _slot;
    std::vector<port_row> _rows;
    std::unique_ptr<dp::port_io> _io; // before _ctl: its workers drain its rings
    std::unique_ptr<ctl::control> _ctl;
    std::unique_ptr<lacp_runtime> _lacp;
    std::unique_ptr<ctl::macsec_driver> _msd; // static keys
    std::unique_ptr<mka_runtime> _mka;        // or MKA, with its own macsec_driver
    std::unique_ptr<runtime_topology> _topo;
    bool _attached = false; // its workers are in the lcore_loop slot
    bool _stopped = false;
};

class lag_host final : public host {
public:
    // Launches the worker lcores' loop (env.workers of them).
    // Ports through env.io, or an ethdev port_io on env.pool if none.
    explicit lag_host(const runtime_env& env);
    // Starts the config's LAGs, in file order.
    result<void> start(time_point now);
    unsigned poll(time_point now);
    // At exit: stops every LAG, printing its counters, then the lcores.
    void stop(double seconds);
    const std::vector<std::unique_ptr<lag_runtime>>& runtimes() const noexcept { return _rts; }

    ctl::control* control(std::string_view lag) noexcept override;
    const ctl::macsec_driver* macsec(std::string_view lag) const noexcept override;
    std::vector<port_info> ports() const override;
    member_view view(std::string_view port) const override;
    result<uint16_t> add_member(const std::string& lag, const std::string& port, time_point now) override;
    result<void> remove_member(const std::string& lag, const std::string& port, time_point now) override;
    result<void> set_lacp_rate(const std::string& lag, lacp::lacp_rate rate, time_point now) override;
    result<void> set_mtu(const std::string& lag, unsigned mtu, time_point now) override;
    result<void> create_lag(const lag_config& l, model::port_speed speed, time_point now) override;
    result<void> delete_lag(const std::string& lag, time_point now) override;
    // MKA's commands apply to every LAG but one with static keys.
    bool has_mka(std::string_view lag) const noexcept override;
    result<std::string> mka_command(const std::string& lag, const cli::parsed_command& c, time_point now) override;

private:
    lag_runtime* find(std::string_view lag) const noexcept;
    // The host's lifecycle rules on a copy (lib/engine): the model as it
    // runs and each LAG's access port.
    engine::host_model trial() const;
    // Starts cfg's LAG `name` in a free slot.
    result<std::unique_ptr<lag_runtime>> start_one(const std::string& name, time_point now);
    void stop_one(lag_runtime& rt, bool print, double seconds);

    runtime_env _env;
    std::unique_ptr<engine::port_io> _own_io; // when env.io was null
    dp::lcore_loop _loop;
    std::vector<std::unique_ptr<lag_runtime>> _rts; // in creation order
    unsigned _generation = 0; // names DPDK objects apart across LAGs and create/delete
};

} // namespace lag::lagd
