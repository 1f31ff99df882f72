#pragma once
// lib/cli: the command language that lagctl, `dpdk-lagd -i` and the control
// socket share. Pure: a line in, a parsed command (or an error carrying the
// usage of the nearest command) out; completion candidates for a prompt.
// The daemon executes parsed commands through one core function, so the CLI
// and the socket cannot drift apart (VPP's cli.c / bond_api.c pattern).

#include "common/result.hpp"

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lag::cli {

enum class command_id : uint8_t {
    create_lag,
    delete_lag,
    add_member,
    remove_member,
    set_min_links,
    set_hash,
    set_mtu,
    set_macsec,
    unset_macsec,
    rekey_macsec,
    set_rekey_interval,
    add_macsec_key,
    remove_macsec_key,
    set_macsec_fallback,
    unset_macsec_fallback,
    set_lacp_rate,
    show_lag,
    show_lacp,
    show_macsec,
    show_stats,
    clear_stats,
    show_config,
    save_config,
    help,
    quit,
};

struct command_spec {
    command_id id;
    // Syntax: literal words; <name> or <name:a|b|c> (choices) or <name:uint>,
    // <name:list> (comma-separated), <name:hex>; [ ... ] an optional group,
    // matched in any order after the required words.
    std::string_view syntax;
    std::string_view help;
};

// Every command, in the order `help` lists them.
std::span<const command_spec> commands();
const command_spec& spec(command_id id);

struct parsed_command {
    command_id id{};
    std::map<std::string, std::string, std::less<>> args;
    bool json = false;

    bool has(std::string_view key) const { return args.find(key) != args.end(); }
    std::string_view get(std::string_view key) const {
        auto it = args.find(key);
        return it == args.end() ? std::string_view{} : std::string_view{it->second};
    }
    // Comma-separated list argument, split.
    std::vector<std::string> list(std::string_view key) const;
};

// Splits on blanks; "double quotes" keep blanks in one word. '#' starts a
// comment outside quotes.
std::vector<std::string> tokenize(std::string_view line);

// Parses one line. An empty line (or only a comment) is an error with code
// "empty". Any other failure has code "syntax" and a message that says what
// was wrong and gives the usage of the nearest command(s).
result<parsed_command> parse_line(std::string_view line);

// Completion candidates for the last word of `line` (empty if the line ends
// in a blank): literal words and choices that fit, sorted, unique.
std::vector<std::string> complete(std::string_view line);

// `help` text: every command, or those whose syntax starts with `topic`.
std::string help_text(std::string_view topic = {});

} // namespace lag::cli
