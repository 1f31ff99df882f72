#pragma once
// lib/lacp public header: IEEE 802.1AX LACP, pure (no DPDK, no clock, no I/O).
//   pdu.hpp      LACPDU and Marker PDU codec, parse errors
//   group.hpp    one LAG's ports and their machines: on_frame, set_link, tick
//   actions.hpp  what a call returns: frames to send, collect/distribute,
//                partner, selection, churn, machine transitions

#include "lacp/actions.hpp" // IWYU pragma: export
#include "lacp/group.hpp"   // IWYU pragma: export
#include "lacp/pdu.hpp"     // IWYU pragma: export
#include "lacp/types.hpp"   // IWYU pragma: export
