#include "dpdk/log.hpp"

#include <rte_log.h>

// Registered before main(), so EAL's --log-level applies to them.
RTE_LOG_REGISTER(lag_logtype_control, lag.control, NOTICE);
RTE_LOG_REGISTER(lag_logtype_lacp, lag.lacp, NOTICE);
RTE_LOG_REGISTER(lag_logtype_macsec, lag.macsec, NOTICE);
RTE_LOG_REGISTER(lag_logtype_mka, lag.mka, NOTICE);
RTE_LOG_REGISTER(lag_logtype_dp, lag.dp, NOTICE);
RTE_LOG_REGISTER(lag_logtype_cli, lag.cli, NOTICE);

namespace lag::dpdk {

std::string_view log_name(log_type t) noexcept {
    switch (t) {
    case log_type::control: return "lag.control";
    case log_type::lacp: return "lag.lacp";
    case log_type::macsec: return "lag.macsec";
    case log_type::mka: return "lag.mka";
    case log_type::dp: return "lag.dp";
    case log_type::cli: return "lag.cli";
    }
    return "lag";
}

int log_id(log_type t) noexcept {
    switch (t) {
    case log_type::control: return lag_logtype_control;
    case log_type::lacp: return lag_logtype_lacp;
    case log_type::macsec: return lag_logtype_macsec;
    case log_type::mka: return lag_logtype_mka;
    case log_type::dp: return lag_logtype_dp;
    case log_type::cli: return lag_logtype_cli;
    }
    return RTE_LOGTYPE_EAL;
}

bool log_enabled(log_type t, log_level l) noexcept {
    return rte_log_can_log(static_cast<uint32_t>(log_id(t)), static_cast<uint32_t>(l));
}

void log_write(log_type t, log_level l, std::string_view msg) noexcept {
    std::string_view name = log_name(t);
    rte_log(static_cast<uint32_t>(l), static_cast<uint32_t>(log_id(t)), "%.*s: %.*s\n",
            static_cast<int>(name.size()), name.data(), static_cast<int>(msg.size()), msg.data());
}

static_assert(static_cast<uint32_t>(log_level::err) == RTE_LOG_ERR);
static_assert(static_cast<uint32_t>(log_level::warning) == RTE_LOG_WARNING);
static_assert(static_cast<uint32_t>(log_level::notice) == RTE_LOG_NOTICE);
static_assert(static_cast<uint32_t>(log_level::info) == RTE_LOG_INFO);
static_assert(static_cast<uint32_t>(log_level::debug) == RTE_LOG_DEBUG);

} // namespace lag::dpdk
