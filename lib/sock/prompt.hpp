#pragma once
// The testpmd-style prompt shared by lagctl and `dpdk-lagd -i`: libedit line
// editing, history (~/.lagctl_history), tab completion from lib/cli, `help`
// answered locally, every other command sent to the control socket.

#include <string>

namespace lag::sock {

// Runs one command line against the daemon at `socket_path`; prints the
// reply (errors to stderr). Returns 0 on success, 1 on a refused command,
// 2 when the daemon cannot be reached.
int run_command(const std::string& socket_path, const std::string& line);

// Reads lines until EOF or `quit`; returns the status of the last command.
int prompt(const std::string& socket_path, const char* prompt_text = "lagctl> ");

} // namespace lag::sock
