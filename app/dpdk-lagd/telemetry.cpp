#include "telemetry.hpp"

#include <mutex>
#include <rte_telemetry.h>
#include <string>

namespace lag::lagd {

namespace {

std::mutex g_mu;
nlohmann::json g_lag;   // lags_json(): name -> lag_json(name)
nlohmann::json g_stats; // stats_json()
nlohmann::json g_xstats; // xstats_json()
nlohmann::json g_macsec; // macsec_json()

std::string tel_name(std::string s) {
    for (char& ch : s)
        if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_' && ch != '/')
            ch = '_';
    return s.substr(0, RTE_TEL_MAX_STRING_LEN - 1);
}

void add_scalar(rte_tel_data* d, const std::string& name, const nlohmann::json& v) {
    auto n = tel_name(name);
    if (v.is_number_unsigned())
        rte_tel_data_add_dict_u64(d, n.c_str(), v.get<uint64_t>());
    else if (v.is_number_integer())
        rte_tel_data_add_dict_int(d, n.c_str(), static_cast<int>(v.get<int64_t>()));
    else if (v.is_boolean())
        rte_tel_data_add_dict_int(d, n.c_str(), v.get<bool>() ? 1 : 0);
    else if (v.is_string())
        rte_tel_data_add_dict_string(d, n.c_str(), v.get<std::string>().substr(0, RTE_TEL_MAX_STRING_LEN - 1).c_str());
}

// Flattens a JSON object into a telemetry dict: nested objects become
// prefix/key; arrays of objects with a "port" are keyed by it; arrays of
// strings become containers.
void flatten(rte_tel_data* d, const nlohmann::json& j, const std::string& prefix) {
    for (auto it = j.begin(); it != j.end(); ++it) {
        std::string key = prefix.empty() ? it.key() : prefix + "/" + it.key();
        const auto& v = *it;
        if (v.is_object()) {
            flatten(d, v, key);
        } else if (v.is_array()) {
            bool objects = !v.empty() && v.front().is_object();
            if (objects) {
                std::vector<std::string> names;
                for (const auto& e : v) {
                    std::string sub = e.contains("port") ? e["port"].get<std::string>() : std::to_string(names.size());
                    names.push_back(sub);
                    flatten(d, e, sub);
                }
                rte_tel_data* arr = rte_tel_data_alloc();
                if (arr == nullptr)
                    continue;
                rte_tel_data_start_array(arr, RTE_TEL_STRING_VAL);
                for (const auto& n : names)
                    rte_tel_data_add_array_string(arr, n.c_str());
                // A full reply dict refuses the container and leaves it to
                // us (DPDK frees only what it took): free it, or each query
                // of a large LAG leaks one.
                if (rte_tel_data_add_dict_container(d, tel_name(key).c_str(), arr, 0) != 0)
                    rte_tel_data_free(arr);
            }
        } else {
            add_scalar(d, key, v);
        }
    }
}

// The member `port` of any LAG in `lags` (g_lag).
const nlohmann::json* member(const nlohmann::json& lags, const char* port) {
    if (port == nullptr)
        return nullptr;
    for (const auto& lag : lags)
        if (lag.contains("members"))
            for (const auto& m : lag["members"])
                if (m.value("port", "") == port)
                    return &m;
    return nullptr;
}

int lag_list(const char*, const char*, rte_tel_data* d) {
    std::lock_guard lk(g_mu);
    rte_tel_data_start_array(d, RTE_TEL_STRING_VAL);
    for (auto it = g_lag.begin(); it != g_lag.end(); ++it)
        rte_tel_data_add_array_string(d, it.key().c_str());
    return 0;
}

int lag_info(const char*, const char* params, rte_tel_data* d) {
    std::lock_guard lk(g_mu);
    if (params == nullptr || !g_lag.contains(params))
        return -EINVAL;
    rte_tel_data_start_dict(d);
    flatten(d, g_lag[params], "");
    return 0;
}

int member_fields(const char* params, rte_tel_data* d, std::initializer_list<const char*> fields) {
    std::lock_guard lk(g_mu);
    const auto* m = member(g_lag, params);
    if (m == nullptr)
        return -EINVAL;
    rte_tel_data_start_dict(d);
    for (const char* f : fields)
        if (m->contains(f))
            add_scalar(d, f, (*m)[f]);
    return 0;
}

int lag_lacp(const char*, const char* params, rte_tel_data* d) {
    return member_fields(params, d, {"port", "link", "status", "lacp_mux", "partner_system", "partner_key"});
}

// The MKA session of a member (show lag's fields; never a key), g_mu held.
void add_mka_fields(rte_tel_data* d, const char* port) {
    const auto* m = member(g_lag, port);
    if (m == nullptr)
        return;
    for (const char* f : {"mka_secured", "mka_key_server", "mka_live_peers", "mka_key_server_sci", "mka_an",
                          "mka_cipher", "mka_key_server_priority", "mka_rekey_interval", "mka_since_rekey", "mka_ckn",
                          "mka_keys_flat", "mka_fallback", "mka_fallback_activations", "mka_rollovers"})
        if (m->contains(f))
            add_scalar(d, f, (*m)[f]);
}

int lag_macsec(const char*, const char* params, rte_tel_data* d) {
    std::lock_guard lk(g_mu);
    if (params == nullptr)
        return -EINVAL;
    for (const auto& m : g_macsec)
        if (m.value("port", "") == params) {
            rte_tel_data_start_dict(d);
            nlohmann::json flat = m;
            // SAs keyed by AN, receive SCs by SCI.
            nlohmann::json tx = nlohmann::json::object(), rx = nlohmann::json::object(),
                           rx_sa = nlohmann::json::object();
            for (const auto& sa : m.value("tx_sa", nlohmann::json::array()))
                tx["an" + std::to_string(sa["an"].get<unsigned>())] = sa;
            for (const auto& sc : m.value("rx_sc", nlohmann::json::array())) {
                std::string ans;
                for (const auto& an : sc["an"])
                    ans += (ans.empty() ? "" : ",") + std::to_string(an.get<unsigned>());
                rx[sc["sci"].get<std::string>()] = ans;
                for (const auto& sa : sc.value("sa", nlohmann::json::array()))
                    rx_sa[sc["sci"].get<std::string>()]["an" + std::to_string(sa["an"].get<unsigned>())] = {
                        {"lowest_acceptable_pn", sa["lowest_acceptable_pn"]}, {"late", sa["late"]}};
            }
            flat.erase("tx_sa");
            flat.erase("rx_sc");
            if (!tx.empty())
                flat["tx_sa"] = tx;
            if (!rx.empty())
                flat["rx_sc"] = rx;
            if (!rx_sa.empty())
                flat["rx_sa"] = rx_sa;
            flatten(d, flat, "");
            add_mka_fields(d, params);
            return 0;
        }
    // No SecY on this port: what `show lag` says of it (MACsec off, or an MKA
    // session that has not installed one yet).
    const auto* m = member(g_lag, params);
    if (m == nullptr)
        return -EINVAL;
    rte_tel_data_start_dict(d);
    for (const char* f : {"port", "macsec"})
        if (m->contains(f))
            add_scalar(d, f, (*m)[f]);
    add_mka_fields(d, params);
    return 0;
}

int lag_xstats(const char*, const char* params, rte_tel_data* d) {
    std::lock_guard lk(g_mu);
    if (params == nullptr || !g_xstats.contains(params))
        return -EINVAL;
    rte_tel_data_start_dict(d);
    flatten(d, g_xstats[params], "");
    return 0;
}

int lag_stats(const char*, const char*, rte_tel_data* d) {
    std::lock_guard lk(g_mu);
    rte_tel_data_start_dict(d);
    flatten(d, g_stats, "");
    return 0;
}

} // namespace

void telemetry_register() {
    rte_telemetry_register_cmd("/lag/list", lag_list, "Returns the LAG names. No parameters");
    rte_telemetry_register_cmd("/lag/info", lag_info, "Returns a LAG's state and members. Parameters: LAG name");
    rte_telemetry_register_cmd("/lag/lacp", lag_lacp, "Returns a member's LACP state. Parameters: port name");
    rte_telemetry_register_cmd("/lag/macsec", lag_macsec, "Returns a member's MACsec state. Parameters: port name");
    rte_telemetry_register_cmd("/lag/stats", lag_stats, "Returns per-port counters. No parameters");
    rte_telemetry_register_cmd("/lag/xstats", lag_xstats,
                               "Returns a port's counters under their xstats names. Parameters: port name");
}

void telemetry_publish(telemetry_views v) {
    std::lock_guard lk(g_mu);
    g_lag = std::move(v.lag);
    g_stats = std::move(v.stats);
    g_xstats = std::move(v.xstats);
    g_macsec = std::move(v.macsec);
}

} // namespace lag::lagd
