/* SPDX-License-Identifier: BSD-3-Clause */
// mp_server and mp_client as real processes on net_null ports: traffic shared
// between two clients with books that balance, interoperability with the
// upstream programs both ways, clients killed with SIGKILL and restarted, and
// every refusal (one line on stderr, exit code 1).
#include <gtest/gtest.h>

#include <csignal>
#include <memory>
#include <optional>
#include <random>
#include <regex>
#include <sstream>
#include <thread>

#include "process.hpp"

using namespace mptest;

namespace {

struct ClientLine {
    unsigned long long rx = 0, rx_drop = 0, tx = 0, tx_drop = 0;
};
struct Screen {
    std::vector<unsigned long long> port_rx, port_tx;
    std::vector<ClientLine> clients;
};

// The last complete statistics screen (upstream layout) with `clients` clients.
std::optional<Screen> last_screen(std::string text, std::size_t clients)
{
    std::erase(text, '\r'); // a terminal (Io::pty) ends lines with \r\n
    static const std::regex port_re(R"(Port (\d+) - rx: +(\d+)\ttx: +(\d+)\n)");
    static const std::regex client_re(
        R"(Client +(\d+) - rx: +(\d+), rx_drop: +(\d+)\n +tx: +(\d+), tx_drop: +(\d+)\n)");
    std::size_t end = text.size();
    while (true) {
        const std::size_t start = text.rfind("PORTS\n-----\n", end);
        if (start == std::string::npos)
            return std::nullopt;
        const std::string block = text.substr(start, end - start);
        Screen screen;
        for (std::sregex_iterator it(block.begin(), block.end(), port_re), last; it != last; ++it) {
            screen.port_rx.push_back(std::stoull((*it)[2]));
            screen.port_tx.push_back(std::stoull((*it)[3]));
        }
        for (std::sregex_iterator it(block.begin(), block.end(), client_re), last; it != last;
             ++it)
            screen.clients.push_back({std::stoull((*it)[2]), std::stoull((*it)[3]),
                                      std::stoull((*it)[4]), std::stoull((*it)[5])});
        if (screen.clients.size() == clients && !screen.port_rx.empty())
            return screen;
        if (start == 0)
            return std::nullopt;
        end = start - 1;
    }
}

std::size_t occurrences(const std::string& text, std::string_view what)
{
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
        ++n;
    return n;
}

// Waits until `value(screen)` of a newer screen exceeds `above`; returns it (0 on timeout).
template <class Value>
unsigned long long wait_for_screen_value(Process& server, std::size_t clients, Value value,
                                         unsigned long long above,
                                         std::chrono::milliseconds timeout = 60s)
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline && server.running()) {
        if (const auto screen = last_screen(server.output(), clients)) {
            const unsigned long long v = value(*screen);
            if (v > above)
                return v;
        }
        std::this_thread::sleep_for(200ms);
    }
    return 0;
}

const auto client_rx = [](unsigned c) { return [c](const Screen& s) { return s.clients[c].rx; }; };
const auto client_tx = [](unsigned c) { return [c](const Screen& s) { return s.clients[c].tx; }; };

std::vector<std::string> server_cmd(const DpdkPrefix& prefix, std::string_view app = "3",
                                    std::string_view clients = "2",
                                    std::string program = binary("mp_server"),
                                    std::string_view lcores = "0@0",
                                    std::initializer_list<std::string_view> extra = {})
{
    return args({{std::move(program)},
                 eal_args(prefix, lcores, {"net_null0", "net_null1"}, extra),
                 {"--", "-p", std::string(app), "-n", std::string(clients)}});
}

std::vector<std::string> client_cmd(const DpdkPrefix& prefix, std::string_view lcores,
                                    std::string_view id, std::string program = binary("mp_client"),
                                    std::string_view proc_type = "--proc-type=auto")
{
    return args({{std::move(program)}, eal_args(prefix, lcores, {}, {proc_type}),
                 {"--", "-n", std::string(id)}});
}

// "Client N - rx: a, tx: b, tx_drop: c", printed by our client at exit.
ClientLine client_totals(const Process& client)
{
    static const std::regex re(R"(Client \d+ - rx: (\d+), tx: (\d+), tx_drop: (\d+))");
    std::smatch m;
    const std::string out = client.output();
    ClientLine line;
    if (std::regex_search(out, m, re)) {
        line.rx = std::stoull(m[1]);
        line.tx = std::stoull(m[2]);
        line.tx_drop = std::stoull(m[3]);
    }
    return line;
}

// Ctrl-C ends a client at once and the server within its 5 s exit limit.
void stop(Process& p, int expected_code = 0)
{
    EXPECT_TRUE(stops_on(p, SIGINT, 10s, expected_code));
}

// Port rx (all ports) = what the clients got + what their full rings refused.
void expect_server_books_balance(const Screen& s)
{
    unsigned long long port_rx = 0, client_total = 0;
    for (auto v : s.port_rx)
        port_rx += v;
    for (const ClientLine& c : s.clients)
        client_total += c.rx + c.rx_drop;
    EXPECT_GT(port_rx, 0U);
    EXPECT_EQ(port_rx, client_total);
}

unsigned long long left_in_ring(const std::string& server_output, unsigned client)
{
    return last_number_after(server_output,
                             "Client " + std::to_string(client) + ": ")
        .value_or(~0ULL);
}

// "Mbuf pool: ... N unaccounted for": mbufs neither in the pool nor in a ring
// once every client has stopped (nullopt when the line is missing).
std::optional<long long> unaccounted_mbufs(const std::string& server_output)
{
    static const std::regex re(R"(Mbuf pool: \d+ mbufs, \d+ in use, \d+ of them in the rings, (-?\d+) unaccounted for)");
    std::smatch m;
    if (!std::regex_search(server_output, m, re))
        return std::nullopt;
    return std::stoll(m[1]);
}

// Mbufs client N handed back through its return ring, from the server's last
// words (nullopt when the line is missing).
std::optional<unsigned long long> handed_back(const std::string& server_output, unsigned client)
{
    return last_number_after(server_output,
                             "Return ring of client " + std::to_string(client) + ": ");
}

// Our server and clients 0 and 1 (lcores 1 and 2, both on CPU 1); the clients
// start once the server runs (with --proc-type=auto, one started first would
// become the primary).
struct ServerAndTwoClients {
    explicit ServerAndTwoClients(const DpdkPrefix& prefix) : prefix(prefix), server(server_cmd(prefix))
    {
    }
    ::testing::AssertionResult ready()
    {
        if (!server.expect("APP: Finished Process Init.", 90s))
            return ::testing::AssertionFailure() << "server: " << server.output();
        c0.emplace(client_cmd(prefix, "1@1", "0"));
        c1.emplace(client_cmd(prefix, "2@1", "1"));
        for (Process* c : {&*c0, &*c1})
            if (!c->expect_regex("Client process [01] handling packets", 90s))
                return ::testing::AssertionFailure() << "client: " << c->output();
        return ::testing::AssertionSuccess();
    }

    const DpdkPrefix& prefix;
    Process server;
    std::optional<Process> c0, c1;
};

TEST(ClientServerMp, TwoClientsShareTheTrafficAndTheBooksBalance)
{
    DpdkPrefix prefix("csmp_two");
    ServerAndTwoClients run(prefix);
    ASSERT_TRUE(run.ready());
    Process& server = run.server;
    Process& c0 = *run.c0;
    Process& c1 = *run.c1;

    // Both clients' rx grow.
    const auto first0 = wait_for_screen_value(server, 2, client_tx(0), 0);
    const auto first1 = wait_for_screen_value(server, 2, client_tx(1), 0);
    ASSERT_GT(first0, 0U) << server.output().substr(server.output().size() - 600);
    ASSERT_GT(first1, 0U);
    EXPECT_GT(wait_for_screen_value(server, 2, client_tx(0), first0), first0);
    EXPECT_GT(wait_for_screen_value(server, 2, client_tx(1), first1), first1);

    // Over the same few seconds, two equal clients on one CPU get about the same
    // share. What a client gets depends on when it runs (a ring fills in
    // microseconds while its client is off the CPU), so on a machine busy with
    // other work one window can be lopsided: up to three windows are tried.
    // A window is three statistics screens (the server prints one a second).
    std::ostringstream shares;
    bool fair = false;
    for (int window = 0; window < 3 && !fair; ++window) {
        const auto before = last_screen(server.output(), 2);
        ASSERT_TRUE(before);
        const std::size_t screens = occurrences(server.output(), "PORTS\n-----\n");
        ASSERT_TRUE(poll_until(20s, [&] {
            return occurrences(server.output(), "PORTS\n-----\n") >= screens + 3;
        }, 100ms)) << "no statistics screen for 20 s";
        const auto after = last_screen(server.output(), 2);
        ASSERT_TRUE(after);
        const double got0 = static_cast<double>(after->clients[0].rx - before->clients[0].rx);
        const double got1 = static_cast<double>(after->clients[1].rx - before->clients[1].rx);
        ASSERT_GT(got0, 0);
        ASSERT_GT(got1, 0);
        fair = std::min(got0, got1) / std::max(got0, got1) > 0.8;
        shares << ' ' << got0 << '/' << got1;
    }
    EXPECT_TRUE(fair) << "client 0 / client 1 packets per window:" << shares.str();

    stop(c0);
    stop(c1);
    const ClientLine t0 = client_totals(c0), t1 = client_totals(c1);
    ASSERT_GT(t0.rx, 0U) << c0.output();
    ASSERT_GT(t1.rx, 0U) << c1.output();
    // Nothing left buffered after Ctrl-C: every packet read went out or was dropped.
    EXPECT_EQ(t0.rx, t0.tx + t0.tx_drop);
    EXPECT_EQ(t1.rx, t1.tx + t1.tx_drop);

    stop(server);
    const std::string out = server.output();
    ASSERT_NE(out.find("final statistics:"), std::string::npos) << out;
    const auto screen = last_screen(out, 2);
    ASSERT_TRUE(screen) << out;
    expect_server_books_balance(*screen);
    // What the server put in each ring = what the client read + what is still there.
    EXPECT_EQ(screen->clients[0].rx, t0.rx + left_in_ring(out, 0));
    EXPECT_EQ(screen->clients[1].rx, t1.rx + left_in_ring(out, 1));
    // The clients' TX counters in the shared port info are theirs.
    EXPECT_EQ(screen->clients[0].tx, t0.tx);
    EXPECT_EQ(screen->clients[1].tx + screen->clients[1].tx_drop, t1.tx + t1.tx_drop);
    EXPECT_EQ(screen->port_tx[0] + screen->port_tx[1], t0.tx + t1.tx);
    // The sent mbufs came back to the server through the return rings, for
    // the most part (the rest through the pool): far more than one batch each.
    const auto back0 = handed_back(out, 0), back1 = handed_back(out, 1);
    ASSERT_TRUE(back0 && back1) << out;
    EXPECT_GT(*back0, t0.tx / 4) << out;
    EXPECT_GT(*back1, t1.tx / 4) << out;
    // Not one mbuf lost or handed out twice on the way round.
    EXPECT_EQ(unaccounted_mbufs(out), 0) << out;
}

TEST(ClientServerMp, StatisticsWithASecondLcoreAndThroughTelemetry)
{
    DpdkPrefix prefix("csmp_lcore");
    Process server(server_cmd(prefix, "3", "1", binary("mp_server"), "0@0,3@0"));
    ASSERT_TRUE(server.expect("APP: Finished Process Init.", 90s)) << server.output();
    // (The log line and this one go through different streams: either may come first.)
    ASSERT_TRUE(server.expect_count("Core 3 displaying statistics", 1, 60s)) << server.output();
    Process c0(client_cmd(prefix, "1@1", "0"));
    ASSERT_TRUE(c0.expect("Client process 0 handling packets", 90s)) << c0.output();
    EXPECT_GT(wait_for_screen_value(server, 1, client_tx(0), 0), 0U);

    // dpdk-telemetry.py comes with dpdk-dev, which the suite installs: its
    // absence is a failure, not a reason to leave the check out.
    const std::string telemetry = dpdk_tool("dpdk-telemetry.py");
    ASSERT_FALSE(telemetry.empty()) << "dpdk-telemetry.py not found (package dpdk-dev)";
    {
        Process query({"/bin/sh", "-c",
                       "echo /mp_server/stats | " + telemetry + " -f " + prefix.name()});
        ASSERT_TRUE(query.expect_regex(R"re("client_0_tx": [1-9])re", 60s)) << query.output();
        // Every key docs/client_server_mp.rst lists.
        for (const char* key : {"port_0_rx", "port_0_tx", "port_0_tx_drop", "port_1_rx",
                                "port_1_tx", "port_1_tx_drop", "client_0_rx", "client_0_rx_drop",
                                "client_0_tx", "client_0_tx_drop", "client_0_returned"})
            EXPECT_TRUE(std::regex_search(query.output(),
                                          std::regex(std::string("\"").append(key).append("\": \\d+"))))
                << key << " missing: " << query.output();
        query.wait_exit(10s);
    }
    stop(c0);
    stop(server);
    const auto screen = last_screen(server.output(), 1);
    ASSERT_TRUE(screen);
    expect_server_books_balance(*screen);
}

TEST(ClientServerMp, UpstreamServerWithOurClients)
{
    const std::string upstream_server = upstream("mp_server");
    if (upstream_server.empty())
        GTEST_SKIP() << "upstream mp_server not built";
    DpdkPrefix prefix("csmp_upsrv");
    // Upstream shows statistics only from a second lcore, and through stdio's
    // buffer: a terminal makes it line-buffered.
    Process server(server_cmd(prefix, "3", "2", upstream_server, "0@0,3@0"), Io::pty);
    ASSERT_TRUE(server.expect("APP: Finished Process Init.", 90s)) << server.output();
    Process c0(client_cmd(prefix, "1@1", "0"));
    Process c1(client_cmd(prefix, "2@1", "1"));
    ASSERT_TRUE(c0.expect("Client process 0 handling packets", 90s)) << c0.output();
    ASSERT_TRUE(c1.expect("Client process 1 handling packets", 90s)) << c1.output();
    // On stderr, read apart from the stdout line above: awaited, not searched.
    EXPECT_TRUE(c0.expect_count("no memzone 'MProc_config'", 1)) << c0.output();

    EXPECT_GT(wait_for_screen_value(server, 2, client_tx(0), 0, 90s), 0U) << server.output();
    EXPECT_GT(wait_for_screen_value(server, 2, client_tx(1), 0, 90s), 0U);
    stop(c0);
    stop(c1);
    const ClientLine t0 = client_totals(c0), t1 = client_totals(c1);
    EXPECT_GT(t0.rx, 0U);
    EXPECT_GT(t1.rx, 0U);
    EXPECT_EQ(t0.rx, t0.tx + t0.tx_drop);
    EXPECT_EQ(t1.rx, t1.tx + t1.tx_drop);
    stop(server);
}

TEST(ClientServerMp, OurServerWithUpstreamClients)
{
    const std::string upstream_client = upstream("mp_client");
    if (upstream_client.empty())
        GTEST_SKIP() << "upstream mp_client not built";
    DpdkPrefix prefix("csmp_upcli");
    Process server(server_cmd(prefix));
    ASSERT_TRUE(server.expect("APP: Finished Process Init.", 90s)) << server.output();
    Process c0(client_cmd(prefix, "1@1", "0", upstream_client));
    Process c1(client_cmd(prefix, "2@1", "1", upstream_client));
    // Upstream's client prints through a full stdout buffer: wait for its log line.
    ASSERT_TRUE(c0.expect("APP: Finished Process Init.", 90s)) << c0.output();
    ASSERT_TRUE(c1.expect("APP: Finished Process Init.", 90s)) << c1.output();

    const auto tx0 = wait_for_screen_value(server, 2, client_tx(0), 0, 90s);
    const auto tx1 = wait_for_screen_value(server, 2, client_tx(1), 0, 90s);
    EXPECT_GT(tx0, 0U) << server.output();
    EXPECT_GT(tx1, 0U);
    EXPECT_GT(wait_for_screen_value(server, 2, client_tx(0), tx0), tx0);
    c0.kill(); // upstream's client has no Ctrl-C handling of its own
    c1.kill();
    stop(server);
    const auto screen = last_screen(server.output(), 2);
    ASSERT_TRUE(screen);
    expect_server_books_balance(*screen);
    // Upstream's clients know nothing of return rings: their mbufs came back
    // through the pool alone.
    EXPECT_EQ(handed_back(server.output(), 0), 0U) << server.output();
    EXPECT_EQ(handed_back(server.output(), 1), 0U);
}

TEST(ClientServerMp, KilledClientRestartsAndTheOtherNeverStops)
{
    DpdkPrefix prefix("csmp_kill");
    Process server(server_cmd(prefix));
    ASSERT_TRUE(server.expect("APP: Finished Process Init.", 90s)) << server.output();
    Process c0(client_cmd(prefix, "1@1", "0"));
    auto c1 = std::make_unique<Process>(client_cmd(prefix, "2@1", "1"));
    ASSERT_TRUE(c0.expect("Client process 0 handling packets", 90s)) << c0.output();
    ASSERT_TRUE(c1->expect("Client process 1 handling packets", 90s)) << c1->output();

    const unsigned seed = std::random_device{}();
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 random(seed);
    std::uniform_int_distribution<int> pause_ms(20, 700);
    unsigned long long rx0 = wait_for_screen_value(server, 2, client_rx(0), 0);
    unsigned long long tx1 = wait_for_screen_value(server, 2, client_tx(1), 0);
    ASSERT_GT(rx0, 0U);
    ASSERT_GT(tx1, 0U);
    for (int cycle = 0; cycle < 10; ++cycle) {
        std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(random)));
        c1->kill();
        c1 = std::make_unique<Process>(client_cmd(prefix, "2@1", "1"));
        ASSERT_TRUE(c1->expect("Client process 1 handling packets", 90s))
            << "cycle " << cycle << ": " << c1->output();
        // The restarted client forwards again, and client 0 kept going.
        const auto now_tx1 = wait_for_screen_value(server, 2, client_tx(1), tx1);
        ASSERT_GT(now_tx1, tx1) << "cycle " << cycle << ": the restarted client does not forward";
        const auto now_rx0 = wait_for_screen_value(server, 2, client_rx(0), rx0);
        ASSERT_GT(now_rx0, rx0) << "cycle " << cycle << ": client 0 stopped";
        tx1 = now_tx1;
        rx0 = now_rx0;
        ASSERT_TRUE(c0.running()) << c0.output();
    }
    // Still going after the last restart.
    EXPECT_GT(wait_for_screen_value(server, 2, client_rx(0), rx0), rx0);
    stop(*c1);
    stop(c0);
    const ClientLine t1 = client_totals(*c1);
    EXPECT_GT(t1.rx, 0U);
    EXPECT_EQ(t1.rx, t1.tx + t1.tx_drop);
    stop(server);
    const auto screen = last_screen(server.output(), 2);
    ASSERT_TRUE(screen);
    expect_server_books_balance(*screen);
    // Each kill may cost what the dead client held: a ring read (64), its TX
    // buffers (2 x 32), a return batch (256), and the top of its cache above
    // the mark if it died inside a TX burst (32). Ten of those are 3840 of the
    // pool's 9984: more would mean mbufs lost beyond what a death explains.
    const auto lost = unaccounted_mbufs(server.output());
    ASSERT_TRUE(lost) << server.output();
    EXPECT_GE(*lost, 0);
    EXPECT_LE(*lost, 10 * (64 + 64 + 256 + 32));
}

// A client killed (kill -9) leaves its lcore's mempool cache to the next one;
// the next one is killed in the middle of recovering it (a named kill point);
// a third recovers what the second left. Nothing is handed out twice (the
// books never show more mbufs than the pool has) and the loss stays bounded.
TEST(ClientServerMp, AClientKilledInsideItsRecoveryIsRecoveredByTheNext)
{
    DpdkPrefix prefix("csmp_killrec");
    Process server(server_cmd(prefix, "3", "1"));
    ASSERT_TRUE(server.expect("APP: Finished Process Init.", 90s)) << server.output();
    auto client = std::make_unique<Process>(client_cmd(prefix, "1@1", "0"));
    ASSERT_TRUE(client->expect("Client process 0 handling packets", 90s)) << client->output();

    // Until a client dies at the kill point: its predecessor may (rarely) have
    // left an empty cache, with nothing to recover.
    bool died_in_recovery = false;
    for (int attempt = 0; attempt < 5 && !died_in_recovery; ++attempt) {
        ASSERT_GT(wait_for_screen_value(server, 1, client_tx(0), 0), 0U) << server.output();
        client->kill();
        client = std::make_unique<Process>(
            args({{"/usr/bin/env", "MP_KILL_AT=recovery.discarding,recovery.flushing"},
                  client_cmd(prefix, "1@1", "0")}));
        const auto exit = client->wait_exit(20s);
        died_in_recovery = exit && exit->signal == SIGKILL;
        if (!exit) {
            ASSERT_TRUE(client->expect("Client process 0 handling packets", 90s))
                << client->output();
        }
    }
    ASSERT_TRUE(died_in_recovery) << "no client died inside its recovery in 5 attempts";

    Process next(client_cmd(prefix, "1@1", "0"));
    ASSERT_TRUE(next.expect("Client process 0 handling packets", 90s)) << next.output();
    // (Its log goes to stderr, which may arrive after the line above.)
    EXPECT_TRUE(next.expect_count("dropped ", 1) &&
                std::regex_search(next.output(), std::regex("dropped [1-9]")))
        << "the mark of the killed recovery makes the next one drop, not flush again:\n"
        << next.output();
    ASSERT_GT(wait_for_screen_value(server, 1, client_tx(0), 0), 0U);
    stop(next);
    stop(server);
    const auto lost = unaccounted_mbufs(server.output());
    ASSERT_TRUE(lost) << server.output();
    EXPECT_GE(*lost, 0) << "more mbufs in the pool than it has: one was handed out twice";
    // Two kills, each at most what a client holds (see above).
    EXPECT_LE(*lost, 2 * (64 + 64 + 256 + 768));
}

// mp_server with client 0 forwarding.
struct ServerAndOneClient {
    explicit ServerAndOneClient(const DpdkPrefix& prefix) : server(server_cmd(prefix))
    {
        if (!server.expect("APP: Finished Process Init.", 90s))
            return;
        c0 = std::make_unique<Process>(client_cmd(prefix, "1@1", "0"));
        ready = c0->expect("Client process 0 handling packets", 90s);
    }
    Process server;
    std::unique_ptr<Process> c0;
    bool ready = false;
};

// Ctrl-C ends the server with exit code 0 within 3 s: nothing held blocks its frees.
void expect_prompt_clean_exit(Process& server)
{
    const auto asked = std::chrono::steady_clock::now();
    server.signal(SIGINT);
    const auto server_exit = server.wait_exit(10s);
    ASSERT_TRUE(server_exit) << server.output();
    EXPECT_EQ(server_exit->code, 0) << server.errors();
    EXPECT_LE(std::chrono::steady_clock::now() - asked, 3s);
}

// A secondary killed in its start-up can leave DPDK's memory lock held: a new
// client then cannot start, and says so within its limit; the running client
// goes on.
TEST(ClientServerMp, ANewClientBlockedByAHeldDpdkLockGivesUpWithOneLine)
{
    DpdkPrefix prefix("csmp_lock");
    ServerAndOneClient run(prefix);
    ASSERT_TRUE(run.ready) << run.server.output();
    Process& server = run.server;
    ASSERT_NE(leave_lock_held(prefix, ""), 0);
    const auto started = std::chrono::steady_clock::now();
    Process c1(client_cmd(prefix, "2@1", "1"));
    EXPECT_TRUE(refused(c1, "mp_client",
                        "mp_client: error: start-up did not finish within 20 s: a DPDK lock "
                        "in the shared memory is held, most likely by a process that was "
                        "killed during its own start-up; the running processes are not "
                        "affected, but new ones cannot attach: stop them all and start the "
                        "run again\n",
                        60s));
    const auto took = std::chrono::steady_clock::now() - started;
    EXPECT_GE(took, 19s);
    EXPECT_LE(took, 30s) << "the limit is 20 s";
    const auto rx0 = wait_for_screen_value(server, 2, client_rx(0), 0);
    EXPECT_GT(wait_for_screen_value(server, 2, client_rx(0), rx0), rx0) << "client 0 stopped";
    stop(*run.c0);
    // Its exit would wait for the lock to free the pool: it gives up in 5 s.
    server.signal(SIGINT);
    EXPECT_TRUE(refused(server, "mp_server",
                        "mp_server: error: exit did not finish within 5 s: a DPDK lock in the "
                        "shared memory is held",
                        30s));
}

// A secondary killed inside rte_eal_init() while it maps the memory leaves a
// reader in DPDK's memory hotplug lock. The next one to start releases it, so
// the server's exit, which frees memory under that lock, is not blocked.
TEST(ClientServerMp, AProcessKilledInsideItsStartUpLeavesNoLockHeld)
{
    DpdkPrefix prefix("csmp_startkill");
    ServerAndOneClient run(prefix);
    ASSERT_TRUE(run.ready) << run.server.output();
    const pid_t holder_pid = leave_lock_held(prefix, "--read-in-start-up");
    ASSERT_NE(holder_pid, 0);
    Process c1(client_cmd(prefix, "2@1", "1"));
    ASSERT_TRUE(c1.expect("Client process 1 handling packets", 10s)) << c1.output();
    EXPECT_TRUE(c1.expect_count("APP: process " + std::to_string(holder_pid) +
                                    " was killed during its start-up holding the memory hotplug "
                                    "lock: released",
                                1))
        << c1.output();
    stop(c1);
    stop(*run.c0);
    expect_prompt_clean_exit(run.server);
}

// A client killed inside its start-up while it looks up the server's rings
// leaves the tailq lock held for reading, and no client starts after it to
// release it: the server does, before it frees the rings at exit.
TEST(ClientServerMp, TheServerReleasesWhatTheLastClientKilledInItsStartUpLeftHeld)
{
    DpdkPrefix prefix("csmp_lastkill");
    ServerAndOneClient run(prefix);
    ASSERT_TRUE(run.ready) << run.server.output();
    stop(*run.c0);
    const pid_t holder_pid = leave_lock_held(prefix, "--tailq-read-in-start-up");
    ASSERT_NE(holder_pid, 0);
    expect_prompt_clean_exit(run.server);
    EXPECT_TRUE(run.server.expect_count("APP: process " + std::to_string(holder_pid) +
                                            " was killed during its start-up holding the tailq "
                                            "lock: released",
                                        1))
        << run.server.output();
    EXPECT_NE(run.server.output().find("rings, 0 unaccounted for"), std::string::npos)
        << run.server.output();
}

// SIGTERM ends a client as Ctrl-C does. Ctrl-C on the server while a client
// still runs: the server leaves the shared objects to it and exits 0, and the
// client notices within a second that its server has gone.
TEST(ClientServerMp, SigtermEndsAClientAndAClientOutlivesItsServerByASecond)
{
    DpdkPrefix prefix("csmp_serverexit");
    ServerAndTwoClients run(prefix);
    ASSERT_TRUE(run.ready());
    ASSERT_GT(wait_for_screen_value(run.server, 2, client_tx(1), 0), 0U) << run.server.output();

    EXPECT_TRUE(stops_on(*run.c1, SIGTERM, 10s));
    const ClientLine t1 = client_totals(*run.c1);
    EXPECT_GT(t1.rx, 0U) << run.c1->output();
    EXPECT_EQ(t1.rx, t1.tx + t1.tx_drop);

    EXPECT_TRUE(stops_on(run.server, SIGINT, 10s));
    EXPECT_NE(run.server.output().find("1 client still running: leaving the ports and shared "
                                       "objects in place"),
              std::string::npos)
        << run.server.output();
    // (The first look may come just before the server is gone: two seconds.)
    EXPECT_TRUE(
        refused(*run.c0, "mp_client", "mp_server has exited: the client stops with it", 3s));
    const ClientLine t0 = client_totals(*run.c0);
    EXPECT_GT(t0.rx, 0U) << run.c0->output();
    EXPECT_EQ(t0.rx, t0.tx + t0.tx_drop) << run.c0->output();
}

TEST(ClientServerMp, SigtermEndsTheServer)
{
    DpdkPrefix prefix("csmp_term");
    Process server(server_cmd(prefix));
    ASSERT_TRUE(server.expect("APP: Finished Process Init.", 90s)) << server.output();
    EXPECT_TRUE(stops_on(server, SIGTERM, 10s));
    EXPECT_NE(server.output().find("final statistics:"), std::string::npos) << server.output();
}

// One line "<program>: error: <text>" on stderr and exit code 1.
void expect_refusal(Process& p, const std::string& text)
{
    const std::string program = text.substr(0, text.find(':'));
    EXPECT_TRUE(refused(p, program, text, 60s));
}

TEST(ClientServerMp, ServerRefusesBadArguments)
{
    struct Case {
        std::string mask, clients, message;
    };
    const Case cases[] = {
        {"3", "0", "mp_server: error: invalid value '0' for -n: expected a number from 1 to 16"},
        {"3", "two", "mp_server: error: invalid value 'two' for -n: expected a number from 1 to 16"},
        {"0", "2", "mp_server: error: portmask '0' selects no port"},
        {"3", "17", "mp_server: error: invalid value '17' for -n: expected a number from 1 to 16"},
        {"xyz", "2", "mp_server: error: invalid portmask 'xyz'"},
        {"7", "2", "mp_server: error: portmask 0x7 selects port 2, which does not exist"},
        {"1", "2", "mp_server: error: portmask 0x1 selects 1 ports: an even number is needed"},
    };
    for (const Case& c : cases) {
        DpdkPrefix prefix("csmp_badsrv");
        Process server(server_cmd(prefix, c.mask, c.clients));
        expect_refusal(server, c.message);
        EXPECT_TRUE(prefix.leftovers().empty()) << c.message;
    }
    // Options the -p/-n pattern above cannot express.
    const std::pair<std::vector<std::string>, std::string> raw[] = {
        {{"-n", "2"}, "mp_server: error: missing option -p (the hexadecimal mask of the ports"},
        {{"-p", "3"}, "mp_server: error: missing option -n (the number of clients, 1 to 16)"},
        {{"-p", "3", "-n"}, "mp_server: error: option -n needs a value"},
        {{"-p", "3", "-n", "2", "-s", "1"}, "mp_server: error: unknown option '-s'"},
    };
    for (const auto& [app, message] : raw) {
        DpdkPrefix prefix("csmp_badsrv");
        Process server(args({{binary("mp_server")},
                             eal_args(prefix, "0@0", {"net_null0", "net_null1"}), {"--"}, app}));
        expect_refusal(server, message);
        EXPECT_TRUE(prefix.leftovers().empty()) << message;
    }
}

TEST(ClientServerMp, ClientsAreRefusedWithOneLine)
{
    {
        DpdkPrefix prefix("csmp_noserver");
        Process auto_client(client_cmd(prefix, "1@1", "0"));
        expect_refusal(auto_client, "mp_client: error: no mp_server is running with --file-prefix=" +
                                        prefix.name() + ": start the server first");
        EXPECT_TRUE(prefix.leftovers().empty());
        Process secondary(client_cmd(prefix, "1@1", "0", binary("mp_client"),
                                     "--proc-type=secondary"));
        expect_refusal(secondary, "mp_client: error: no primary process is running");
    }

    DpdkPrefix prefix("csmp_badcli");
    Process server(server_cmd(prefix));
    ASSERT_TRUE(server.expect("APP: Finished Process Init.", 90s)) << server.output();
    {
        Process c(client_cmd(prefix, "1@1", "2"));
        expect_refusal(c, "mp_client: error: client id 2 is out of range: mp_server runs 2 "
                          "clients (ids 0 to 1)");
    }
    {
        Process c(client_cmd(prefix, "1@1", "16"));
        expect_refusal(c, "mp_client: error: invalid value '16' for -n: expected a number from "
                          "0 to 15");
    }
    {
        Process c(client_cmd(prefix, "1@1", "-1"));
        expect_refusal(c, "mp_client: error: invalid value '-1' for -n: expected a number from "
                          "0 to 15");
    }
    {
        Process c(args({{binary("mp_client")}, eal_args(prefix, "1@1", {}, {"--proc-type=auto"}),
                        {"--", "-n", "0", "-p", "3"}}));
        expect_refusal(c, "mp_client: error: unknown option '-p'");
    }
    {
        Process c(args({{binary("mp_client")}, eal_args(prefix, "1@1", {}, {"--proc-type=auto"}),
                        {"--"}}));
        expect_refusal(c, "mp_client: error: missing option -n");
    }
    {
        Process c(client_cmd(prefix, "0@1", "0"));
        expect_refusal(c, "mp_client: error: lcore 0 is already in use by process " +
                              std::to_string(server.pid()) + " (mp_server)");
    }
    {
        Process first(client_cmd(prefix, "1@1", "0"));
        ASSERT_TRUE(first.expect("Client process 0 handling packets", 90s)) << first.output();
        Process same_id(client_cmd(prefix, "2@1", "0"));
        expect_refusal(same_id, "mp_client: error: client id 0 is already in use by process " +
                                    std::to_string(first.pid()));
        Process same_lcore(client_cmd(prefix, "1@1", "1"));
        expect_refusal(same_lcore, "mp_client: error: lcore 1 is already in use by process " +
                                       std::to_string(first.pid()));
        EXPECT_TRUE(first.running());
        stop(first);
    }
    {
        Process second(server_cmd(prefix, "3", "2", binary("mp_server"), "4@1"));
        expect_refusal(second, "mp_server: error: a primary process is already running");
        Process as_secondary(server_cmd(prefix, "3", "2", binary("mp_server"), "4@1",
                                        {"--proc-type=secondary"}));
        expect_refusal(as_secondary, "mp_server: error: mp_server creates the shared objects "
                                     "and must be the primary process");
    }
    EXPECT_TRUE(server.running());
    stop(server);
}

} // namespace
