// tessera-server: wiring only.  Parses the command line like redis-server, sets up logging,
// listeners and workers, then waits for SIGTERM/SIGINT (or SHUTDOWN) and stops cleanly.
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "core/base/hash.h"
#include "server/aof.h"
#include "server/config/config.h"
#include "server/log.h"
#include "server/memory_stats.h"
#include "server/metrics_text.h"
#include "server/net/listener.h"
#include "server/net/relisten.h"
#include "server/net/tls.h"
#include "server/net/worker.h"
#include "server/open_files.h"
#include "server/persistence.h"
#include "server/proc_title.h"
#include "server/process_settings.h"
#include "server/replication/replica.h"
#include "server/server.h"
#include "server/shutdown.h"
#include "server/version.h"

namespace {

using tessera::server::Log;
using tessera::server::LogLevel;

void PrintVersion() {
  std::printf("Tessera server v=%s redis_compat=%s bits=64 malloc=jemalloc\n",
              tessera::server::TesseraVersion(), tessera::server::kRedisCompatVersion);
}

void PrintUsage() {
  std::fprintf(stderr,
               "Usage: ./tessera-server [/path/to/redis.conf] [options] [-]\n"
               "       ./tessera-server - (read config from stdin)\n"
               "       ./tessera-server -v or --version\n"
               "       ./tessera-server -h or --help\n\n"
               "Examples:\n"
               "       ./tessera-server (run the server with default config)\n"
               "       ./tessera-server /etc/redis/6379.conf\n"
               "       ./tessera-server --port 7777\n"
               "       ./tessera-server /etc/myredis.conf --loglevel verbose -\n");
}

void Daemonize() {
  if (fork() != 0) _exit(0);  // the parent exits
  setsid();
  FILE* null = std::fopen("/dev/null", "r+");
  if (null != nullptr) {
    dup2(fileno(null), STDIN_FILENO);
    dup2(fileno(null), STDOUT_FILENO);
    dup2(fileno(null), STDERR_FILENO);
    std::fclose(null);
  }
}

}  // namespace

int main(int argc, char** argv) {
  using namespace tessera::server;
  // First: it moves argv's strings and the environment out of the title's way.
  ProcTitle proc_title(argc, argv);
  if (argc >= 2) {
    if (std::strcmp(argv[1], "-v") == 0 || std::strcmp(argv[1], "--version") == 0) {
      PrintVersion();
      return 0;
    }
    if (std::strcmp(argv[1], "-h") == 0 || std::strcmp(argv[1], "--help") == 0) {
      PrintUsage();
      return 0;
    }
  }

  ConfigRegistry registry;
  std::string error;
  unsigned cpus = std::max(1u, std::thread::hardware_concurrency());
  registry.SetDefault("io-threads", std::to_string(cpus), &error);
  if (!registry.LoadFromCommandLine(argc, argv, &error)) {
    std::fprintf(stderr, "%s", error.c_str());
    return 1;
  }

  const ServerConfig& config = registry.values();
  if (config.daemonize) Daemonize();
  if (!SetLogFile(config.logfile)) {
    std::fprintf(stderr, "Can't open the log file: %s\n", std::strerror(errno));
    return 1;
  }
  SetLogLevel(config.loglevel.load());
  Log(LogLevel::kNotice, "oO0OoO0OoO0Oo Tessera is starting oO0OoO0OoO0Oo");
  Log(LogLevel::kNotice, "Tessera version={} (Redis {} compatible), bits=64, pid={}, just started",
      TesseraVersion(), kRedisCompatVersion, static_cast<int>(getpid()));
  if (registry.config_file().empty()) {
    Log(LogLevel::kWarning, "Warning: no config file specified, using the default config.");
  } else {
    Log(LogLevel::kNotice, "Configuration loaded");
  }
  // always-show-logo, or a terminal on stdout: a banner with the mode, port and pid (tools that
  // start servers, like Redis's test suite, look for "PID: <pid>" in it).
  if (config.always_show_logo.load() || (config.logfile.empty() && isatty(STDOUT_FILENO))) {
    Log(LogLevel::kNotice,
        "\n"
        "   _______________\n"
        "  |_|_|_|_|_|_|_|_|    Tessera {} (Redis {} compatible) 64 bit\n"
        "  |_|_|_|_|_|_|_|_|\n"
        "  |_|_|_|_|_|_|_|_|    Running in standalone mode\n"
        "  |_|_|_|_|_|_|_|_|    Port: {}\n"
        "  |_|_|_|_|_|_|_|_|    PID: {}\n",
        TesseraVersion(), kRedisCompatVersion, config.port.load(), static_cast<int>(getpid()));
  } else {
    Log(LogLevel::kNotice, "Running mode=standalone, port={}.", config.port.load());
  }

  // Process-wide directives (server/process_settings.h), before any thread exists.
  if (std::string warning = ApplyDisableThp(config.disable_thp); !warning.empty()) {
    Log(LogLevel::kWarning, "{}", warning);
  }
  // server_cpulist: every thread started from here on inherits it; the others set their own.
  const std::string background_cpulist =
      config.bio_cpulist.empty() ? CpuListOf(pthread_self()) : config.bio_cpulist;
  PinThread(pthread_self(), config.server_cpulist);
  if (!SetCollateLocale(config.locale_collate.Get())) {
    Log(LogLevel::kWarning, "Failed to configure LOCALE for invalid locale name.");
    return 1;
  }

  std::random_device rd;
  tessera::SetHashSeed((static_cast<uint64_t>(rd()) << 32) ^ rd());

  // Signals: every thread blocks SIGTERM/SIGINT; the main thread takes them with sigwait.
  signal(SIGPIPE, SIG_IGN);
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  // Room for maxclients descriptors, or a smaller maxclients that fits (and a log line).
  uint64_t requested_clients = config.maxclients.load();
  OpenFilesResult files = AdjustOpenFilesLimit(requested_clients);
  LogOpenFiles(files, requested_clients);
  if (files.maxclients < requested_clients) {
    // The registry hands out a read-only view; its atomics are what CONFIG SET writes too.
    const_cast<std::atomic<uint32_t>&>(config.maxclients)
        .store(static_cast<uint32_t>(files.maxclients));
  }

  int workers_n = std::max(1, static_cast<int>(config.io_threads));
  Server server(&registry);
  server.set_background_cpulist(background_cpulist);
  server.lazy_free().set_thread_cpulist(background_cpulist);
  server.set_executable(argv[0]);
  server.set_config_file(registry.config_file());
  server.set_tcp_port(static_cast<int>(config.port.load()));
  server.set_io_threads(workers_n);
  if (!server.acl_startup_error().empty()) {
    Log(LogLevel::kWarning, "{}", server.acl_startup_error());
    return 1;
  }

  net::ListenerSet listeners;
  if (!net::CreateListeners(config.bind.Get(), static_cast<int>(config.port.load()),
                            static_cast<int>(config.tcp_backlog), workers_n, config.unixsocket,
                            config.unixsocketperm, &listeners, &error)) {
    Log(LogLevel::kWarning, "{}", error);
    return 1;
  }

  // metrics-port: the Prometheus endpoint, on the same addresses, served by worker 0.
  net::ListenerSet metrics_listeners;
  if (config.metrics_port.load() != 0 &&
      !net::CreateListeners(config.bind.Get(), config.metrics_port.load(),
                            static_cast<int>(config.tcp_backlog), 1, "", 0, &metrics_listeners,
                            &error)) {
    Log(LogLevel::kWarning, "metrics-port: {}", error);
    return 1;
  }

  // TLS: its own port beside the plain one, the same bind addresses, one shared context.
  std::unique_ptr<net::TlsContextHolder> tls;
  net::ListenerSet tls_listeners;
  if (config.tls_port.load() != 0) {
    std::unique_ptr<net::TlsContext> ctx = net::TlsContext::Create(config, &error);
    if (ctx != nullptr) tls = std::make_unique<net::TlsContextHolder>(std::move(ctx));
    if (tls == nullptr || !net::CreateListeners(config.bind.Get(), config.tls_port.load(),
                                                static_cast<int>(config.tcp_backlog), workers_n, "",
                                                0, &tls_listeners, &error)) {
      Log(LogLevel::kWarning, "{}", error);
      return 1;
    }
    server.set_tls_port(config.tls_port.load());
  }

  if (!config.pidfile.empty()) {
    std::ofstream(config.pidfile) << getpid() << "\n";
  }

  // Replaying the AOF at start-up counts its commands in a statistics block of its own,
  // created before the workers' (the set of blocks is fixed once workers run).
  WorkerStats* load_stats = server.AddWorkerStats();
  std::vector<std::unique_ptr<net::Worker>> workers;
  for (int i = 0; i < workers_n; ++i) {
    workers.push_back(std::make_unique<net::Worker>(&server, i, workers_n));
    for (int fd : listeners.tcp_fds_per_worker[i]) workers.back()->AddTcpListener(fd);
    if (tls != nullptr) {
      workers.back()->SetTlsContext(tls.get());
      for (int fd : tls_listeners.tcp_fds_per_worker[i]) workers.back()->AddTlsListener(fd);
    }
  }
  tls_listeners.tcp_fds_per_worker.clear();
  if (listeners.unix_fd >= 0) workers[0]->SetUnixListener(listeners.unix_fd);
  // Always set, with no sockets when metrics-port is 0: CONFIG SET metrics-port may open it.
  std::vector<int> metrics_fds;
  if (!metrics_listeners.tcp_fds_per_worker.empty()) {
    metrics_fds = std::move(metrics_listeners.tcp_fds_per_worker[0]);
    metrics_listeners.tcp_fds_per_worker.clear();
  }
  workers[0]->SetMetricsListeners(std::move(metrics_fds),
                                  [&server] { return BuildMetricsText(server); });
  listeners.tcp_fds_per_worker.clear();

  net::RegisterListenerHooks(registry, server, workers, tls);
  StartProcTitle(proc_title, registry, registry.config_file());

  server.clients().set_post([&workers](int owner, std::function<void()> fn) {
    workers[static_cast<size_t>(owner)]->Post(std::move(fn));
  });
  server.pubsub().set_post([&workers](int owner, std::function<void()> fn) {
    workers[static_cast<size_t>(owner)]->Post(std::move(fn));
  });
  server.tracking().set_post([&workers](int owner, std::function<void()> fn) {
    workers[static_cast<size_t>(owner)]->Post(std::move(fn));
  });
  server.feed_monitors = [&workers](std::string line) {
    auto shared = std::make_shared<std::string>(std::move(line));
    for (auto& w : workers) {
      net::Worker* wp = w.get();
      wp->Post([wp, shared] { wp->DeliverToMonitors(*shared); });
    }
  };
  server.adopt_master = [&workers](int fd, std::string leftover, uint64_t generation) {
    net::Worker* w = workers[0].get();
    w->Post([w, fd, leftover = std::move(leftover), generation]() mutable {
      w->AdoptMaster(fd, std::move(leftover), generation);
    });
  };
  // SHUTDOWN and the signals: requests are recorded where they arrive; this thread runs them
  // (the wait for replicas, the final save) while the workers keep serving.
  ShutdownCoordinator shutdown(server);
  shutdown.set_signals(&stop_signals);  // taken while the final save runs
  server.shutdown = &shutdown;

  SetAllocatorBackgroundThread(config.jemalloc_bg_thread.load());
  RegisterProcessSettingHooks(registry);
  Log(LogLevel::kNotice, "Server initialized");
  server.startup_memory.store(ReadAllocatedBytes());  // before any data: used_memory_startup
  // Clients may connect while the dataset loads: they get -LOADING until it is in memory.
  server.persistence().loading.store(true);
  for (auto& w : workers) w->Start();
  {
    std::string load_error;
    bool loaded = config.appendonly.load()
                      ? server.persistence().aof().LoadAndOpen(load_stats, &load_error)
                      : server.persistence().LoadRdbAtStartup(&load_error);
    if (!loaded) {
      size_t start = 0;
      for (size_t nl; (nl = load_error.find('\n', start)) != std::string::npos; start = nl + 1) {
        Log(LogLevel::kWarning, "{}", load_error.substr(start, nl - start));
      }
      Log(LogLevel::kWarning, "Fatal error loading the DB: {}. Exiting.", load_error.substr(start));
      for (auto& w : workers) w->RequestStop();
      for (auto& w : workers) w->Join();
      return 1;
    }
  }
  server.persistence().loading.store(false);
  Log(LogLevel::kNotice, "Ready to accept connections tcp");
  if (tls != nullptr) Log(LogLevel::kNotice, "Ready to accept connections tls");
  server.replica_link().Start();  // replicaof: the link to the primary starts now

  // Every ~10 ms (Redis's cron checks a pending shutdown at hz 10 to 100): a signal, or a step
  // of a requested shutdown.
  for (;;) {
    const timespec tick{0, 10 * 1000 * 1000};
    const int sig = sigtimedwait(&stop_signals, nullptr, &tick);
    if (sig > 0 && !shutdown.Signal(sig)) ExitInsisting(server);
    if (shutdown.Step(Server::RealNowUs() / 1000)) break;
  }
  server.replica_link().Stop();
  server.scripts().AbortAll();  // a worker inside an endless script must get back to its loop
  for (auto& w : workers) w->RequestStop();
  for (auto& w : workers) w->Join();
  server.persistence().AbortBackgroundSave("There is a child saving an .rdb. Killing it!");
  server.persistence().WaitForBackgroundSave();
  server.persistence().aof().Close();  // every logged write reaches the file, fsynced
  if (!config.pidfile.empty()) unlink(config.pidfile.c_str());
  if (!config.unixsocket.empty()) unlink(config.unixsocket.c_str());
  Log(LogLevel::kWarning, "Tessera is now ready to exit, bye bye...");
  return 0;
}
