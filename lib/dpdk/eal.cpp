#include "dpdk/eal.hpp"

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>

#include <fmt/format.h>

namespace lag::dpdk {

result<int> eal_init(const std::vector<std::string>& args) {
    // rte_eal_init may permute argv and keep pointers into it for the
    // process's life (the EAL starts once per process), so the strings live
    // in static storage.
    static std::vector<std::string> storage;
    static std::vector<char*> argv;
    storage = args;
    argv.clear();
    for (auto& a : storage)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    return eal_init(static_cast<int>(storage.size()), argv.data());
}

result<int> eal_init(int argc, char** argv) {
    int n = rte_eal_init(argc, argv);
    if (n < 0)
        return make_error("eal-init", fmt::format("rte_eal_init failed: {}", rte_strerror(rte_errno)));
    return n;
}

void eal_cleanup() noexcept { rte_eal_cleanup(); }

unsigned worker_lcore_count() noexcept {
    unsigned n = rte_lcore_count();
    return n > 0 ? n - 1 : 0;
}

} // namespace lag::dpdk
