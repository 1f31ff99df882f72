#pragma once
// dpdk-lagd's one LAG as a unit that can start and stop while the daemon
// runs (`create lag` / `delete lag`): its ports (access and members, probed
// and configured with one RX/TX queue per worker, plus LACP's TX queue), the
// control object and its workers on the worker lcores, LACP, static MACsec
// and run-time membership (topology.hpp). lag_host is what the control
// socket's service drives: the current LAG (or none) and the operations
// that start, stop and change it.
//
// One LAG per daemon: `create lag` is refused while one exists; `delete
// lag` stops its workers, frees everything and closes its ports.

#include "config.hpp"
#include "control/control.hpp"
#include "control/macsec_driver.hpp"
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
    unsigned workers = 0; // worker lcores (0: the main lcore polls the worker)
    unsigned queues = 1;  // RX/TX queues per port for the workers
};

class lag_runtime {
public:
    // Starts cfg.lags.front() (already in the model): ports, control,
    // LACP, MACsec, workers launched on the worker lcores.
    static result<std::unique_ptr<lag_runtime>> start(const runtime_env& env, unsigned generation, time_point now);
    ~lag_runtime() { stop(false, 0); }
    lag_runtime(const lag_runtime&) = delete;
    lag_runtime& operator=(const lag_runtime&) = delete;

    // One control iteration (and the worker's poll without worker lcores).
    unsigned poll(time_point now);
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
    // set_key), once every member has the spare TX queue.
    result<void> prepare_mka();
    runtime_topology& topology() noexcept { return *_topo; }
    const std::vector<port_row>& rows() const noexcept { return _rows; }
    member_view view(std::string_view port) const;

private:
    explicit lag_runtime(const runtime_env& env) : _env(env) {}
    bool open_port(const std::string& name, const std::string& role, bool control_queue);
    // A port's queues: one RX/TX pair per worker, a member one TX queue
    // more for LACPDUs and MKPDUs (always where the device has it: MKA may
    // start at run time; required when the LAG runs LACP or MKA).
    net::port_setup setup(bool member, bool control_queue) const;

    runtime_env _env;
    std::vector<port_row> _rows;
    std::unique_ptr<ctl::control> _ctl;
    std::unique_ptr<lacp_runtime> _lacp;
    std::unique_ptr<ctl::macsec_driver> _msd; // static keys
    std::unique_ptr<mka_runtime> _mka;        // or MKA, with its own macsec_driver
    std::unique_ptr<runtime_topology> _topo;
    std::vector<dp::worker::launch_arg> _args;
    std::atomic<bool> _stop_workers{false};
    bool _launched = false;
    bool _stopped = false;
};

class lag_host final : public host {
public:
    explicit lag_host(const runtime_env& env) : _env(env) {}
    // Starts the config's LAG, if it has one.
    result<void> start(time_point now);
    unsigned poll(time_point now) { return _rt ? _rt->poll(now) : 0; }
    // At exit: stops the LAG, printing its counters.
    void stop(double seconds);
    lag_runtime* runtime() noexcept { return _rt.get(); }

    ctl::control* control() noexcept override { return _rt ? &_rt->control() : nullptr; }
    const ctl::macsec_driver* macsec() const noexcept override { return _rt ? _rt->macsec() : nullptr; }
    std::vector<port_info> ports() const override;
    member_view view(std::string_view port) const override;
    result<uint16_t> add_member(const std::string& port, time_point now) override;
    result<void> remove_member(const std::string& port, time_point now) override;
    result<void> set_lacp_rate(lacp_rate rate, time_point now) override;
    result<void> create_lag(const lag_config& l, model::port_speed speed, time_point now) override;
    result<void> delete_lag(time_point now) override;
    // MKA's commands apply to every LAG but one with static keys.
    bool has_mka() const noexcept override { return _rt && !_rt->static_macsec(); }
    result<std::string> mka_command(const cli::parsed_command& c, time_point now) override;

private:
    runtime_env _env;
    std::unique_ptr<lag_runtime> _rt;
    unsigned _generation = 0; // names DPDK objects apart across create/delete
};

} // namespace lag::lagd
