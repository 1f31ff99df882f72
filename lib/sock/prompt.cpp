#include "sock/prompt.hpp"

#include "cli/cli.hpp"
#include "sock/sock.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <editline/readline.h>
#include <fmt/format.h>
#include <vector>

namespace lag::sock {

int run_command(const std::string& socket_path, const std::string& line) {
    auto parsed = cli::parse_line(line);
    if (!parsed) {
        if (parsed.err().code == "empty")
            return 0;
        fmt::print(stderr, "{}\n", parsed.err().message);
        return 1;
    }
    if (parsed->id == cli::command_id::help) {
        fmt::print("{}", cli::help_text(parsed->get("topic")));
        return 0;
    }
    auto r = request(socket_path, line);
    if (!r) {
        fmt::print(stderr, "{}\n", r.err().message);
        return 2;
    }
    std::FILE* out = r->status == 0 ? stdout : stderr;
    std::fputs(r->body.c_str(), out);
    if (!r->body.empty() && r->body.back() != '\n')
        std::fputc('\n', out);
    std::fflush(out);
    return r->status == 0 ? 0 : 1;
}

namespace {

std::vector<std::string> g_matches;

char* generator(const char*, int state) {
    if (state == 0)
        g_matches = cli::complete(std::string(rl_line_buffer, static_cast<size_t>(rl_point)));
    if (static_cast<size_t>(state) < g_matches.size())
        return strdup(g_matches[static_cast<size_t>(state)].c_str());
    return nullptr;
}

char** completion(const char* text, int, int) {
    rl_attempted_completion_over = 1;
    return rl_completion_matches(text, generator);
}

} // namespace

int prompt(const std::string& socket_path, const char* prompt_text) {
    rl_attempted_completion_function = completion;
    std::string hist;
    if (const char* home = std::getenv("HOME"))
        hist = std::string(home) + "/.lagctl_history";
    using_history();
    if (!hist.empty())
        read_history(hist.c_str());
    int last = 0;
    while (char* raw = readline(prompt_text)) {
        std::string line(raw);
        std::free(raw);
        if (line.find_first_not_of(" \t") == std::string::npos)
            continue;
        add_history(line.c_str());
        auto parsed = cli::parse_line(line);
        if (parsed && parsed->id == cli::command_id::quit)
            break;
        last = run_command(socket_path, line);
    }
    if (!hist.empty())
        write_history(hist.c_str());
    return last;
}

} // namespace lag::sock
