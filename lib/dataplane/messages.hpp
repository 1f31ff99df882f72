#pragma once
// Control -> worker messages: 16-byte elements of a per-worker SP/SC
// rte_ring. A worker applies them only between bursts. Not for direct
// inclusion: use "dataplane/dataplane.hpp".

#include <cstdint>

namespace lag::dp {

struct snapshot;

enum class message_kind : uint32_t {
    snapshot = 1, // ptr: the new const snapshot*; the worker switches to it
    // later: MACsec SA install / retire
};

struct control_message {
    message_kind kind;
    uint32_t arg;
    const void* ptr;
};
static_assert(sizeof(control_message) == 16);

inline constexpr unsigned control_message_size = sizeof(control_message);

} // namespace lag::dp
