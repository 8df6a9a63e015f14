/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// The prompt, on DPDK's command-line library: "send <message>", "help" and
// "quit", with line editing and history in a terminal. It also reads commands
// piped on standard input; the end of the input ends the program as "quit" does.

#include <cerrno>
#include <cstddef>
#include <string_view>

#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <cmdline.h>
#include <cmdline_parse.h>
#include <cmdline_parse_string.h>
#include <cmdline_rdline.h>
#include <cmdline_socket.h>

#include <mp/error.hpp>
#include <mp/signals.hpp>

#include "sender.hpp"

namespace simple_mp {

// cmdline_parse_inst_t ends in a flexible array of tokens, which C++ cannot
// initialise; this has the same layout with room for `Tokens` tokens and the
// terminating null.
template <std::size_t Tokens>
struct Instruction {
    void (*handler)(void* parsed, cmdline* cl, void* data);
    void* data;
    const char* help;
    cmdline_parse_token_hdr_t* tokens[Tokens + 1];

    cmdline_parse_inst_t* native() noexcept
    {
        return reinterpret_cast<cmdline_parse_inst_t*>(this);
    }
};
static_assert(offsetof(Instruction<1>, handler) == offsetof(cmdline_parse_inst_t, f) &&
              offsetof(Instruction<1>, data) == offsetof(cmdline_parse_inst_t, data) &&
              offsetof(Instruction<1>, help) == offsetof(cmdline_parse_inst_t, help_str) &&
              offsetof(Instruction<1>, tokens) == offsetof(cmdline_parse_inst_t, tokens));

inline constexpr const char* help_text =
    "simple_mp sends text messages to the other simple_mp process over shared rings.\n"
    "Commands:\n"
    "  send <message>  send <message> (up to 127 characters, spaces allowed) to the other\n"
    "                  process, which prints it on its receiving lcore\n"
    "  help            show this text\n"
    "  quit            end this process (Ctrl-C and Ctrl-D at an empty prompt do the same)\n";

// The command table. It points into itself, so it stays where it was built.
class Commands {
public:
    explicit Commands(Sender& sender) noexcept : sender_(sender) {}
    Commands(const Commands&) = delete;
    Commands& operator=(const Commands&) = delete;

    cmdline_parse_ctx_t* context() noexcept { return context_; }

private:
    struct SendResult {
        cmdline_fixed_string_t command;
        cmdline_multi_string_t message; // the rest of the line
    };
    struct WordResult {
        cmdline_fixed_string_t command;
    };

    static void on_send(void* parsed, cmdline* cl, void* data)
    {
        Sender& sender = static_cast<Commands*>(data)->sender_;
        std::string_view text = static_cast<SendResult*>(parsed)->message;
        // The rest of the line comes with any blanks typed after the message.
        while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
            text.remove_suffix(1);
        const SendStatus status = sender.send(text);
        if (status != SendStatus::sent)
            cmdline_printf(cl, "%s\n", sender.refusal(status, text).c_str());
    }

    static void on_help(void*, cmdline* cl, void*) { cmdline_printf(cl, "%s", help_text); }

    static void on_quit(void*, cmdline* cl, void*)
    {
        mp::QuitFlag::raise(); // the receiving lcore stops too
        cmdline_quit(cl);
    }

    Sender& sender_;
    cmdline_parse_token_string_t send_word_ = TOKEN_STRING_INITIALIZER(SendResult, command, "send");
    cmdline_parse_token_string_t send_text_ =
        TOKEN_STRING_INITIALIZER(SendResult, message, TOKEN_STRING_MULTI);
    cmdline_parse_token_string_t help_word_ = TOKEN_STRING_INITIALIZER(WordResult, command, "help");
    cmdline_parse_token_string_t quit_word_ = TOKEN_STRING_INITIALIZER(WordResult, command, "quit");
    Instruction<2> send_{&on_send,
                         this,
                         "send a message to the other process",
                         {&send_word_.hdr, &send_text_.hdr, nullptr}};
    Instruction<1> help_{&on_help, this, "show help", {&help_word_.hdr, nullptr}};
    Instruction<1> quit_{&on_quit, this, "end this process", {&quit_word_.hdr, nullptr}};
    cmdline_parse_ctx_t context_[4] = {send_.native(), help_.native(), quit_.native(), nullptr};
};

// The prompt on standard input and output.
class Prompt {
public:
    // Sets the terminal up; the prompt itself shows when run() starts.
    Prompt(cmdline_parse_ctx_t* context, const char* prompt)
        : cl_(cmdline_stdin_new(context, "")), prompt_(prompt)
    {
        if (cl_ == nullptr)
            throw mp::StartupError("cannot create the command line on standard input");
        // The library turns the terminal's signal keys off, which would make Ctrl-C
        // only clear the line; turned back on, Ctrl-C raises the quit flag.
        termios term{};
        if (terminal_ && tcgetattr(STDIN_FILENO, &term) == 0) {
            term.c_lflag |= ISIG;
            tcsetattr(STDIN_FILENO, TCSANOW, &term);
        }
    }
    Prompt(const Prompt&) = delete;
    Prompt& operator=(const Prompt&) = delete;
    ~Prompt() { cmdline_stdin_exit(cl_); } // also restores the terminal

    // Runs commands until "quit", the end of the input (Ctrl-D at an empty prompt
    // on a terminal) or the quit flag (Ctrl-C, SIGTERM).
    void run() noexcept
    {
        cmdline_set_prompt(cl_, prompt_);
        rdline_newline(cmdline_get_rdline(cl_), prompt_);
        char input[512];
        while (!mp::QuitFlag::raised()) {
            // cmdline_interact() would block in read(): poll, so that a signal
            // caught by another thread is noticed too.
            pollfd in{STDIN_FILENO, POLLIN, 0};
            const int ready = ::poll(&in, 1, 100);
            if (ready < 0 && errno != EINTR)
                break; // stdin is unusable
            if (ready <= 0)
                continue;
            const ssize_t n = ::read(STDIN_FILENO, input, sizeof(input));
            if (n < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (n <= 0)
                break; // end of input
            if (cmdline_in(cl_, input, static_cast<int>(n)) < 0)
                break; // "quit", or Ctrl-D at an empty prompt
            // Every line costs time in proportion to the history's size (up to
            // 8 KiB): piped commands, which nobody recalls, do not fill it.
            if (!terminal_)
                rdline_clear_history(cmdline_get_rdline(cl_));
        }
        // After "quit" the library has ended the line; otherwise leave the
        // shell's next prompt on a line of its own.
        const bool quit_command = mp::QuitFlag::raised() && mp::QuitFlag::signal_number() == 0;
        if (!quit_command)
            cmdline_printf(cl_, "\n");
        mp::QuitFlag::raise();
    }

private:
    bool terminal_ = isatty(STDIN_FILENO) != 0;
    cmdline* cl_;
    const char* prompt_;
};

} // namespace simple_mp
