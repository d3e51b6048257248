import Foundation

/// Delivers process signals (SIGTERM, SIGINT, SIGHUP) to the daemon's main loop as bytes on a pipe.
///
/// The handler only `write`s one byte (async-signal-safe). Handlers, unlike `sigwait`, work whichever thread
/// the kernel picks, including threads libraries started before `main` (OpenBLAS's pool).
final class SignalPipe {
    private let readFD: Int32

    /// Installs the handlers; call once per process.
    init(signals: [Int32]) throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw DaemonError.system("pipe", errno) }
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        readFD = fds[0]
        signalPipeWriteFD = fds[1]
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { signal in
            var byte = UInt8(truncatingIfNeeded: signal)
            _ = write(signalPipeWriteFD, &byte, 1)
        }
        sigemptyset(&action.sa_mask)
        action.sa_flags = SA_RESTART
        for s in signals where sigaction(s, &action, nil) != 0 { throw DaemonError.system("sigaction", errno) }
        signal(SIGPIPE, SIG_IGN)
        // A parent may start us with these signals blocked (a child inherits the spawning thread's mask, and
        // dispatch worker threads block nearly everything): unblock them here; threads started later inherit it.
        var mask = sigset_t()
        sigemptyset(&mask)
        for s in signals { sigaddset(&mask, s) }
        pthread_sigmask(SIG_UNBLOCK, &mask, nil)
    }

    /// The next signal, waiting up to `timeout` seconds; nil when none arrived.
    func next(timeout: Double) -> Int32? {
        var entry = pollfd(fd: readFD, events: Int16(POLLIN), revents: 0)
        let ready = poll(&entry, 1, Int32(max(0, timeout) * 1000))
        guard ready > 0 else { return nil }
        var byte: UInt8 = 0
        return read(readFD, &byte, 1) == 1 ? Int32(byte) : nil
    }
}

/// The pipe's write end, for the signal handler (a C function pointer cannot capture context).
nonisolated(unsafe) private var signalPipeWriteFD: Int32 = -1
