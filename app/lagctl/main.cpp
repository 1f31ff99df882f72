// lagctl: drives dpdk-lagd over its control socket.
//
//   lagctl [--socket PATH] COMMAND...     run one command, exit 1 on error
//   lagctl [--socket PATH]                interactive prompt (testpmd style):
//                                         line editing, history, tab completion
//
// Commands are checked locally first (lib/cli), so a typo gets the usage of
// the nearest command without a round trip; the daemon parses them again.
#include "cli/cli.hpp"
#include "sock/sock.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <editline/readline.h>
#include <fmt/format.h>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

constexpr const char* default_socket = "/run/dpdk-lagd/dpdk-lagd.sock";

int run_one(const std::string& sock, const std::string& line) {
    auto parsed = lag::cli::parse_line(line);
    if (!parsed) {
        if (parsed.err().code == "empty")
            return 0;
        fmt::print(stderr, "{}\n", parsed.err().message);
        return 1;
    }
    if (parsed->id == lag::cli::command_id::help) {
        fmt::print("{}", lag::cli::help_text(parsed->get("topic")));
        return 0;
    }
    auto r = lag::sock::request(sock, line);
    if (!r) {
        fmt::print(stderr, "lagctl: {}\n", r.err().message);
        return 2;
    }
    std::FILE* out = r->status == 0 ? stdout : stderr;
    std::fputs(r->body.c_str(), out);
    if (!r->body.empty() && r->body.back() != '\n')
        std::fputc('\n', out);
    return r->status == 0 ? 0 : 1;
}

std::vector<std::string> g_matches;

char* generator(const char*, int state) {
    if (state == 0) {
        std::string line(rl_line_buffer, static_cast<size_t>(rl_point));
        g_matches = lag::cli::complete(line);
    }
    if (static_cast<size_t>(state) < g_matches.size())
        return strdup(g_matches[static_cast<size_t>(state)].c_str());
    return nullptr;
}

char** completion(const char* text, int, int) {
    rl_attempted_completion_over = 1;
    return rl_completion_matches(text, generator);
}

int interactive(const std::string& sock) {
    rl_attempted_completion_function = completion;
    std::string hist;
    if (const char* home = std::getenv("HOME"))
        hist = std::string(home) + "/.lagctl_history";
    using_history();
    if (!hist.empty())
        read_history(hist.c_str());
    int last = 0;
    while (char* raw = readline("lagctl> ")) {
        std::string line(raw);
        std::free(raw);
        if (line.find_first_not_of(" \t") == std::string::npos)
            continue;
        add_history(line.c_str());
        auto parsed = lag::cli::parse_line(line);
        if (parsed && parsed->id == lag::cli::command_id::quit)
            break;
        last = run_one(sock, line);
    }
    if (!hist.empty())
        write_history(hist.c_str());
    return last;
}

} // namespace

int main(int argc, char** argv) {
    std::string sock = default_socket;
    if (const char* env = std::getenv("DPDK_LAGD_SOCKET"))
        sock = env;
    std::vector<std::string> words;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if ((a == "--socket" || a == "-s") && i + 1 < argc) {
            sock = argv[++i];
        } else if (a == "--json") {
            words.emplace_back("json");
        } else if (a == "--help" || a == "-h") {
            fmt::print("usage: lagctl [--socket PATH] [COMMAND...]\n\n{}",
                       lag::cli::help_text());
            return 0;
        } else {
            words.push_back(a);
        }
    }
    // --json goes at the end of the command, where the grammar has it.
    if (!words.empty() && words.front() == "json") {
        words.erase(words.begin());
        words.emplace_back("json");
    }
    if (words.empty())
        return isatty(0) ? interactive(sock) : [&] {
            // Commands from a pipe, one per line.
            int rc = 0;
            char* line = nullptr;
            size_t cap = 0;
            ssize_t n;
            while ((n = getline(&line, &cap, stdin)) > 0) {
                std::string l(line, static_cast<size_t>(n));
                while (!l.empty() && (l.back() == '\n' || l.back() == '\r'))
                    l.pop_back();
                rc |= run_one(sock, l);
            }
            std::free(line);
            return rc;
        }();
    std::string line;
    for (const auto& w : words) {
        if (!line.empty())
            line += ' ';
        line += w.find(' ') != std::string::npos ? "\"" + w + "\"" : w;
    }
    return run_one(sock, line);
}
