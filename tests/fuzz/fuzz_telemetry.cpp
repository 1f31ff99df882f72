// Fuzz target: dpdk-lagd's telemetry endpoints (app/dpdk-lagd/telemetry.cpp)
// with untrusted parameters, as any local client of DPDK's telemetry socket
// may send them. The endpoints are the file's own (internal) callbacks,
// compiled in here, over views like the daemon publishes. No EAL: a
// telemetry reply is plain memory (rte_tel_data_alloc).
//
// Input: [endpoint: 1 octet (bit 7: no parameters)][parameters]; the
// parameters are cut at the first NUL, as the telemetry library passes them.
// Properties: a callback answers 0 or -EINVAL, nothing else, and never
// crashes or reads past the parameter string.
//
// The callbacks hand nested containers to the reply with keep = 0: DPDK's
// telemetry thread frees them when it writes the reply out, which
// rte_tel_data_free does not. The harness has no reply writer, so it stands
// in for one: the callbacks' calls are routed through a wrapper that hands
// the container over with keep = 1 and remembers it, and the harness frees
// it with the reply. LeakSanitizer then checks everything else a callback
// allocates.
#include <rte_telemetry.h>

#include <vector>

namespace {

std::vector<rte_tel_data*> g_handed_over;

int fuzz_add_dict_container(rte_tel_data* d, const char* name, rte_tel_data* val, int keep) {
    const int rc = rte_tel_data_add_dict_container(d, name, val, 1);
    if (rc == 0 && keep == 0)
        g_handed_over.push_back(val);
    return rc;
}

} // namespace

#define rte_tel_data_add_dict_container fuzz_add_dict_container
#include "../../app/dpdk-lagd/telemetry.cpp"
#undef rte_tel_data_add_dict_container

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace {

using nlohmann::json;

void publish_views() {
    json m0 = {{"port", "m0"}, {"link", "up"}, {"status", "distributing"}, {"lacp_mux", "COLLECTING_DISTRIBUTING"},
               {"partner_system", "02:00:00:00:0b:00"}, {"partner_key", 1}, {"macsec", "secured"},
               {"mka_secured", true}, {"mka_key_server", false}, {"mka_live_peers", 1},
               {"mka_key_server_sci", "02000000000b0001"}, {"mka_an", 1}, {"mka_cipher", "gcm-aes-xpn-256"}};
    json m1 = {{"port", "m1"}, {"link", "down"}, {"status", "down"}, {"macsec", "off"}};
    json lag = {{"name", "lag0"}, {"state", "up"}, {"speed", "10G"}, {"min_links", 1}, {"hash", "l34"},
                {"members", json::array({m0, m1})}, {"nested", {{"a", {{"b", 1.5}}}, {"list", {1, 2, 3}}}}};
    json stats = {{"m0", {{"rx_packets", 10}, {"tx_packets", 20}, {"drops", {{"tx_full", 1}}}}}};
    json xstats = {{"m0", {{"rx_good_packets", 10}, {"tx_good_packets", 20}}}};
    json sa = {{"an", 1}, {"next_pn", 1000}, {"in_use", true}};
    json rxsa = {{"an", 1}, {"lowest_acceptable_pn", 5}, {"late", 0}};
    json macsec = json::array({{{"port", "m0"}, {"suite", "gcm-aes-xpn-256"}, {"tx_sa", json::array({sa})},
                                {"rx_sc", json::array({{{"sci", "02000000000b0001"}, {"an", {1}},
                                                        {"sa", json::array({rxsa})}}})}}});
    lag::lagd::telemetry_publish({json{{"lag0", lag}}, stats, xstats, macsec});
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const bool published = (publish_views(), true);
    (void)published;
    if (size == 0)
        return 0;
    using cb = int (*)(const char*, const char*, rte_tel_data*);
    static const cb endpoints[] = {lag::lagd::lag_list, lag::lagd::lag_info, lag::lagd::lag_lacp,
                                   lag::lagd::lag_macsec, lag::lagd::lag_stats, lag::lagd::lag_xstats};
    const cb f = endpoints[(data[0] & 0x7f) % std::size(endpoints)];
    const size_t n = strnlen(reinterpret_cast<const char*>(data + 1), size - 1);
    // An exact-size, NUL-terminated copy, so that ASan sees a read past it.
    std::unique_ptr<char[]> params(new char[n + 1]);
    std::memcpy(params.get(), data + 1, n);
    params[n] = '\0';
    rte_tel_data* d = rte_tel_data_alloc();
    if (d == nullptr)
        std::abort();
    const int rc = f("/lag/fuzz", (data[0] & 0x80) ? nullptr : params.get(), d);
    rte_tel_data_free(d);
    for (rte_tel_data* c : g_handed_over)
        rte_tel_data_free(c);
    g_handed_over.clear();
    if (rc != 0 && rc != -EINVAL)
        std::abort();
    return 0;
}
