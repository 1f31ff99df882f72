#pragma once
// lib/dataplane public header (DPDK side): membership snapshots, control ->
// worker messages, counters and the poll-mode worker. The pure flow parser
// and hashes are in "dataplane/flow.hpp".

#include "dataplane/counters.hpp" // IWYU pragma: export
#include "dataplane/ctl_tx.hpp"   // IWYU pragma: export
#include "dataplane/flow.hpp"     // IWYU pragma: export
#include "dataplane/messages.hpp" // IWYU pragma: export
#include "dataplane/snapshot.hpp" // IWYU pragma: export
#include "dataplane/worker.hpp"   // IWYU pragma: export
#include "dataplane/xstats.hpp"   // IWYU pragma: export
