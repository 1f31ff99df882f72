#pragma once
// EAL start-up from an argument vector. Not for direct inclusion: use
// "dpdk/dpdk.hpp".

#include "common/result.hpp"

#include <string>
#include <vector>

namespace lag::dpdk {

// Initialises the EAL with `args` (args[0] is the program name). Returns how
// many arguments the EAL consumed (rte_eal_init's count, program name
// included), or an error naming the EAL's reason. The EAL can be initialised
// once per process.
result<int> eal_init(const std::vector<std::string>& args);

// The same from main()'s argc/argv; on success argv[ret..] are the
// application's own arguments (the one before them is the "--" separator).
result<int> eal_init(int argc, char** argv);

// Releases the EAL's resources (rte_eal_cleanup). Call once, at the very end.
void eal_cleanup() noexcept;

// The number of worker lcores (every enabled lcore except the main one).
unsigned worker_lcore_count() noexcept;

} // namespace lag::dpdk
