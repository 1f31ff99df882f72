// lagctl: drives dpdk-lagd over its control socket.
//
//   lagctl [--socket PATH] [--json] COMMAND...   one command; exit 1 if refused,
//                                                2 if the daemon is unreachable
//   lagctl [--socket PATH]                       interactive prompt (testpmd
//                                                style): line editing, history,
//                                                tab completion, help
//   ... | lagctl [--socket PATH]                 commands from a pipe, one a line
//
// The socket is --socket, else $DPDK_LAGD_SOCKET, else
// /run/dpdk-lagd/dpdk-lagd.sock. Commands are checked locally first (lib/cli),
// so a typo gets the usage of the nearest command without a round trip.
#include "cli/cli.hpp"
#include "sock/prompt.hpp"

#include <cstdio>
#include <cstdlib>
#include <fmt/format.h>
#include <string>
#include <unistd.h>
#include <vector>

int main(int argc, char** argv) {
    std::string sock = "/run/dpdk-lagd/dpdk-lagd.sock";
    if (const char* env = std::getenv("DPDK_LAGD_SOCKET"))
        sock = env;
    std::vector<std::string> words;
    bool json = false;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if ((a == "--socket" || a == "-s") && i + 1 < argc) {
            sock = argv[++i];
        } else if (a == "--json") {
            json = true;
        } else if (a == "--help" || a == "-h") {
            fmt::print("usage: lagctl [--socket PATH] [--json] [COMMAND...]\n\n{}", lag::cli::help_text());
            return 0;
        } else {
            words.push_back(a);
        }
    }
    if (json)
        words.emplace_back("json"); // the grammar has it at the end
    if (words.empty()) {
        if (isatty(0))
            return lag::sock::prompt(sock);
        int rc = 0;
        char* line = nullptr;
        size_t cap = 0;
        ssize_t n;
        while ((n = getline(&line, &cap, stdin)) > 0) {
            std::string l(line, static_cast<size_t>(n));
            while (!l.empty() && (l.back() == '\n' || l.back() == '\r'))
                l.pop_back();
            rc = std::max(rc, lag::sock::run_command(sock, l));
        }
        std::free(line);
        return rc;
    }
    std::string line;
    for (const auto& w : words) {
        if (!line.empty())
            line += ' ';
        line += w.find(' ') != std::string::npos ? "\"" + w + "\"" : w;
    }
    return lag::sock::run_command(sock, line);
}
