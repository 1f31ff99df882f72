#pragma once
// lib/dpdk public header: EAL start-up, RAII owners of long-lived DPDK
// objects (mempool, ring, RCU QSBR variable), and ethdev link state.
// Nothing above lib/dpdk creates or frees these objects by hand.

#include "dpdk/eal.hpp"     // IWYU pragma: export
#include "dpdk/grace.hpp"   // IWYU pragma: export
#include "dpdk/link.hpp"    // IWYU pragma: export
#include "dpdk/objects.hpp" // IWYU pragma: export
#include "dpdk/log.hpp"     // IWYU pragma: export
