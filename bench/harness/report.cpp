// The table and the JSON object of dpdk-lag-bench.

#include <cmath>
#include <cstdio>

#include <fmt/format.h>

#include "harness.hpp"

namespace lag::bench {

namespace {

const scenario_result* find(const std::vector<scenario_result>& rs, const std::string& kind, uint32_t members) {
    for (const auto& r : rs)
        if (r.kind == kind && (members == 0 || r.members == members) && r.error.empty() && r.mpps > 0) return &r;
    return nullptr;
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
    fmt::print("dpdk-lag-bench: one core (lcore {}), TSC {:.3f} GHz, {} trial(s) x {:.2f} s per scenario\n",
               info.lcore, info.tsc_hz / 1e9, info.trials, info.seconds);
    fmt::print("memory:  {}\n", info.memory);
    fmt::print("traffic: {}\n", info.traffic);
    fmt::print("input:   {}\n", info.input);
    fmt::print("bonding: {}\n", info.bond_method);
    if (info.direction == "both")
        fmt::print("figures: both directions counted; median round of {} + {} frames, median over trials\n\n",
                   info.round, info.round);
    else
        fmt::print("figures: {} only; median round of {} frames, median over trials\n\n", info.direction,
                   info.round);
    fmt::print("{:<20} {:>7} {:>8} {:>11} {:>9} {:>9}  {}\n", "scenario", "members", "Mpps", "cycles/pkt",
               "vs io_fwd", "vs bond", "egress per member");
    const scenario_result* io = find(rs, "io_fwd", 0);
    for (const auto& r : rs) {
        if (!r.error.empty()) {
            fmt::print("{:<20} {:>7}  FAILED: {}\n", r.name, r.members, r.error);
            continue;
        }
        const scenario_result* bond = r.kind.starts_with("worker") ? find(rs, "bond_8023ad", r.members) : nullptr;
        std::string spread;
        uint64_t total = 0;
        for (uint64_t e : r.member_egress) total += e;
        for (uint64_t e : r.member_egress)
            if (total != 0) spread += fmt::format("{}{:.1f}%", spread.empty() ? "" : " ", 100.0 * e / total);
        if (spread.empty()) spread = "-";
        fmt::print("{:<20} {:>7} {:>8.2f} {:>11.1f} {:>9} {:>9}  {}\n", r.name, r.members, r.mpps,
                   r.cycles_per_packet, io ? fmt::format("{:.2f}", ratio(r, io)) : "-",
                   bond ? fmt::format("{:.2f}", ratio(r, bond)) : "-", spread);
    }
    fmt::print("\n(cycles/pkt of all rounds, not just the median: ");
    bool first = true;
    for (const auto& r : rs) {
        if (!r.error.empty()) continue;
        fmt::print("{}{} {:.1f}", first ? "" : ", ", r.name, r.mean_cycles_per_packet);
        first = false;
    }
    fmt::print(")\n");
}

void print_json(const report_info& info, const std::vector<scenario_result>& rs) {
    const scenario_result* io = find(rs, "io_fwd", 0);
    std::string o = "{\n";
    o += "  \"tool\": \"dpdk-lag-bench\",\n";
    o += fmt::format("  \"hugepages\": {},\n", info.hugepages ? "true" : "false");
    o += fmt::format("  \"memory\": {},\n", json_str(info.memory));
    o += fmt::format("  \"lcore\": {},\n  \"tsc_hz\": {},\n", info.lcore, info.tsc_hz);
    o += fmt::format("  \"seconds_per_trial\": {},\n  \"trials\": {},\n", num(info.seconds), info.trials);
    o += fmt::format("  \"round_frames_per_direction\": {},\n", info.round);
    o += fmt::format("  \"direction\": {},\n", json_str(info.direction));
    o += "  \"statistic\": \"median over trials of the median round, packets of every direction fed counted\",\n";
    o += fmt::format("  \"traffic\": {{\"description\": {}, \"flows\": {}, \"egress_frames\": {}, "
                     "\"mean_wire_size\": {}, \"ingress_wire_size\": {}, \"seed\": {}}},\n",
                     json_str(info.traffic), info.tcfg.flows, info.tcfg.frames, num(info.mean_wire_size),
                     info.tcfg.ingress_len + 4, info.tcfg.seed);
    o += fmt::format("  \"input\": {},\n", json_str(info.input));
    o += fmt::format("  \"bond_distribution\": {},\n", json_str(info.bond_method));
    o += "  \"eal_args\": [";
    for (size_t i = 0; i < info.eal_args.size(); ++i)
        o += (i ? ", " : "") + json_str(info.eal_args[i]);
    o += "],\n  \"scenarios\": [\n";
    for (size_t i = 0; i < rs.size(); ++i) {
        const scenario_result& r = rs[i];
        o += fmt::format("    {{\"name\": {}, \"kind\": {}, \"members\": {}, \"description\": {}, ",
                         json_str(r.name), json_str(r.kind), r.members, json_str(r.what));
        o += fmt::format("\"ok\": {}, ", r.error.empty() ? "true" : "false");
        if (!r.error.empty()) o += fmt::format("\"error\": {}, ", json_str(r.error));
        o += fmt::format("\"mpps\": {}, \"cycles_per_packet\": {}, \"mean_cycles_per_packet\": {}, ",
                         num(r.mpps), num(r.cycles_per_packet), num(r.mean_cycles_per_packet));
        o += fmt::format("\"ratio_to_io_fwd\": {}, ", num(ratio(r, io)));
        if (r.kind.starts_with("worker"))
            o += fmt::format("\"ratio_to_bond_8023ad\": {}, ", num(ratio(r, find(rs, "bond_8023ad", r.members))));
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
