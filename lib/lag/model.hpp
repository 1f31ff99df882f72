#pragma once
// The LAG model: ports, LAGs, membership, minimum links, partner and key
// association, under one profile's rules. Pure bookkeeping: no DPDK, no
// clock, no I/O. Every operation either applies completely and returns the
// events it caused, or returns an error naming the rule and changes nothing.
//
// Not for direct inclusion: use "lag/lag.hpp".

#include "common/mac_addr.hpp"
#include "common/result.hpp"
#include "lag/profile.hpp"

#include <compare>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lag::model {

// The partner endpoint a member's LACP reports (802.1AX partner system and key).
struct partner_id {
    uint16_t system_priority = 0;
    mac_addr system;
    uint16_t key = 0;

    auto operator<=>(const partner_id&) const = default;
    std::string to_string() const;
};

enum class event_kind : uint8_t {
    port_added,
    port_removed,
    lag_created,
    lag_deleted,
    member_added,
    member_removed,
    min_links_changed,
    member_up,   // member became operational (counts towards min-links)
    member_down, // member stopped being operational
    lag_up,
    lag_down,
    key_associated, // a port now uses this key (CKN in detail)
    key_dropped,    // a port no longer has this key (CKN in detail)
};
std::string_view to_string(event_kind k);

struct event {
    event_kind kind;
    std::string lag;  // empty when the event concerns a standalone port
    std::string port; // empty when the event concerns the LAG as a whole
    std::string detail;
    unsigned value = 0;

    bool operator==(const event&) const = default;
    std::string to_string() const;
};
using events = std::vector<event>;

// Why a member does or does not count towards the LAG's operational state.
enum class member_status : uint8_t {
    operational,
    not_distributing, // link down, or LACP does not let it distribute
    partner_mismatch, // its partner is not the LAG's partner endpoint
    speed_mismatch,   // its link runs at another speed than the LAG's
};
std::string_view to_string(member_status s);

enum class key_owner : uint8_t { none, port, lag };

struct port_state {
    std::string name;
    port_speed speed = port_speed::g10;
    std::optional<std::string> lag; // the LAG it belongs to, if any
    std::optional<std::string> key; // CKN of the key it uses
    key_owner key_from = key_owner::none;
    bool distributable = false; // link up (static) or LACP says it may distribute
    std::optional<partner_id> partner;
    // The speed its device reports for the running link, in Mb/s; nullopt
    // while the link is down, when the device reports none, or when its
    // speed is not checked. A member whose link speed differs from its
    // LAG's is speed_mismatch and never counts.
    std::optional<uint32_t> link_mbps;

    bool operator==(const port_state&) const = default;
};

enum class lag_status : uint8_t { pending, available, down };
std::string_view to_string(lag_status s);

struct lag_state {
    std::string name;
    port_speed speed = port_speed::g10;
    std::vector<std::string> members; // in the order they joined
    unsigned min_links = 0;
    std::optional<std::string> key; // CKN of the LAG's key
    std::optional<partner_id> partner;
    bool up = false;

    bool operator==(const lag_state&) const = default;
    lag_status status() const {
        return members.empty() ? lag_status::pending : up ? lag_status::available : lag_status::down;
    }
};

struct lag_create {
    std::string name;
    port_speed speed = port_speed::g10;
    std::vector<std::string> members;
    unsigned min_links = 0;
    std::optional<std::string> key;
};

class lag_model {
public:
    explicit lag_model(const profile& p = provider_profile()) : _profile(&p) {}

    const profile& rules() const { return *_profile; }

    // Ports.
    result<events> add_port(std::string_view name, port_speed speed);
    result<events> remove_port(std::string_view name);
    // A standalone port's own key. A member uses its LAG's key instead.
    result<events> set_port_key(std::string_view port, std::optional<std::string> ckn);

    // LAGs and membership.
    result<events> create_lag(const lag_create& c);
    result<events> delete_lag(std::string_view name);
    result<events> add_member(std::string_view lag, std::string_view port);
    result<events> remove_member(std::string_view lag, std::string_view port);
    result<events> set_min_links(std::string_view lag, unsigned n);
    result<events> associate_key(std::string_view lag, std::string ckn);
    result<events> disassociate_key(std::string_view lag);

    // What the data path and LACP report about a port.
    result<events> set_distributable(std::string_view port, bool may_distribute);
    result<events> set_partner(std::string_view port, std::optional<partner_id> partner);
    result<events> set_link_speed(std::string_view port, std::optional<uint32_t> mbps);

    // Queries.
    const port_state* port(std::string_view name) const;
    const lag_state* lag(std::string_view name) const;
    const std::map<std::string, port_state, std::less<>>& ports() const { return _st.ports; }
    const std::map<std::string, lag_state, std::less<>>& lags() const { return _st.lags; }
    member_status status_of(std::string_view port) const;
    unsigned operational_members(std::string_view lag) const;

    // Checks every invariant; returns the first broken one. Used by tests and
    // debug builds after each operation.
    result<void> check_invariants() const;

    bool operator==(const lag_model& o) const { return _st == o._st; }

private:
    struct state {
        std::map<std::string, port_state, std::less<>> ports;
        std::map<std::string, lag_state, std::less<>> lags;
        bool operator==(const state&) const = default;
    };

    const profile* _profile;
    state _st;
};

// Validates a CKN: 1 to 32 bytes written as hex (2 to 64 hex digits).
result<void> check_ckn(std::string_view ckn);

} // namespace lag::model
