/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// The prompt, on DPDK's command-line library: "send <message>", "help" and
// "quit", with line editing and history in a terminal. It also reads commands
// piped on standard input; the end of the input ends the program as "quit" does.

#include <cerrno>
#include <cstddef>
#include <string>
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
    "  send <message>  send <message> (up to 127 bytes, spaces allowed) to the other\n"
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

// Typed bytes on their way to the line editor. DPDK's rdline_char_in()
// (cmdline_rdline.c, the same in 22.11 and 24.11) keeps a byte only if
// isprint((int)c) holds: a byte from 0x80 up is a negative char, printable in
// no locale, so every byte of UTF-8 beyond ASCII is dropped before it reaches
// the editor's buffer. The editor's history and the command parser keep any
// byte, though. So a line holding such bytes goes round the editor: the bytes
// are echoed here, and at the end of the line the line as read is parsed as
// the editor would have done, and put in the history (recalled, it comes back
// whole). Editing keys in such a line would have acted on the editor's copy,
// which lacks those bytes: that line is refused in one line, never run altered.
class LineInput {
public:
    LineInput(cmdline* cl, int out_fd, const char* prompt) noexcept
        : cl_(cl), out_fd_(out_fd), prompt_(prompt)
    {}

    // False once the editor has ended ("quit", Ctrl-D at an empty prompt).
    bool feed(std::string_view bytes)
    {
        std::size_t run = 0; // start of the bytes the editor gets next
        for (std::size_t i = 0; i < bytes.size(); ++i) {
            const auto c = static_cast<unsigned char>(bytes[i]);
            const bool end_of_line = c == '\n' || c == '\r';
            if (!end_of_line && c < 0x80) {
                line_.add(c);
                continue;
            }
            if (!to_editor(bytes.substr(run, i - run)))
                return false;
            run = i;
            if (end_of_line) {
                const bool round_the_editor = line_.beyond_editor;
                if (round_the_editor) {
                    run_exact_line();
                    run = i + 1;
                }
                line_ = Line{};
            } else {
                line_.add(c);
                echo(bytes.substr(i, 1));
                run = i + 1;
            }
        }
        return to_editor(bytes.substr(run));
    }

    static constexpr const char* edited_refusal =
        "line not run: it has non-ASCII characters and editing keys, which this prompt cannot "
        "combine: type the line again without editing keys";

private:
    // The line being typed, as read; the editor keeps at most 512 bytes of it.
    struct Line {
        static constexpr std::size_t max_size = 512;
        std::string text;
        bool beyond_editor = false; // holds bytes the editor drops
        bool edited = false;        // holds control bytes: editing keys

        void add(unsigned char c)
        {
            if (c >= 0x80)
                beyond_editor = true;
            else if (c < 0x20 || c == 0x7f)
                edited = true;
            if (text.size() < max_size)
                text.push_back(static_cast<char>(c));
        }
    };

    bool to_editor(std::string_view bytes) noexcept
    {
        return bytes.empty() || cmdline_in(cl_, bytes.data(), static_cast<int>(bytes.size())) >= 0;
    }

    void echo(std::string_view bytes) noexcept
    {
        while (!bytes.empty()) {
            const ssize_t n = ::write(out_fd_, bytes.data(), bytes.size());
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                return; // output gone: nothing to show it on
            bytes.remove_prefix(static_cast<std::size_t>(n));
        }
    }

    // What the editor does at the end of a line (cmdline_in, cmdline_valid_buffer),
    // on the line as read instead of the editor's copy.
    void run_exact_line()
    {
        echo("\r\n");
        if (line_.edited) {
            cmdline_printf(cl_, "%s\n", edited_refusal);
        } else {
            const std::string buffer = line_.text + "\n"; // as rdline_get_buffer() gives it
            rdline_add_history(cmdline_get_rdline(cl_), buffer.c_str());
            switch (cmdline_parse(cl_, buffer.c_str())) {
            case CMDLINE_PARSE_AMBIGUOUS: cmdline_printf(cl_, "Ambiguous command\n"); break;
            case CMDLINE_PARSE_NOMATCH: cmdline_printf(cl_, "Command not found\n"); break;
            case CMDLINE_PARSE_BAD_ARGS: cmdline_printf(cl_, "Bad arguments\n"); break;
            default: break;
            }
        }
        // Drops the editor's copy and shows the prompt again.
        rdline_newline(cmdline_get_rdline(cl_), prompt_);
    }

    cmdline* cl_;
    int out_fd_;
    const char* prompt_;
    Line line_;
};

// The prompt on standard input and output.
class Prompt {
public:
    // Sets the terminal up; the prompt itself shows when run() starts.
    Prompt(cmdline_parse_ctx_t* context, const char* prompt)
        : cl_(cmdline_stdin_new(context, "")), prompt_(prompt), input_(cl_, STDOUT_FILENO, prompt)
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
        char input[read_size];
        while (!mp::QuitFlag::raised()) {
            // cmdline_interact() would block in read(): poll, so that a signal
            // caught by another thread is noticed too.
            pollfd in{STDIN_FILENO, POLLIN, 0};
            const int ready = ::poll(&in, 1, quit_check_ms);
            if (ready < 0 && errno != EINTR)
                break; // stdin is unusable
            if (ready <= 0)
                continue;
            const ssize_t n = ::read(STDIN_FILENO, input, sizeof(input));
            if (n < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (n <= 0)
                break; // end of input
            if (!input_.feed({input, static_cast<std::size_t>(n)}))
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
    static constexpr std::size_t read_size = 512; // bytes of input per read
    static constexpr int quit_check_ms = 100;     // how soon a quit flag is seen

    bool terminal_ = isatty(STDIN_FILENO) != 0;
    cmdline* cl_;
    const char* prompt_;
    LineInput input_;
};

} // namespace simple_mp
