#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The signals nucleus relays to the container's init (which relays them to
/// the workload), as `docker run --sig-proxy` does. SIGTTOU is blocked too so
/// nucleus can take the terminal back from a `--terminal` workload.
enum ForwardedSignals {
    static let forwarded: [Int32] = [SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH]

    static var set: sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in forwarded { sigaddset(&set, signal) }
        return set
    }

    /// Blocks the forwarded signals (and SIGTTOU) and returns the mask the caller had.
    /// SIGPIPE is ignored: releasing a child that already failed must give EPIPE,
    /// not kill nucleus before it can say why. The workload resets it to default.
    static func block() -> sigset_t {
        signal(SIGPIPE, SIG_IGN)
        var blocked = set
        sigaddset(&blocked, SIGTTOU)
        var previous = sigset_t()
        pthread_sigmask(SIG_BLOCK, &blocked, &previous)
        return previous
    }

    static func restore(_ mask: sigset_t) {
        var mask = mask
        pthread_sigmask(SIG_SETMASK, &mask, nil)
    }
}
