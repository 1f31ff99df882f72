// The table and the JSON object of dpdk-lag-bench.

#include <cmath>
#include <cstdio>

#include <fmt/format.h>

#include "harness.hpp"

namespace lag::bench {

namespace {

// The scenario of `kind` with `members` (0: any) in r's cell and direction;
// `macsec` picks the cell (MACsec on or off) of that frame size.
const scenario_result* find(const std::vector<scenario_result>& rs, const scenario_result& r, const std::string& kind,
                            uint32_t members, bool macsec) {
    for (const auto& x : rs)
        if (x.kind == kind && (members == 0 || x.members == members) && x.direction == r.direction &&
            x.frame_size == r.frame_size && x.macsec == macsec && x.error.empty() && x.mpps > 0)
            return &x;
    return nullptr;
}
const scenario_result* io_of(const std::vector<scenario_result>& rs, const scenario_result& r) {
    return find(rs, r, "io_fwd", 0, r.macsec);
}
const scenario_result* bond_of(const std::vector<scenario_result>& rs, const scenario_result& r) {
    return r.kind.starts_with("worker") ? find(rs, r, "bond_8023ad", r.members, r.macsec) : nullptr;
}
// The MACsec worker against the clear worker of its cell (same frames and
// feeding, same direction and members).
const scenario_result* clear_of(const std::vector<scenario_result>& rs, const scenario_result& r) {
    return r.kind == "worker_macsec" ? find(rs, r, "worker", r.members, true) : nullptr;
}

double ratio(const scenario_result& a, const scenario_result* b) {
    return b != nullptr && b->mpps > 0 ? a.mpps / b->mpps : 0.0;
}

std::string json_str(const std::string& s) {
    std::string o = "\"";
    for (char c : s) {
        switch (c) {
        case '"': o += "\\\""; break;
        case '\\': o += "\\\\"; break;
        case '\n': o += "\\n"; break;
        case '\t': o += "\\t"; break;
        default:
            if (static_cast<unsigned char>(c) < 0x20) o += fmt::format("\\u{:04x}", c);
            else o += c;
        }
    }
    return o + "\"";
}

std::string num(double v) { return std::isfinite(v) ? fmt::format("{:.4g}", v) : "0"; }

} // namespace

void print_table(const report_info& info, const std::vector<scenario_result>& rs) {
    fmt::print("dpdk-lag-bench: one core (lcore {}), TSC {:.3f} GHz, {} trial(s) x {:.2f} s per scenario, cell "
               "and direction\n",
               info.lcore, info.tsc_hz / 1e9, info.trials, info.seconds);
    fmt::print("memory:  {}\n", info.memory);
    for (const auto& c : info.cell_traffic) fmt::print("traffic: {}\n", c);
    fmt::print("input:   {}\n", info.input);
    fmt::print("bonding: {}\n", info.bond_method);
    fmt::print("macsec:  {}\n", info.macsec_setup);
    fmt::print("figures: median round of {} frames per direction fed, median over trials; ratios to the same "
               "cell and direction\n",
               info.round);
    std::string cell;
    for (const auto& r : rs) {
        const std::string c = fmt::format("{} octets, MACsec {}, direction {}", r.frame_size, r.macsec ? "on" : "off",
                                          r.direction);
        if (c != cell) {
            cell = c;
            fmt::print("\n{}:\n{:<22} {:>7} {:>8} {:>11} {:>9} {:>9} {:>9}  {}\n", c, "scenario", "members", "Mpps",
                       "cycles/pkt", "vs io_fwd", "vs bond", "vs clear", "egress per member");
        }
        if (!r.error.empty()) {
            fmt::print("{:<22} {:>7}  FAILED: {}\n", r.name, r.members, r.error);
            continue;
        }
        const scenario_result* io = io_of(rs, r);
        const scenario_result* bond = bond_of(rs, r);
        const scenario_result* clear = clear_of(rs, r);
        std::string spread;
        uint64_t total = 0;
        for (uint64_t e : r.member_egress) total += e;
        for (uint64_t e : r.member_egress)
            if (total != 0) spread += fmt::format("{}{:.1f}%", spread.empty() ? "" : " ", 100.0 * e / total);
        if (spread.empty()) spread = "-";
        auto rat = [&](const scenario_result* b) { return b ? fmt::format("{:.2f}", ratio(r, b)) : "-"; };
        fmt::print("{:<22} {:>7} {:>8.2f} {:>11.1f} {:>9} {:>9} {:>9}  {}\n", r.name, r.members, r.mpps,
                   r.cycles_per_packet, rat(io), rat(bond), rat(clear), spread);
    }
}

void print_json(const report_info& info, const std::vector<scenario_result>& rs) {
    auto list = [](const auto& v, auto&& one) {
        std::string o = "[";
        for (size_t i = 0; i < v.size(); ++i) o += (i ? ", " : "") + one(v[i]);
        return o + "]";
    };
    std::string o = "{\n";
    o += "  \"tool\": \"dpdk-lag-bench\",\n";
    o += fmt::format("  \"hugepages\": {},\n", info.hugepages ? "true" : "false");
    o += fmt::format("  \"memory\": {},\n", json_str(info.memory));
    o += fmt::format("  \"lcore\": {},\n  \"tsc_hz\": {},\n", info.lcore, info.tsc_hz);
    o += fmt::format("  \"seconds_per_trial\": {},\n  \"trials\": {},\n", num(info.seconds), info.trials);
    o += fmt::format("  \"round_frames_per_direction\": {},\n", info.round);
    o += fmt::format("  \"matrix\": {{\"directions\": {}, \"frame_sizes\": {}, \"members\": {}, \"macsec\": {}}},\n",
                     list(info.directions, json_str), list(info.frame_sizes, json_str),
                     list(info.members, [](uint32_t m) { return std::to_string(m); }),
                     list(info.macsec, [](bool b) { return std::string(b ? "true" : "false"); }));
    o += "  \"statistic\": \"median over trials of the median round, packets of every direction fed counted; "
         "ratios to the scenarios of the same frame size, MACsec cell and direction\",\n";
    o += fmt::format("  \"traffic\": {{\"flows\": {}, \"frames_per_direction\": {}, \"seed\": {}, \"cells\": {}}},\n",
                     info.tcfg.flows, info.tcfg.frames, info.tcfg.seed, list(info.cell_traffic, json_str));
    o += fmt::format("  \"input\": {},\n", json_str(info.input));
    o += fmt::format("  \"bond_distribution\": {},\n", json_str(info.bond_method));
    o += fmt::format("  \"macsec_setup\": {},\n", json_str(info.macsec_setup));
    o += fmt::format("  \"eal_args\": {},\n", list(info.eal_args, json_str));
    o += "  \"scenarios\": [\n";
    for (size_t i = 0; i < rs.size(); ++i) {
        const scenario_result& r = rs[i];
        o += fmt::format("    {{\"name\": {}, \"kind\": {}, \"members\": {}, \"direction\": {}, \"frame_size\": {}, "
                         "\"macsec\": {}, \"mean_wire_size\": {}, \"ingress_wire_size\": {}, \"description\": {}, ",
                         json_str(r.name), json_str(r.kind), r.members, json_str(r.direction), json_str(r.frame_size),
                         r.macsec ? "true" : "false", num(r.mean_wire_size), r.ingress_wire_size, json_str(r.what));
        o += fmt::format("\"ok\": {}, ", r.error.empty() ? "true" : "false");
        if (!r.error.empty()) o += fmt::format("\"error\": {}, ", json_str(r.error));
        o += fmt::format("\"mpps\": {}, \"cycles_per_packet\": {}, \"mean_cycles_per_packet\": {}, ",
                         num(r.mpps), num(r.cycles_per_packet), num(r.mean_cycles_per_packet));
        o += fmt::format("\"ratio_to_io_fwd\": {}, ", num(ratio(r, io_of(rs, r))));
        if (r.kind.starts_with("worker"))
            o += fmt::format("\"ratio_to_bond_8023ad\": {}, ", num(ratio(r, bond_of(rs, r))));
        if (r.kind == "worker_macsec")
            o += fmt::format("\"ratio_to_worker_clear\": {}, ", num(ratio(r, clear_of(rs, r))));
        o += "\"trial_cycles_per_packet\": [";
        for (size_t j = 0; j < r.trials.size(); ++j)
            o += (j ? ", " : "") + num(r.trials[j].cycles_per_packet);
        uint64_t rounds = 0;
        for (const auto& t : r.trials) rounds += t.rounds;
        o += fmt::format("], \"rounds\": {}, \"egress_packets\": {}, \"ingress_packets\": {}, "
                         "\"fed_egress\": {}, \"fed_ingress\": {}, \"member_egress\": [",
                         rounds, r.egress_packets, r.ingress_packets, r.fed_egress, r.fed_ingress);
        for (size_t j = 0; j < r.member_egress.size(); ++j)
            o += fmt::format("{}{}", j ? ", " : "", r.member_egress[j]);
        o += "]}";
        o += i + 1 < rs.size() ? ",\n" : "\n";
    }
    o += "  ]\n}\n";
    std::fputs(o.c_str(), stdout);
}

} // namespace lag::bench
