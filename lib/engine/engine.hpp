#pragma once
// lib/engine: the LAG host's rules above the LAG model, pure (no DPDK).
//
// One record per port with its role (access, member, standalone), and one
// typed call per lifecycle operation: create and delete a LAG, add (a move,
// from any LAG), remove a member, min-links. Each is staged: every check runs
// on a copy before anything changes, then the copy is committed; a refusal
// changes nothing and names its rule (`error::code`). What the daemon does
// below (devices, MKA sessions, snapshots) rolls back in one place too: a
// `rollback` log of undo steps, run in reverse unless committed.
//
// Not for direct inclusion of the internals: this is the one public header.

#include "common/result.hpp"
#include "lag/model.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lag::engine {

// A port's role on the host. `standalone`: probed but in no LAG (a member
// removed at run time, or never in one).
enum class port_role : uint8_t { access, member, standalone };

constexpr std::string_view to_string(port_role r) noexcept {
    switch (r) {
    case port_role::access: return "access";
    case port_role::member: return "member";
    case port_role::standalone: return "standalone";
    }
    return "?";
}

struct port_record {
    std::string name;
    port_role role = port_role::standalone;
    std::string lag; // the LAG it is a member or the access port of; empty when standalone

    bool operator==(const port_record&) const = default;
};

// `create lag NAME speed S members P,... [min-links N] access A`.
struct lag_spec {
    std::string name;
    model::port_speed speed = model::port_speed::g10;
    std::string access;
    std::vector<std::string> members; // members of other LAGs move, all or none
    unsigned min_links = 0;
};

// The host's LAGs and ports: the LAG model plus each LAG's access port and
// each port's role. Value semantics: a copy is a trial.
class host_model {
public:
    explicit host_model(const model::profile& p = model::provider_profile()) : _model(p) {}
    // A trial of a running host: its model (copied) and each LAG's access
    // port. A LAG without one in `access` is refused by check_invariants.
    host_model(const model::lag_model& m, std::map<std::string, std::string, std::less<>> access);

    result<void> add_port(std::string_view name, model::port_speed speed);

    // Each returns the model's events, or the refusal (nothing changed).
    // Rules: "no-such-port", "no-such-lag", "duplicate-lag", "access-port"
    // (an access port used as a member, a member or another LAG's access
    // port used as an access port), "already-member", "not-member",
    // "membership" (create with no member), and the model's ("min-links",
    // "uniform-speed", "max-members", "speed", "name", ...).
    result<model::events> create_lag(const lag_spec& s);
    result<model::events> delete_lag(std::string_view lag);
    // A member of another LAG moves, its last one too (that LAG stays, empty
    // and pending); refused only by the min-links of the LAG it leaves and
    // by the rules of this one.
    result<model::events> add_member(std::string_view lag, std::string_view port);
    // The last member too: the LAG stays, empty and pending.
    result<model::events> remove_member(std::string_view lag, std::string_view port);
    result<model::events> set_min_links(std::string_view lag, unsigned n);
    // The LAG's key by its CKN (hex): every member uses it, a new one
    // replaces the old; disassociate drops it from every member ("no-key").
    result<model::events> associate_key(std::string_view lag, std::string ckn);
    result<model::events> disassociate_key(std::string_view lag);
    // What LACP (or the link, on a static LAG) reports about a port: not
    // lifecycle operations, refused only for an unknown port.
    result<model::events> set_distributable(std::string_view port, bool may);
    result<model::events> set_partner(std::string_view port, std::optional<model::partner_id> partner);

    std::optional<port_record> port(std::string_view name) const; // nullopt: no such port
    port_role role(std::string_view name) const; // standalone for an unknown port
    std::vector<port_record> ports() const;      // by name
    // The LAG whose access port `port` is, or null.
    const std::string* access_of(std::string_view port) const;
    const std::string* access(std::string_view lag) const; // a LAG's access port
    const model::lag_model& model() const noexcept { return _model; }

    // Every port in exactly one role, consistent with the model (member iff
    // the model has it in a LAG, access iff some LAG's access port, each
    // LAG one access port), and the model's own invariants.
    result<void> check_invariants() const;

    bool operator==(const host_model&) const = default;

private:
    result<void> may_be_member(std::string_view port) const;

    model::lag_model _model;
    std::map<std::string, std::string, std::less<>> _access; // LAG -> its access port
};

// A staged operation's undo log below the model (devices, sessions,
// snapshots): each step that changed something pushes how to undo it; on a
// refusal further on the log runs in reverse, once (or when it is dropped
// uncommitted); commit() keeps everything. replace() says that from here on
// undoing is this one step (it subsumes those before it: for example, once
// control owns a port, taking it out of control also stops the device).
class rollback {
public:
    rollback() = default;
    ~rollback() { undo(); }
    rollback(const rollback&) = delete;
    rollback& operator=(const rollback&) = delete;

    void push(std::function<void()> step) { _steps.push_back(std::move(step)); }
    void replace(std::function<void()> step) {
        _steps.clear();
        _steps.push_back(std::move(step));
    }
    void commit() noexcept { _steps.clear(); }
    void undo() noexcept {
        while (!_steps.empty()) {
            auto step = std::move(_steps.back());
            _steps.pop_back();
            step();
        }
    }
    size_t size() const noexcept { return _steps.size(); }

private:
    std::vector<std::function<void()>> _steps;
};

} // namespace lag::engine
