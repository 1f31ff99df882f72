#include "telemetry.hpp"

#include <mutex>
#include <rte_telemetry.h>
#include <string>

namespace lag::lagd {

namespace {

std::mutex g_mu;
nlohmann::json g_lag;   // lag_json()
nlohmann::json g_stats; // stats_json()

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
                rte_tel_data_start_array(arr, RTE_TEL_STRING_VAL);
                for (const auto& n : names)
                    rte_tel_data_add_array_string(arr, n.c_str());
                rte_tel_data_add_dict_container(d, tel_name(key).c_str(), arr, 0);
            }
        } else {
            add_scalar(d, key, v);
        }
    }
}

const nlohmann::json* member(const nlohmann::json& lag, const char* port) {
    if (port == nullptr || !lag.contains("members"))
        return nullptr;
    for (const auto& m : lag["members"])
        if (m.value("port", "") == port)
            return &m;
    return nullptr;
}

int lag_list(const char*, const char*, rte_tel_data* d) {
    std::lock_guard lk(g_mu);
    rte_tel_data_start_array(d, RTE_TEL_STRING_VAL);
    if (g_lag.contains("name"))
        rte_tel_data_add_array_string(d, g_lag["name"].get<std::string>().c_str());
    return 0;
}

int lag_info(const char*, const char* params, rte_tel_data* d) {
    std::lock_guard lk(g_mu);
    if (params == nullptr || !g_lag.contains("name") || g_lag["name"] != params)
        return -EINVAL;
    rte_tel_data_start_dict(d);
    flatten(d, g_lag, "");
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

int lag_macsec(const char*, const char* params, rte_tel_data* d) {
    return member_fields(params, d, {"port", "macsec", "mka_secured", "mka_key_server", "mka_live_peers",
                                     "mka_key_server_sci", "mka_an", "mka_cipher"});
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
}

void telemetry_publish(nlohmann::json lag, nlohmann::json stats) {
    std::lock_guard lk(g_mu);
    g_lag = std::move(lag);
    g_stats = std::move(stats);
}

} // namespace lag::lagd
