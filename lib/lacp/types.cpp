#include "lacp/actions.hpp"
#include "lacp/types.hpp"

#include <fmt/format.h>

namespace lag::lacp {

std::string format_state(uint8_t state) {
    static constexpr char letters[] = "ATGSCDFE"; // activity .. expired, bit 0 first
    std::string s(8, '.');
    for (int i = 0; i < 8; ++i)
        if (state & (1u << i))
            s[static_cast<size_t>(i)] = letters[i];
    return s;
}

std::string partner_id::to_string() const {
    return fmt::format("{},{},{:#06x}", system_priority, system.to_string(), key);
}

std::string action::to_string() const {
    switch (kind) {
    case action_kind::transmit: return fmt::format("port {}: transmit", port);
    case action_kind::collecting:
    case action_kind::distributing:
    case action_kind::actor_churn:
    case action_kind::partner_churn:
        return fmt::format("port {}: {} {}", port, lacp::to_string(kind), on ? "on" : "off");
    case action_kind::partner:
        return fmt::format("port {}: partner {}", port, partner ? partner->to_string() : "none");
    case action_kind::selection:
        return fmt::format("port {}: {} ({})", port, lacp::to_string(selected),
                           lacp::to_string(reason));
    case action_kind::transition:
        return fmt::format("port {}: {} {} -> {}", port, machine, from, to);
    }
    return "?";
}

} // namespace lag::lacp
